#!/usr/bin/env bash
# Installs what teams_obs needs and is missing: Debian packages (PostgreSQL 15 server, pgTAP with
# pg_prove, sqitch with its PostgreSQL driver, valgrind for bench/instructions.py, libfaketime for the
# server of tests/test_month_boundary.py, whose clock passes a real midnight of the 1st) and the Python package
# with its test extras (into .venv when python3 is externally managed: scripts/python-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh

debian_packages=(postgresql-15 postgresql-15-pgtap sqitch libdbd-pg-perl valgrind libfaketime)
# python3-venv brings python3 and the pip that `python3 -m venv` puts into the environment.
if [ -n "$venv_bin" ]; then debian_packages+=(python3-venv); fi
missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "Missing Debian packages: ${missing[*]}; without root or sudo this script cannot install them." >&2
            echo "Have them installed (as root: apt-get install ${missing[*]}), then run it again." >&2
            exit 1
        fi
        sudo_cmd=(sudo)
    fi
    echo "Installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Reused when present; made again when it has no pip (created before python3-venv was installed).
if [ -n "$venv_bin" ] && ! "${venv_bin}python3" -m pip --version >/dev/null 2>&1; then
    echo "python3 is externally managed (PEP 668): installing into the virtual environment .venv"
    python3 -m venv .venv
fi
"${venv_bin}python3" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'

# A killed run leaves its embedded cluster's directory behind (teams_obs/embedded.py). Only one whose
# postmaster.pid names a process that is gone is removed: one without it may be a cluster starting now.
# The directory is in a world-writable place, so only a real directory of ours is touched: a trailing
# slash would follow a symlink planted by another user and rm would delete its target's contents.
for cluster in "${TMPDIR:-/tmp}"/teams_obs_pg_*; do
    [ -L "$cluster" ] && continue
    [ -d "$cluster" ] || continue
    [ "$(stat -c %u -- "$cluster")" = "$(id -u)" ] || continue
    pid=$(head -n 1 "$cluster/data/postmaster.pid" 2>/dev/null) || continue
    if [[ $pid =~ ^[0-9]+$ ]] && [ ! -e "/proc/$pid" ]; then rm -rf -- "$cluster"; fi
done
