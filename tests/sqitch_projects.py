"""Small sqitch projects written into a temp dir, for runner and interop tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PLANNER = "Test Planner <planner@example.com>"


def write_project(root: Path, plan_body: str, scripts: dict[str, tuple[str, str, str]],
                  project: str = "demo") -> Path:
    """``scripts`` maps a file stem (``name`` or ``name@tag``) to (deploy, revert, verify) SQL bodies."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    (root / "sqitch.plan").write_text(f"%syntax-version=1.0.0\n%project={project}\n\n{plan_body}")
    for kind in ("deploy", "revert", "verify"):
        (root / kind).mkdir(exist_ok=True)
    for stem, bodies in scripts.items():
        for kind, body in zip(("deploy", "revert", "verify"), bodies, strict=True):
            end = "ROLLBACK" if kind == "verify" else "COMMIT"
            (root / kind / f"{stem}.sql").write_text(f"-- {kind.title()} {project}:{stem}\nBEGIN;\n{body}\n{end};\n")
    return root


def table_scripts(table: str) -> tuple[str, str, str]:
    return (f"CREATE TABLE {table} (id int);", f"DROP TABLE {table};", f"SELECT id FROM {table} WHERE false;")


def sqitch_target(url: str) -> str:
    """libpq URL -> sqitch target URI."""
    return "db:pg:" + url.removeprefix("postgresql:")


def sqitch_env() -> dict[str, str]:
    """The environment sqitch runs in: the committer the registry tests expect."""
    return {**os.environ, "SQITCH_FULLNAME": "Sqitch Tester", "SQITCH_EMAIL": "sqitch@example.com"}


def run_sqitch(top: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run(["sqitch", *args], cwd=top, capture_output=True, text=True, env=sqitch_env(), timeout=120)
    if check and run.returncode != 0:
        raise AssertionError(f"sqitch {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run
