"""The runner's own semantics: failures, confirmation, --to, dependencies, locking and bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from teams_obs.cli import main
from teams_obs.embedded import EmbeddedPostgres
from teams_obs.partitions import add_months, current_month
from teams_obs.pytest_plugin import admin_execute
from teams_obs.sqitch import Engine
from teams_obs.sqitch.engine import libpq_url, sqitch_destination
from teams_obs.sqitch.registry import ADVISORY_LOCK
from tests.partition_helpers import attempt, drop_partitions_from, partitions, wait_until_blocked
from tests.sqitch_projects import PLANNER, table_scripts, write_project

PLAN = f"""\
one 2026-01-01T00:00:01Z {PLANNER} # first
two [one] 2026-01-01T00:00:02Z {PLANNER} # second
@v1 2026-01-01T00:00:03Z {PLANNER} # tag
three [two] 2026-01-01T00:00:04Z {PLANNER} # third
"""


def project(root: Path, **overrides: tuple[str, str, str]) -> Path:
    scripts = {name: table_scripts(name) for name in ("one", "two", "three")}
    return write_project(root, PLAN, {**scripts, **overrides})


def cli(top: Path, url: str, *args: str, input: str | None = None):
    env = {"TEAMS_OBS_TOP_DIR": str(top)}
    return CliRunner(env=env).invoke(main, ["--db", url, *args], input=input)


def registry(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('sqitch.changes')").fetchone()[0] is None:
            return []
        return conn.execute(query).fetchall()


def deployed(url: str) -> list[str]:
    return [r[0] for r in registry(url, "SELECT change FROM sqitch.changes ORDER BY committed_at")]


def events(url: str) -> list[tuple[str, str]]:
    return registry(url, "SELECT event, change FROM sqitch.events ORDER BY committed_at")


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_failing_deploy_script_leaves_registry_as_it_was(tmp_path, empty_db_url):
    top = project(tmp_path, three=("CREATE TABLE three (id int); SELECT 1/0;", "DROP TABLE three;", "SELECT 1;"))
    assert cli(top, empty_db_url, "deploy", "--to", "one").exit_code == 0
    result = cli(top, empty_db_url, "deploy")
    assert result.exit_code == 2 and "division by zero" in result.output
    assert deployed(empty_db_url) == ["one"], "mode all reverts what this run deployed"
    assert tables(empty_db_url) == {"one"}
    assert events(empty_db_url)[-3:] == [("deploy", "two"), ("fail", "three"), ("revert", "two")]


def test_mode_change_keeps_earlier_changes_of_the_run(tmp_path, empty_db_url):
    top = project(tmp_path, three=("SELECT 1/0;", "SELECT 1;", "SELECT 1;"))
    assert cli(top, empty_db_url, "deploy", "--mode", "change").exit_code == 2
    assert deployed(empty_db_url) == ["one", "two"]


def test_failing_verify_reverts_that_change(tmp_path, empty_db_url):
    top = project(tmp_path, two=("CREATE TABLE two (id int);", "DROP TABLE two;", "SELECT missing FROM two;"))
    result = cli(top, empty_db_url, "deploy", "--verify", "--mode", "change")
    assert result.exit_code == 2, result.output
    assert deployed(empty_db_url) == ["one"]
    assert tables(empty_db_url) == {"one"}
    assert events(empty_db_url)[-1] == ("fail", "two")


def test_deployed_change_missing_from_plan_is_refused(tmp_path, empty_db_url):
    top = project(tmp_path)
    assert cli(top, empty_db_url, "deploy").exit_code == 0
    plan = top / "sqitch.plan"
    plan.write_text(plan.read_text().replace(plan.read_text().splitlines()[-1], ""))
    for command in ("deploy", "status", "revert"):
        result = cli(top, empty_db_url, command, "-y") if command == "revert" else cli(top, empty_db_url, command)
        assert result.exit_code == 2 and "Cannot find change" in result.output, (command, result.output)
    assert "Not present in the plan" in cli(top, empty_db_url, "verify").output


def test_revert_asks_for_confirmation(tmp_path, empty_db_url):
    top = project(tmp_path)
    cli(top, empty_db_url, "deploy")
    declined = cli(top, empty_db_url, "revert", input="n\n")
    assert declined.exit_code == 1 and "Nothing reverted" in declined.output
    assert deployed(empty_db_url) == ["one", "two", "three"]
    accepted = cli(top, empty_db_url, "revert", "--to", "@v1", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert deployed(empty_db_url) == ["one", "two"]


def test_deploy_and_revert_to(tmp_path, empty_db_url):
    top = project(tmp_path)
    assert cli(top, empty_db_url, "deploy", "--to", "@v1").exit_code == 0
    assert deployed(empty_db_url) == ["one", "two"]
    assert registry(empty_db_url, "SELECT tag FROM sqitch.tags") == [("@v1",)]
    assert "Cannot deploy to an earlier change" in cli(top, empty_db_url, "deploy", "--to", "one").output
    assert cli(top, empty_db_url, "revert", "-y", "--to", "one").exit_code == 0
    assert deployed(empty_db_url) == ["one"] and tables(empty_db_url) == {"one"}
    assert "Unknown change" in cli(top, empty_db_url, "deploy", "--to", "nope").output


def test_dependency_and_conflict_checks(tmp_path, empty_db_url):
    plan = (f"one 2026-01-01T00:00:01Z {PLANNER}\n"
            f"two [other:thing] 2026-01-01T00:00:02Z {PLANNER}\n")
    top = write_project(tmp_path / "a", plan, {"one": table_scripts("one"), "two": table_scripts("two")})
    result = cli(top, empty_db_url, "deploy")
    assert result.exit_code == 2 and "Missing required change: other:thing" in result.output
    assert deployed(empty_db_url) == []

    plan = (f"one 2026-01-01T00:00:01Z {PLANNER}\n"
            f"two [!one] 2026-01-01T00:00:02Z {PLANNER}\n")
    top = write_project(tmp_path / "b", plan, {"one": table_scripts("one"), "two": table_scripts("two")})
    result = cli(top, empty_db_url, "deploy")
    assert result.exit_code == 2 and "Conflicts with previously deployed change: one" in result.output
    assert deployed(empty_db_url) == []


def test_revert_refuses_to_break_a_dependency_of_another_project(tmp_path, empty_db_url):
    top = project(tmp_path)
    cli(top, empty_db_url, "deploy")
    other = write_project(tmp_path / "other", f"uses [demo:two] 2026-01-01T00:00:05Z {PLANNER}\n",
                          {"uses": table_scripts("uses")}, project="other")
    assert cli(other, empty_db_url, "deploy").exit_code == 0
    result = cli(top, empty_db_url, "revert", "-y")
    assert result.exit_code == 2 and 'required by currently deployed change: other:uses' in result.output
    assert deployed(empty_db_url) == ["one", "two", "three", "uses"]


def test_concurrent_deploys_apply_each_change_once(tmp_path, empty_db_url):
    top = project(tmp_path, one=("SELECT pg_sleep(1); CREATE TABLE one (id int);", "DROP TABLE one;", "SELECT 1;"))
    env = {**os.environ, "TEAMS_OBS_TOP_DIR": str(top)}
    command = [sys.executable, "-m", "teams_obs", "--db", empty_db_url, "deploy"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert deployed(empty_db_url) == ["one", "two", "three"]
    assert [e for e in events(empty_db_url) if e[0] == "deploy"] == [("deploy", n) for n in ("one", "two", "three")]
    assert any("Nothing to deploy" in out for out in outputs), outputs


def test_the_lock_timeout_bounds_the_wait_for_another_instance_not_the_registrys_statements(tmp_path, empty_db_url):
    """After waiting for the advisory lock, the registry's own statements wait as long as the database lets
    them (sqitch resets lock_timeout too): a table lock held a moment longer than --lock-timeout is waited out."""
    top = project(tmp_path)
    Engine(empty_db_url, top, echo=lambda _line: None).deploy(to="one")
    engine = Engine(empty_db_url, top, echo=lambda _line: None, lock_timeout_s=1)
    outcome: list[BaseException | list] = []
    deploying = threading.Thread(target=lambda: outcome.append(attempt(engine.deploy)))
    with psycopg.connect(empty_db_url, autocommit=True) as holder, \
            psycopg.connect(empty_db_url, autocommit=True) as observer:
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
        with holder.transaction():
            holder.execute("LOCK TABLE sqitch.changes IN ACCESS EXCLUSIVE MODE")
            deploying.start()
            wait_until_blocked(observer, "SELECT pg_advisory_lock(%", "advisory")
            holder.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
            time.sleep(2)  # the deploy now waits for sqitch.changes, longer than its lock timeout
        deploying.join(timeout=60)
    assert not isinstance(outcome[0], BaseException), outcome[0]
    assert deployed(empty_db_url) == ["one", "two", "three"]


def set_for_new_sessions(url: str, setting: str, value: str) -> None:
    """``setting`` for the sessions opened on the test's own database from now on."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
            sql.Identifier(url.rpartition("/")[2]), sql.Identifier(setting), sql.Literal(value)))


