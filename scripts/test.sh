#!/usr/bin/env bash
# Every test: lint, then pytest (which includes every pgTAP file, pg_prove, sqitch interop, hypothesis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
ruff check .
python3 -m pytest "$@"
