"""scripts/postgres-major.sh, which gives scripts/test.sh its other majors' servers: it prints the bin directory
of a server of the major asked for, with pgTAP in reach of CREATE EXTENSION, and refuses what is not a major."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres-major.sh"


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_it_prints_a_server_of_that_major_with_pgtap():
    run = run_script("16")
    assert run.returncode == 0, run.stderr
    bindir = Path(run.stdout.strip())
    version = subprocess.run([bindir / "postgres", "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("postgres (PostgreSQL) 16.")
    sharedir = subprocess.run([bindir / "pg_config", "--sharedir"], capture_output=True, text=True, check=True)
    assert (Path(sharedir.stdout.strip()) / "extension" / "pgtap.control").is_file()
    assert (bindir / "pg_dump").is_file()


def test_it_refuses_what_is_not_a_major():
    run = run_script("17.2")
    assert run.returncode == 2
    assert run.stderr == "MAJOR must be a number such as 17, got '17.2'\n"
    assert run.stdout == ""