def test_revert_holds_no_transaction_open_while_it_asks_for_confirmation(tmp_path, empty_db_url):
    """As sqitch: however long the operator takes, the registry holds no snapshot and no lock on sqitch.*
    meanwhile (the advisory lock, a session's, keeps other runs out), so idle_in_transaction_session_timeout
    ends no revert."""
    top = project(tmp_path)
    Engine(empty_db_url, top, echo=lambda _line: None).deploy()
    set_for_new_sessions(empty_db_url, "idle_in_transaction_session_timeout", "300ms")

    def slow_yes(_question: str) -> bool:
        time.sleep(1)
        return True

    reverted = Engine(empty_db_url, top, echo=lambda _line: None).revert("one", confirm=slow_yes)
    assert [change.name for change in reverted] == ["three", "two"]
    assert deployed(empty_db_url) == ["one"] and tables(empty_db_url) == {"one"}


def test_a_deploy_that_waits_for_another_instance_opens_its_script_session_after_the_wait(tmp_path, empty_db_url):
    """A script session opened before the wait would sit idle through it, and idle_session_timeout end it."""
    top = project(tmp_path)
    set_for_new_sessions(empty_db_url, "idle_session_timeout", "300ms")
    engine = Engine(empty_db_url, top, echo=lambda _line: None)
    outcome: list[BaseException | list] = []
    deploying = threading.Thread(target=lambda: outcome.append(attempt(engine.deploy)))
    sessions = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("SET idle_session_timeout = 0")
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
        before = set(holder.execute(sessions).fetchall())  # sessions of this test's set-up still ending
        deploying.start()
        wait_until_blocked(holder, "SELECT pg_advisory_lock(%", "advisory")
        # the waiting registry session alone: the script session is not open yet (with idle_session_timeout
        # it would be ended; without, the deploy opens another when it finds it ended, which hides it)
        others = len(set(holder.execute(sessions).fetchall()) - before)
        time.sleep(1)
        holder.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        deploying.join(timeout=60)
    assert not isinstance(outcome[0], BaseException), outcome[0]
    assert others == 1
    assert deployed(empty_db_url) == ["one", "two", "three"]


