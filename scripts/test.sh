#!/usr/bin/env bash
# Every test: lint, then pytest (which includes every pgTAP file, pg_prove, sqitch interop, hypothesis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/python-env.sh
"${venv_bin}ruff" check .
"${venv_bin}python3" -m pytest "$@"
