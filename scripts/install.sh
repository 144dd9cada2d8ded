#!/usr/bin/env bash
# Installs what teams_obs needs and is missing: Debian packages (PostgreSQL 15 server, pgTAP with
# pg_prove, sqitch with its PostgreSQL driver, valgrind for bench/instructions.py) and the Python package
# with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

debian_packages=(postgresql-15 postgresql-15-pgtap sqitch libdbd-pg-perl valgrind)
missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'
