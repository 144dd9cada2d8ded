"""An installed wheel deploys and maintains without the source checkout: the plan, its scripts and the
runtime templates travel inside it (SPEC §2: a downstream application's suite gets a deployed database
from the pytest fixtures, which deploy the plan the installed package carries). The sdist carries the test
suite, and the build warns of nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import psycopg
import pytest

from teams_obs.sqitch import load_plan

ROOT = Path(__file__).resolve().parent.parent
# A warning raised in the build backend, as `build` logs it or as Python prints it: setuptools announces what it
# will stop taking (a deprecated key) or silently drop (a data directory that is no listed package) only so.
BUILD_WARNING = re.compile(r"^\s*(?:WARNING |\S+\.py:\d+: \w*Warning: ).*$", re.MULTILINE)
DEPLOY = """
import sys, teams_obs
from teams_obs.deploy import deploy_and_maintain
deploy_and_maintain(sys.argv[1], echo=lambda _line: None, verify=True)
print(teams_obs.__file__)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sdist and the wheel built from it, as `python -m build` makes them, and the build's output."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"  # built from a copy: the build writes build/ and egg-info beside its sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".ruff_cache", ".pytest_cache"))
    run = subprocess.run([sys.executable, "-m", "build", "-o", work / "dist", source],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    shutil.rmtree(source)
    return work / "dist", run.stdout + run.stderr


def test_build_prints_no_warning(built: tuple[Path, str]):
    assert BUILD_WARNING.findall(built[1]) == []


def test_wheel_is_typed(built: tuple[Path, str]):
    """PEP 561: checkers read an installed package's annotations only beside py.typed, and the clients'
    methods only in the rendered stubs (tests/test_client_typing.py)."""
    with zipfile.ZipFile(next(built[0].glob("teams_obs-*.whl"))) as wheel:
        assert {"teams_obs/py.typed", "teams_obs/client_methods.pyi"} <= set(wheel.namelist())


def test_wheel_requires_no_test_harness(built: tuple[Path, str]):
    """What an application gets with a bare `pip install teams_obs`: neither the embedded cluster's packages nor
    psycopg's own libpq, which it chooses (tests/test_extras.py: what works without them)."""
    with zipfile.ZipFile(next(built[0].glob("teams_obs-*.whl"))) as wheel:
        metadata = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
        requires = re.findall(r"^Requires-Dist: (.*)$", wheel.read(metadata).decode(), re.MULTILINE)
    bare = [requirement for requirement in requires if "extra ==" not in requirement]
    assert [r for r in bare if re.match(r"testing\.postgresql|pg8000|psycopg\[", r)] == []
    assert any(r.startswith("psycopg>=") for r in bare)
    assert any(r.startswith("testing.postgresql") and 'extra == "embedded"' in r for r in requires)
    assert any(r.startswith("psycopg[binary]") and 'extra == "binary"' in r for r in requires)


def test_sdist_collects_the_test_suite(built: tuple[Path, str], tmp_path: Path):
    with tarfile.open(next(built[0].glob("teams_obs-*.tar.gz"))) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    env = {name: value for name, value in os.environ.items() if name not in ("TEAMS_OBS_TOP_DIR", "PYTHONPATH")}
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests"], cwd=unpacked, env=env,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr


def test_installed_wheel_deploys_and_maintains_without_a_checkout(built: tuple[Path, str], tmp_path: Path,
                                                                   empty_db_url: str):
    wheel = next(built[0].glob("teams_obs-*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel],
                   check=True)

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
