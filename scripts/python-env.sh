# shellcheck shell=bash disable=SC2034  # venv_bin is read by the scripts that source this file
# Sourced by install.sh, setup.sh and test.sh from the checkout's root: sets venv_bin, the prefix of the
# commands the package and its test extras install (python3, teams-obs, ruff).
# They go into the python3 on PATH (pyenv's, a virtual environment of yours), except when it is externally
# managed (PEP 668: Debian's /usr/bin/python3, where pip refuses to install): then into the virtual
# environment .venv of this checkout. Without a python3 yet, install.sh installs Debian's.
if ! command -v python3 >/dev/null || python3 -c 'import os, sys, sysconfig
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(sys.prefix != sys.base_prefix or not os.path.isfile(marker))'; then
    venv_bin=.venv/bin/
else
    venv_bin=
fi
