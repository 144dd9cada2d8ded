"""Small sqitch projects written into a temp dir, for runner and interop tests."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from pathlib import Path

import psycopg
from click.testing import CliRunner

from teams_obs.cli import main

PLANNER = "Test Planner <planner@example.com>"


def write_project(root: Path, plan_body: str, scripts: dict[str, tuple[str, str, str]],
                  project: str = "demo", uri: str | None = None) -> Path:
    """``scripts`` maps a file stem (``name`` or ``name@tag``) to (deploy, revert, verify) SQL bodies."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    pragmas = f"%syntax-version=1.0.0\n%project={project}\n" + (f"%uri={uri}\n" if uri else "")
    (root / "sqitch.plan").write_text(f"{pragmas}\n{plan_body}")
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


_databases = itertools.count()


class SideBySide:
    """sqitch and teams-obs, each with a database of its own in the test cluster."""

    def __init__(self, pg_cluster) -> None:
        self.urls: dict[str, str] = {}
        with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
            for tool in ("sqitch", "teams_obs"):
                database = f"refs_{next(_databases)}_{tool}"
                admin.execute(f"CREATE DATABASE {database}")
                self.urls[tool] = pg_cluster.url(database)

    def run(self, top: Path, *command: str) -> dict[str, tuple]:
        """Per tool: the command, its exit status, its output (database name and deploy time masked) and
        the changes deployed after it, with their tags."""
        said = {}
        for tool, url in self.urls.items():
            if tool == "sqitch":
                run = run_sqitch(top, *command, sqitch_target(url), check=False)
                exit_code, output = run.returncode, run.stdout + run.stderr
            else:
                committer = {name: sqitch_env()[name] for name in ("SQITCH_FULLNAME", "SQITCH_EMAIL")}
                env = {"TEAMS_OBS_TOP_DIR": str(top), **committer}
                run = CliRunner(env=env).invoke(main, ["--db", url, *command], catch_exceptions=False)
                exit_code, output = run.exit_code, run.output.replace("teams-obs: ", "")
            output = re.sub(r"(?m)^# Deployed: .*$", "# Deployed: (time)", output.replace(url.rpartition("/")[2], "DB"))
            said[tool] = (command, exit_code, output, self.deployed(tool))
        return said

    def deployed(self, tool: str) -> list[tuple[str, list[str]]]:
        with psycopg.connect(self.urls[tool]) as conn:
            if conn.execute("SELECT to_regclass('sqitch.changes')").fetchone()[0] is None:
                return []
            return conn.execute("""SELECT c.change, array_remove(array_agg(t.tag ORDER BY t.tag), NULL)
                                     FROM sqitch.changes c LEFT JOIN sqitch.tags t USING (change_id)
                                    GROUP BY c.change_id ORDER BY c.committed_at""").fetchall()

    def compare(self, top: Path, commands: list[tuple[str, ...]]) -> list[dict[str, tuple]]:
        said = [self.run(top, *command) for command in commands]
        for each in said:  # (this module's asserts are not rewritten by pytest: the message says what differs)
            assert each["teams_obs"] == each["sqitch"], f"teams-obs: {each['teams_obs']!r}\nsqitch: {each['sqitch']!r}"
        return said

    def execute(self, statement: str) -> None:
        """Runs ``statement`` in each tool's database."""
        for url in self.urls.values():
            with psycopg.connect(url) as conn:
                conn.execute(statement)