def test_a_script_session_lost_mid_script_fails_its_change_and_the_run_is_reverted(tmp_path, empty_db_url):
    """As psql, started anew for each script by sqitch: the scripts after a lost session (a terminated backend,
    a failover) get a new one, so the run's reverts run."""
    top = project(tmp_path, three=("SELECT pg_sleep(60);", "SELECT 1;", "SELECT 1;"))
    Engine(empty_db_url, top, echo=lambda _line: None).deploy(to="one")
    deploy = subprocess.Popen([sys.executable, "-m", "teams_obs", "--db", empty_db_url, "deploy"],
                              env={**os.environ, "TEAMS_OBS_TOP_DIR": str(top)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with psycopg.connect(empty_db_url, autocommit=True) as killer:
            for _ in range(600):
                if killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE query LIKE 'SELECT pg_sleep(60)%'").fetchone():
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the deploy never ran deploy/three.sql")
        output = deploy.communicate(timeout=60)[0]
    finally:
        deploy.kill()
    assert deploy.returncode == 2, output
    assert "+ three .... not ok: deploy/three.sql:3: terminating connection due to administrator command" in output
    assert "Reverting to one\n  - two @v1 .. ok\n" in output, output
    assert deployed(empty_db_url) == ["one"] and tables(empty_db_url) == {"one"}
    assert events(empty_db_url)[-3:] == [("deploy", "two"), ("fail", "three"), ("revert", "two")]


def test_a_script_session_lost_between_two_scripts_is_opened_anew(tmp_path, empty_db_url):
    """Lost while idle (terminated, a failover), the session is found dead only by the next script's reset."""
    top = project(tmp_path)
    killed = []

    def echo(line: str) -> None:
        if line.startswith("  + one"):
            with psycopg.connect(empty_db_url, autocommit=True) as killer:
                # the script session ran deploy/one.sql's COMMIT; the registry's sends its own without ';'
                killed.extend(killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                             " WHERE query = 'COMMIT;' AND datname = current_database()").fetchall())

    Engine(empty_db_url, top, echo=echo).deploy()
    assert killed == [(True,)]
    assert deployed(empty_db_url) == ["one", "two", "three"]


def test_log_status_and_verify_show_names_and_errors_as_written(tmp_path, empty_db_url, monkeypatch):
    """A committer's name and a verify error are text, not rich markup (a [/team] closed no tag: rich raised)."""
    failing_verify = "DO $$BEGIN RAISE EXCEPTION 'GET [/v1.0/users] failed'; END$$;"
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(project(tmp_path, one=(*table_scripts("one")[:2], failing_verify))))
    monkeypatch.setenv("SQITCH_FULLNAME", "Ann [/team] [bold]\x1b[31m")
    assert CliRunner().invoke(main, ["--db", empty_db_url, "deploy", "--to", "one"]).exit_code == 0
    for command in ("log", "status"):
        result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["--db", empty_db_url, command])
        assert result.exit_code == 0, result
        assert r"Ann [/team] [bold]\x1b[31m" in result.output and "\x1b" not in result.output, result.output
    result = CliRunner().invoke(main, ["--db", empty_db_url, "verify"])
    assert result.exit_code == 2 and "GET [/v1.0/users] failed" in result.output, result


