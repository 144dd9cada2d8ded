"""An installed wheel deploys and maintains without the source checkout: the plan, its scripts and the
runtime templates travel inside it (SPEC §2: a downstream application's suite gets a deployed database
from the pytest fixtures, which deploy the plan the installed package carries)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from teams_obs.sqitch import load_plan

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = """
import sys, teams_obs
from teams_obs.deploy import deploy_and_maintain
deploy_and_maintain(sys.argv[1], echo=lambda _line: None, verify=True)
print(teams_obs.__file__)
"""


def test_installed_wheel_deploys_and_maintains_without_a_checkout(tmp_path: Path, empty_db_url: str):
    source = tmp_path / "source"  # built from a copy: the build writes build/ and egg-info beside its sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".ruff_cache", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", source],
                   check=True)
    wheel = next((tmp_path / "dist").glob("teams_obs-*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel],
                   check=True)
    shutil.rmtree(source)

    env = {name: value for name, value in os.environ.items() if name != "TEAMS_OBS_TOP_DIR"}
    run = subprocess.run([sys.executable, "-c", DEPLOY, empty_db_url], cwd=tmp_path,
                         env={**env, "PYTHONPATH": str(site)}, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(site / "teams_obs" / "__init__.py")
    render = subprocess.run([sys.executable, "-m", "teams_obs", "render", "--check"], cwd=tmp_path,
                            env={**env, "PYTHONPATH": str(site)}, capture_output=True, text=True, check=False)
    assert render.returncode == 2 and "no templates to render" in render.stderr  # not "0 files match"

    planned = [change.name for change in load_plan(ROOT / "sqitch.plan").changes]
    with psycopg.connect(empty_db_url) as conn:
        deployed = [name for (name,) in conn.execute(
            "SELECT change FROM sqitch.changes WHERE project = 'teams_obs' ORDER BY committed_at, change_id")]
        monthly = conn.execute("SELECT count(*) FROM teams_obs.partition_bounds('teams_obs.notification_deliveries')"
                               " WHERE NOT is_default").fetchone()[0]
    assert deployed == planned
    assert monthly >= 4  # this month and the next three, from the packaged partition template
