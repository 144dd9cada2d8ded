"""Scripts run as sqitch runs them with ``psql -f``: each in a fresh session, statement by statement, each
statement committed on its own outside a transaction block the script opens, stopping at the first error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs.cli import main
from tests.sqitch_projects import SideBySide, sqitch_env, write_project

pytestmark = pytest.mark.usefixtures("sqitch_bin")

PLANNED = "2026-01-01T00:00:01Z A <a@b>"
RELATIONS = """SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch') ORDER BY 1"""
WIDGETS = "BEGIN;\nCREATE TABLE widgets (id int);\nCOMMIT;\n"

# case: (the plan's changes with their deploy scripts, verbatim, the relations sqitch leaves, whether it succeeds)
CASES = {
    "search_path-does-not-outlive-its-script": (
        {"app": "CREATE SCHEMA app;\nSET search_path TO app, public;\n", "widgets [app]": WIDGETS},
        ["public.widgets"], True),
    "role-does-not-outlive-its-script": (
        {"app": "SET ROLE pg_monitor;\n", "widgets [app]": WIDGETS}, ["public.widgets"], True),
    "create-index-concurrently-after-a-statement": (
        {"one": "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"},
        ["public.t", "public.t_id"], True),
    "vacuum-after-a-transaction-block": (
        {"one": "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\nVACUUM t;\n"}, ["public.t"], True),
    "procedure-that-commits-called-after-a-statement": (
        {"one": "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE t (id int); COMMIT; END $$;\n"
                "CALL p();\n"},
        ["public.t"], True),
    "enum-value-added-then-used": (
        {"one": "CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';\n"
                "CREATE TABLE t AS SELECT 'happy'::mood AS m;\n"},
        ["public.t"], True),
    "begin-atomic-body-with-statements": (
        {"one": "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
                "CREATE TABLE t AS SELECT f() AS x;\n"},
        ["public.t"], True),
    "replacing-begin-atomic-body-with-statements": (
        {"one": "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
                "CREATE TABLE t AS SELECT f() AS x;\n"},
        ["public.t"], True),
    "case-end-outside-a-begin-atomic-body": (  # the END closes the CASE, no body: the ';'s after it split
        {"one": "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END;\n"
                "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"},
        ["public.t", "public.t_id"], True),
    "begin-in-parentheses-opens-no-body": (
        {"one": "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'select 1';\n"
                "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"},
        ["public.t", "public.t_id"], True),
    "last-statement-without-a-semicolon": ({"one": "CREATE TABLE t (id int)"}, ["public.t"], True),
    "empty-statements": (
        {"one": "CREATE TABLE t (id int);;\n", "two": "-- note\n;\nCREATE TABLE u (id int);\n"},
        ["public.t", "public.u"], True),
    "statements-before-a-syntax-error-are-kept": (
        {"one": "CREATE TABLE kept (id int);\nSELEC 1;\n"}, ["public.kept"], False),
    "statements-before-a-failure-are-kept": (
        {"one": "CREATE TABLE kept (id int);\nSELECT\n  1/0;\nCREATE TABLE never (id int);\n"},
        ["public.kept"], False),
}


def verbatim_project(root: Path, deploys: dict[str, str]) -> Path:
    """A project whose deploy scripts are exactly ``deploys``' values (keyed by plan line head)."""
    names = [line.split()[0] for line in deploys]
    top = write_project(root, "".join(f"{line} {PLANNED}\n" for line in deploys),
                        {name: ("", "", "") for name in names})
    for name, body in zip(names, deploys.values(), strict=True):
        (top / "deploy" / f"{name}.sql").write_text(body)
    return top


@pytest.mark.parametrize("case", CASES)
def test_a_deploy_script_runs_as_under_sqitch(case: str, tmp_path: Path, pg_cluster) -> None:
    deploys, relations, succeeds = CASES[case]
    top = verbatim_project(tmp_path / "p", deploys)
    both = SideBySide(pg_cluster)
    said = both.run(top, "deploy")
    outcome = {}
    for tool, url in both.urls.items():
        _command, exit_code, _output, deployed = said[tool]
        with psycopg.connect(url) as conn:
            outcome[tool] = (exit_code == 0, deployed, [r[0] for r in conn.execute(RELATIONS)])
    assert outcome["teams_obs"] == outcome["sqitch"], said
    assert outcome["sqitch"][::2] == (succeeds, relations)


def test_a_failing_statement_is_named_by_its_script_and_line_as_psql_names_it(tmp_path: Path, pg_cluster) -> None:
    top = verbatim_project(tmp_path / "p", {"one": CASES["statements-before-a-failure-are-kept"][0]["one"]})
    said = SideBySide(pg_cluster).run(top, "deploy")
    assert "psql:deploy/one.sql:3: ERROR:  division by zero" in said["sqitch"][2]
    assert "deploy/one.sql:3: division by zero" in said["teams_obs"][2]