def test_unreachable_database_is_one_line_and_status_2(tmp_path):
    top = project(tmp_path)
    run = subprocess.run([sys.executable, "-m", "teams_obs", "--db", "postgresql://nobody@127.0.0.1:1/none",
                          "status"], env={**os.environ, "TEAMS_OBS_TOP_DIR": str(top)},
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stdout == "# On database db:pg://nobody@127.0.0.1:1/none\n"  # as sqitch heads status
    assert len(run.stderr.strip().splitlines()) == 1 and "cannot reach the database" in run.stderr


@pytest.mark.parametrize(("line", "message"), [
    ("bad name! 2026-01-01T00:00:01Z A <a@b>", "line 4: Invalid name"),
    ("four 2026-01-01T00:00:01Z", "line 4: Missing planner name and email"),
    ("four A <a@b>", "line 4: Missing timestamp"),
    ("four [!] 2026-01-01T00:00:01Z A <a@b>", "line 4:"),
])
def test_plan_syntax_error_names_the_line(tmp_path, line, message):
    top = write_project(tmp_path, line + "\n", {})
    result = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(top)}).invoke(main, ["plan"])
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.parametrize("command", [[], ["deploy"], ["revert"], ["verify"], ["check"], ["status"], ["log"],
                                     ["plan"], ["demo"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_demo_runs_on_embedded_postgres_and_leaves_a_named_database_alone(db, tmp_path):
    """The demo reverts everything it deployed: a database named by --db or TEAMS_OBS_DATABASE_URL (as
    README's Deploying section exports it), or by a sqitch user's default target, must never be where it runs,
    nor stop it."""
    db.execute("SELECT teams_obs.record_delivery('00000000-0000-4000-8000-0000000000d1', 'chat', 'kept', 'sent')")
    named = psycopg.conninfo.make_conninfo(db.info.dsn, password=db.info.password)
    (tmp_path / "user.conf").write_text("[core]\n\ttarget = db:pg://prod.example/app\n")
    run = subprocess.run([sys.executable, "-m", "teams_obs", "demo"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TEAMS_OBS_DATABASE_URL": named,
                              "SQITCH_USER_CONFIG": str(tmp_path / "user.conf")})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "the database named by --db or TEAMS_OBS_DATABASE_URL is not touched" in run.stderr
    assert db.execute("SELECT destination_id FROM teams_obs.notification_deliveries").fetchall() == [("kept",)]
    for step in ("deploy --verify", "verify", "status", "log", "revert -y", "maintain --dry-run", "deliveries list",
                 "audit list", "conversations show", "health"):
        assert f"teams-obs {step}" in run.stdout
    assert "the client records deliveries" in run.stdout and "teams-obs record" not in run.stdout  # no such command
    assert "Verify successful" in run.stdout
    for seen in ("graph_throttled", "skipped", "delivered", "sent", "add_note", "a:personal-chat"):
        assert seen in run.stdout


@pytest.mark.parametrize(("url", "named"), [
    ("postgresql://ops:s3cret@db.example:5433/app?sslmode=require", "db:pg://ops:@db.example:5433/app?sslmode=require"),
    ("postgresql://ops@db.example:5433/app", "db:pg://ops@db.example:5433/app"),
    ("postgres://db.example/app", "db:pg://db.example/app"),
    ("postgresql:///app?host=/run/postgresql", "db:pg:///app?host=/run/postgresql"),
    # libpq's split: a password ends at the first '@', whatever '?', '#' or '[' it holds
    ("postgresql://ops:Hunter?2@db.example:5433/app", "db:pg://ops:@db.example:5433/app"),
    ("postgresql://ops:Hun#ter2@db.example/app", "db:pg://ops:@db.example/app"),
    ("postgresql://u:pa[ss@db.example/app?password=x&sslmode=require", "db:pg://u:@db.example/app?sslmode=require"),
    # the key of a client certificate is as secret as the password
    ("postgresql://ops@db.example/app?sslpassword=SECRET", "db:pg://ops@db.example/app"),
    ("postgresql://ops@db.example/app?sslpassword=SECRET&sslmode=verify-full&password=s3cret",
     "db:pg://ops@db.example/app?sslmode=verify-full"),
    ("host=db.example port=5433 user=ops password=s3cret dbname=app", "db:pg://ops@db.example:5433/app"),
])
def test_messages_name_the_database_as_sqitch_does_without_its_password(url: str, named: str) -> None:
    assert sqitch_destination(url) == named


@pytest.mark.parametrize(("target", "url"), [
    ("db:pg://ops:s3cret@db.example:5433/app?sslmode=require", "postgresql://ops:s3cret@db.example:5433/app?sslmode=require"),
    ("db:pg:app", "postgresql:///app"),
    ("db:pg:///app?host=/run/postgresql", "postgresql:///app?host=/run/postgresql"),
    ("postgresql://db.example/app", "postgresql://db.example/app"),
    ("host=db.example dbname=app", "host=db.example dbname=app"),
])
def test_a_sqitch_target_names_the_database_it_would_for_sqitch(target: str, url: str) -> None:
    assert libpq_url(target) == url


def test_the_cli_takes_a_sqitch_target(db_url: str) -> None:
    target = "db:pg:" + db_url.removeprefix("postgresql:")
    result = CliRunner().invoke(main, ["--db", target, "status"])
    assert result.exit_code == 0 and f"# On database {sqitch_destination(db_url)}" in result.output, result.output


def test_a_database_not_in_utf8_is_refused_before_anything_is_created(pg_cluster):
    name = sql.Identifier("teams_obs_latin1")
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
                                      "TEMPLATE template0").format(name))
    try:
        url = pg_cluster.url("teams_obs_latin1")
        result = CliRunner().invoke(main, ["--db", url, "deploy"])
        assert result.exit_code == 2 and "teams_obs needs a UTF8 database, not LATIN1" in result.output
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT to_regnamespace('teams_obs')").fetchone()[0] is None
        assert deployed(url) == []
    finally:
        admin_execute(pg_cluster, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_command_stops_its_embedded_cluster_and_removes_it(signum):
    """`timeout`, a CronJob's end or a closed terminal: the throwaway cluster must not outlive the command."""
    # A temp dir of its own (other tests start clusters meanwhile), which the postgres OS user can enter.
    with tempfile.TemporaryDirectory() as private:
        Path(private).chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k != "TEAMS_OBS_DATABASE_URL"}
        env.update(PYTHONUNBUFFERED="1", TMPDIR=private)
        with subprocess.Popen([sys.executable, "-m", "teams_obs", "demo"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env) as demo:
            for line in demo.stdout:
                if "Deploying changes" in line:  # the cluster is up
                    assert list(Path(private).glob("teams_obs_pg_*"))
                    break
            else:
                pytest.fail("the demo never started deploying")
            demo.send_signal(signum)
            demo.stdout.read()
            assert demo.wait(timeout=60) == 128 + signum
        assert list(Path(private).glob("teams_obs_pg_*")) == []


@pytest.mark.parametrize(("signum", "stderr_open"), [(signal.SIGINT, True), (signal.SIGTERM, True),
                                                    (signal.SIGHUP, False)])
def test_a_signalled_command_cancels_its_statement(db_url, signum, stderr_open):
    """Ctrl-C, `timeout`, a CronJob's end or a hung-up terminal (whose standard error is gone): the statement
    the command waits on is cancelled, not left to the server to finish after the client is gone, and the
    exit status says which signal it was."""
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%list_deliveries%%'"
               " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")
    with psycopg.connect(db_url) as blocker, psycopg.connect(db_url, autocommit=True) as watcher:
        blocker.execute("LOCK TABLE teams_obs.notification_deliveries IN ACCESS EXCLUSIVE MODE")
        with subprocess.Popen([sys.executable, "-m", "teams_obs", "--db", db_url, "deliveries", "list", "--tenant",
                               "00000000-0000-4000-8000-000000000001"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as command:
            for _ in range(600):
                if watcher.execute(waiting).fetchone() == (1,):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the command never waited for the lock")
            if not stderr_open:
                command.stderr.close()
            command.send_signal(signum)
            assert command.wait(timeout=60) == 128 + signum
            if stderr_open:
                assert f"teams-obs: stopped by {signal.Signals(signum).name}" in command.stderr.read()
        assert watcher.execute(waiting).fetchone() == (0,)  # while the lock is still held


@pytest.mark.parametrize("grant", ["ALTER ROLE teams_obs_writer LOGIN", "GRANT pg_read_all_data TO teams_obs_reader"])
def test_a_role_that_exists_with_more_than_nologin_is_refused(pg_cluster, teams_obs_template, empty_db_url, grant):
    """The roles are cluster-wide: one found already there must be the bare NOLOGIN role this plan creates."""
    revoke = {"ALTER ROLE teams_obs_writer LOGIN": "ALTER ROLE teams_obs_writer NOLOGIN",
              "GRANT pg_read_all_data TO teams_obs_reader": "REVOKE pg_read_all_data FROM teams_obs_reader"}[grant]
    admin_execute(pg_cluster, sql.SQL(grant))
    try:
        result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    finally:
        admin_execute(pg_cluster, sql.SQL(revoke))
    role = grant.split()[2] if grant.startswith("ALTER") else "teams_obs_reader"
    assert result.exit_code == 2 and f"role {role} exists with more than NOLOGIN" in result.output
    assert deployed(empty_db_url) == []


@pytest.mark.parametrize("command", [["health"], ["cleanup"], ["deliveries", "list", "--tenant", str(uuid.uuid4())]])
def test_a_command_on_a_plan_deployed_in_part_says_so(empty_db_url, command):
    Engine(empty_db_url, echo=lambda _line: None).deploy(to="record_delivery")
    result = CliRunner().invoke(main, ["--db", empty_db_url, *command])
    assert result.exit_code == 2, result.output
    assert "the plan is not deployed here up to its last change: see teams-obs status" in result.output


@pytest.mark.parametrize(("role", "command", "denied", "advice"), [
    ("teams_obs_writer", ["maintain"], "permission denied for function",
     "grant this login teams_obs_maintainer, the role teams-obs maintain needs"),
    ("teams_obs_writer", ["deliveries", "list", "--tenant", str(uuid.uuid4())], "permission denied for function",
     "grant this login teams_obs_reader, the role teams-obs deliveries needs"),
    ("teams_obs_writer", ["health"], "permission denied for function",
     "grant this login teams_obs_reader (teams_obs_maintainer without --tenant), the role teams-obs health"),
    ("teams_obs_maintainer", ["status"], "permission denied for schema sqitch",
     "the registry (schema sqitch) is the deploying role's"),  # no teams_obs role would help
    ("teams_obs_reader", ["deploy"], "permission denied for database",
     "deploy as the role that owns schema teams_obs (or is to own it), which needs CREATE on the database"),
])
def test_a_login_denied_is_told_what_would_let_it(empty_db_url, db_url, role, command, denied, advice):
    database = empty_db_url if command == ["deploy"] else db_url
    login = psycopg.conninfo.make_conninfo(database, options=f"-c role={role}")
    result = CliRunner().invoke(main, ["--db", login, *command])
    assert result.exit_code == 2, result.output
    assert denied in result.output and advice in result.output, result.output


def test_the_embedded_cluster_refuses_a_connection_without_its_password(pg_cluster):
    """Any local user could otherwise connect as its superuser while it runs."""
    parts = urllib.parse.urlsplit(pg_cluster.url())
    assert parts.password
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{parts.port}/postgres", connect_timeout=10)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"postgresql://postgres:guess@127.0.0.1:{parts.port}/postgres", connect_timeout=10)


def test_a_lock_timeout_is_reported_as_the_statements_error_not_as_an_unreachable_database(db_url):
    """psycopg counts lock timeouts among its OperationalErrors, as it does a lost connection."""
    impatient = psycopg.conninfo.make_conninfo(db_url, options="-c lock_timeout=300ms")
    with psycopg.connect(db_url) as holder:
        holder.execute("SELECT teams_obs.lock_partition_maintenance('teams_obs.notification_deliveries')")
        result = CliRunner().invoke(main, ["--db", impatient, "purge-tenant", str(uuid.uuid4()), "--yes"])
    assert result.exit_code == 2, result.output
    assert "canceling statement due to lock timeout [55P03]" in result.output
    assert "cannot reach" not in result.output


def test_a_deploy_killed_while_its_script_waits_commits_neither_the_script_nor_its_registry_row(empty_db_url):
    """Killed while a statement of the script's transaction block waits, the command must not leave the
    change done in the catalog but missing from the registry, which every later deploy would trip over."""
    Engine(empty_db_url, echo=lambda _line: None).deploy(to="maintenance_status")
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
               " AND query LIKE 'DO $rls$%'")
    with psycopg.connect(empty_db_url, autocommit=True) as watcher:
        with psycopg.connect(empty_db_url) as reader:
            reader.execute("SELECT count(*) FROM teams_obs.conversation_references")  # holds ACCESS SHARE
            deploy = subprocess.Popen([sys.executable, "-m", "teams_obs", "--db", empty_db_url, "deploy"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(600):
                if watcher.execute(waiting).fetchone() == (1,):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the deploy never waited in row_level_security")
            deploy.kill()
            deploy.wait(timeout=60)
            for _ in range(100):  # the server notices within client_connection_check_interval
                if watcher.execute(waiting).fetchone() == (0,):
                    break
                time.sleep(0.1)
        assert watcher.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'teams_obs.audit_events'::regclass"
                               ).fetchone() == (False,)
    assert deployed(empty_db_url)[-1] == "maintenance_status"
    result = CliRunner().invoke(main, ["--db", empty_db_url, "deploy"])
    assert result.exit_code == 0, result.output


def test_deploy_with_nothing_to_deploy_still_keeps_three_months_ahead(db, db_url):
    """teams-obs deploy runs maintain after the plan, also when the plan is up to date."""
    first = current_month(db)
    drop_partitions_from(db, add_months(first, 1))
    result = CliRunner().invoke(main, ["--db", db_url, "deploy"])
    assert result.exit_code == 0, result.output
    ahead = {f"teams_obs.notification_deliveries_p{add_months(first, i):%Y_%m}" for i in range(1, 4)}
    assert ahead <= set(partitions(db))


def test_deploy_fails_when_maintain_cannot_make_a_month(db, db_url):
    """A partition of other bounds in a month's way: the deploy is done, but the command must not say all is."""
    first = current_month(db)
    drop_partitions_from(db, add_months(first, 2))
    db.execute(f"CREATE TABLE teams_obs.odd PARTITION OF teams_obs.notification_deliveries"
               f" FOR VALUES FROM ('{add_months(first, 2):%Y-%m}-15 00:00:00+00')"
               f" TO ('{add_months(first, 3):%Y-%m}-15 00:00:00+00')")
    result = CliRunner().invoke(main, ["--db", db_url, "deploy"])
    assert result.exit_code == 2, result.output
    assert f"notification_deliveries_p{add_months(first, 2):%Y_%m}" in result.output


def test_a_cluster_that_fails_to_start_leaves_no_directory_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMS_OBS_PG_BINDIR", str(tmp_path / "no-such-bin"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError):
        EmbeddedPostgres()
    assert list(tmp_path.glob("teams_obs_pg_*")) == []


@pytest.mark.parametrize("command", [["health"], ["maintain"], ["maintain", "--dry-run"], ["cleanup"],
                                     ["purge-tenant", "00000000-0000-4000-8000-000000000001", "--yes"]])
def test_commands_on_data_elsewhere_refuse_a_throwaway_cluster(command: list[str]) -> None:
    """A monitor whose URL went missing would stay green, a purge would report a tenant gone."""
    result = CliRunner(env={"TEAMS_OBS_DATABASE_URL": None}).invoke(main, command)
    assert result.exit_code == 2, result.output
    assert "name the database with --db or TEAMS_OBS_DATABASE_URL" in result.output
    assert "starting an embedded" not in result.output


def test_db_after_the_command_is_told_where_it_goes() -> None:
    """sqitch takes its target after the command; teams-obs's --db is the group's."""
    result = CliRunner().invoke(main, ["deploy", "--db", "postgresql:///app"])
    assert result.exit_code == 2 and "--db goes before the command, as in: teams-obs --db URL deploy" in result.output
    assert "Did you mean" not in result.output


@pytest.mark.parametrize("database", ["", " "])
def test_an_empty_db_is_refused(database: str) -> None:
    """An unset shell variable in `--db "$URL"` connects nowhere: neither to libpq's defaults nor to a throwaway
    cluster."""
    result = CliRunner().invoke(main, ["--db", database, "status"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--db': empty; name a URL" in result.output
    assert "On database" not in result.output and "starting an embedded" not in result.output
