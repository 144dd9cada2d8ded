#!/usr/bin/env bash
# Set-up: install what is missing, then run the main job on an embedded throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/python-env.sh
"${venv_bin}teams-obs" demo  # always on an embedded throwaway PostgreSQL