def test_a_script_left_in_a_transaction_block_is_rolled_back_before_the_next(tmp_path: Path, pg_cluster) -> None:
    """psql's session ends with the script, and so does the transaction block the script left open."""
    top = verbatim_project(tmp_path / "p", {"open": "BEGIN;\nCREATE TABLE lost (id int);\n", "next": WIDGETS})
    both = SideBySide(pg_cluster)
    said = both.run(top, "deploy")
    for tool, url in both.urls.items():
        assert said[tool][1] == 0, said[tool]
        with psycopg.connect(url) as conn:
            assert [r[0] for r in conn.execute(RELATIONS)] == ["public.widgets"], tool


def test_the_plans_notices_reach_the_deploy_output(empty_db_url: str) -> None:
    """privileges.sql tells a superuser deploying it what it skipped (docs/security.md), as psql shows it."""
    result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    assert result.exit_code == 0, result.output
    assert "deploy/privileges.sql:" in result.output
    assert ": NOTICE: teams_obs deployed by a superuser: PUBLIC keeps its default EXECUTE" in result.output


def test_a_notice_and_an_error_are_printed_as_the_server_wrote_them(tmp_path: Path, empty_db_url: str,
                                                                     monkeypatch) -> None:
    """Not read as rich markup: a bracketed path closes no tag (rich would raise) and [bold] stays text."""
    said = ("DO $$ BEGIN RAISE NOTICE E'read [/etc/x] as [bold]text\\x1b]0;t\\x07'; END $$;\n"
            "SELECT 1/0 AS \"[/oops]\";\n")
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(verbatim_project(tmp_path / "p", {"one": said})))
    result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    assert result.exit_code == 2 and not isinstance(result.exception, Exception | None), result
    assert r"deploy/one.sql:1: NOTICE: read [/etc/x] as [bold]text\x1b]0;t\x07" in result.output, result.output
    assert "deploy/one.sql:2: division by zero" in result.output, result.output


@pytest.mark.parametrize(("script", "line", "error"), [
    ("SELECT 1\n;\nSELECT 1/0\n;\n", 4, "division by zero"),  # psql names the line of the ';'
    ("\ufeffSELECT 1;\nSELECT 1/0;\n", 2, "division by zero"),  # psql skips a byte order mark
    ("SELECT 1)\n;\nSELECT 2;\n", 2, 'syntax error at or near ")"'),  # a stray ')' leaves the ';' splitting
])
def test_lines_are_named_as_psql_names_them(script: str, line: int, error: str, tmp_path: Path, pg_cluster) -> None:
    top = verbatim_project(tmp_path / "p", {"one": script})
    outputs = SideBySide(pg_cluster).run(top, "deploy")
    assert f"psql:deploy/one.sql:{line}: ERROR:  {error}" in outputs["sqitch"][2], outputs["sqitch"]
    assert f"deploy/one.sql:{line}: {error}" in outputs["teams_obs"][2], outputs["teams_obs"]


def test_a_script_not_in_utf8_fails_its_change_with_a_message(tmp_path: Path, empty_db_url: str, monkeypatch) -> None:
    top = verbatim_project(tmp_path / "p", {"one": "CREATE TABLE one (id int);\n"})
    (top / "deploy" / "one.sql").write_bytes(b"-- caf\xe9\nCREATE TABLE one (id int);\n")
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    assert result.exit_code == 2 and "deploy/one.sql: not UTF-8 (byte 6)" in result.output, result
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT event, change FROM sqitch.events").fetchall() == [("fail", "one")]


def test_a_copy_the_runner_cannot_feed_fails_its_change_and_the_run_is_reverted(tmp_path: Path, empty_db_url: str,
                                                                                  monkeypatch) -> None:
    """The connection stays busy with the COPY; the scripts after it (the run's reverts) need another."""
    top = write_project(tmp_path / "p", f"one {PLANNED}\ntwo [one] {PLANNED}\n", {
        "one": ("CREATE TABLE one (id int);", "DROP TABLE one;", "SELECT 1;"),
        "two": ("COPY (SELECT 1) TO STDOUT;", "SELECT 1;", "SELECT 1;")})
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    assert result.exit_code == 2 and "deploy/two.sql:3: COPY" in result.output, result.output
    assert "- one .. ok" in result.output, result.output
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regclass('public.one')").fetchone()[0] is None


def test_a_run_killed_while_its_script_waits_on_a_lock_leaves_no_backend_waiting(tmp_path: Path,
                                                                                   empty_db_url: str) -> None:
    """Its statement would otherwise wait as long as the lock is held, here for ever, and hold what it locked."""
    top = verbatim_project(tmp_path / "p", {"one": "SELECT pg_advisory_lock(4242);\n"})
    waiting = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
               " AND query LIKE 'SELECT pg_advisory_lock(4242)%'")
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(4242)")
        deploy = subprocess.Popen([sys.executable, "-m", "teams_obs", "--db", empty_db_url, "deploy"],
                                  env={**sqitch_env(), "TEAMS_OBS_TOP_DIR": str(top)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if (row := holder.execute(waiting).fetchone()) is not None:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the deploy never waited on the lock")
        finally:
            deploy.kill()
            deploy.wait(timeout=60)
        gone = "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s)"
        for _ in range(50):  # the server notices within client_connection_check_interval
            if holder.execute(gone, row).fetchone() == (True,):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the killed run's backend still waits on the lock")
