"""Interoperability with the real sqitch 1.3 binary: same ids, same registry, either tool continues."""

from __future__ import annotations

import hashlib
import itertools
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from teams_obs.cli import main
from teams_obs.sqitch import Engine, load_plan, project_root
from teams_obs.sqitch.registry import ADVISORY_LOCK
from tests.checkout import checkout_env
from tests.sqitch_projects import (
    PLANNER,
    SideBySide,
    run_sqitch,
    sqitch_env,
    sqitch_target,
    table_scripts,
    write_project,
)

pytestmark = pytest.mark.usefixtures("sqitch_bin")

RICH_PLAN = f"""\
base 2026-01-02T03:04:05Z {PLANNER} # Base tables
uses_base [base] 2026-01-02T03:05:05Z {PLANNER} # Needs base; note with ünïcödé and 日本語 ✓
@v0.9 2026-01-02T03:05:35Z {PLANNER} # Two tags between the first two instances of base
exclusive [!other:legacy] 2026-01-02T03:06:05Z {PLANNER} # Conflicts with another project's change
@v1.0 2026-01-02T03:07:05Z {PLANNER} # First release
base [base@v1.0] 2026-01-02T03:08:05Z {PLANNER} # Rework base: add a column
@v1.1 2026-01-02T03:09:05Z {PLANNER}
own_project [demo:uses_base] 2026-01-02T03:09:35Z {PLANNER} # Names its own project
@v1.2 2026-01-02T03:09:45Z {PLANNER}
base [base@v1.2] 2026-01-02T03:10:05Z {PLANNER} # Rework base again
"""


def rich_project(root: Path) -> Path:
    """The scripts of a reworked instance are those of the first of its rework tags (the tags after it, the
    latest first, then its own) that has them: base's first instance has two, and the older one, whose
    scripts would fail, is never run; the second instance's only ones carry the later of its two tags."""
    never_run = ("SELECT 1/0;", "SELECT 1/0;", "SELECT 1/0;")
    return write_project(root, RICH_PLAN, {
        "base@v0.9": never_run,
        "base@v1.0": table_scripts("base"),
        "base@v1.2": ("ALTER TABLE base ADD COLUMN extra int;", "ALTER TABLE base DROP COLUMN extra;",
                      "SELECT extra FROM base WHERE false;"),
        "base": ("ALTER TABLE base ADD COLUMN more int;", "ALTER TABLE base DROP COLUMN more;",
                 "SELECT extra, more FROM base WHERE false;"),
        "uses_base": table_scripts("uses_base"),
        "exclusive": table_scripts("exclusive"),
        "own_project": table_scripts("own_project"),
    })


def teams_obs(top: Path, url: str, *args: str, monkeypatch, input: str | None = None):
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    return CliRunner().invoke(main, ["--db", url, *args], input=input, catch_exceptions=False)


def sqitch_ids(top: Path) -> list[str]:
    raw = run_sqitch(top, "plan", "--format", "raw").stdout
    return re.findall(r"^deploy ([0-9a-f]{40})", raw, flags=re.M)


def sqitch_tag_id(top: Path, tag: str) -> str:
    info = run_sqitch(top, "show", "tag", tag).stdout.rstrip("\n").encode()
    return hashlib.sha1(b"tag %d\0" % len(info) + info).hexdigest()


def changes_in_registry(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT change FROM sqitch.changes ORDER BY committed_at")]


# sqitch's planner name is all its greedy [^<]+ takes before the blank ahead of <email>: the name's trailing
# blanks but one, and a name that is only a blank, are part of the change's and every later change's id.
BLANKS_PLAN = """\
a 2026-01-01T00:00:01Z Test <t@e>
b [a] 2026-01-01T00:00:02Z   Planner   Spaces   <p@b>
two 2026-01-01T00:00:03Z  <a@b>
@t1 2026-01-01T00:00:04Z  Tagger  <t@b>
three 2026-01-01T00:00:05Z\tTab\t\t<x@y>
"""


def crlf_project(root: Path) -> Path:
    """The blanks plan written with Windows line ends, which sqitch reads as the same plan."""
    top = write_project(root, BLANKS_PLAN, {})
    (top / "sqitch.plan").write_bytes((top / "sqitch.plan").read_bytes().replace(b"\n", b"\r\n"))
    return top


@pytest.mark.parametrize("which", ["project", "rich", "blanks", "crlf"])
def test_plan_ids_equal_sqitch(which: str, tmp_path: Path, monkeypatch) -> None:
    top = {"project": project_root, "rich": lambda: rich_project(tmp_path / "rich"),
           "blanks": lambda: write_project(tmp_path / "blanks", BLANKS_PLAN, {}),
           "crlf": lambda: crlf_project(tmp_path / "crlf")}[which]()
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    printed = CliRunner().invoke(main, ["plan"], catch_exceptions=False).output.split("\n")
    change_ids = [line.split()[0] for line in printed if line and not line.split()[1].startswith("@")]
    assert change_ids and change_ids == sqitch_ids(top)
    for change in load_plan(top / "sqitch.plan").changes:
        for tag in change.tags:
            assert f"{sqitch_tag_id(top, tag.format_name)} {tag.format_name}" in printed


def test_sqitch_continues_after_teams_obs(tmp_path: Path, empty_db_url: str, monkeypatch) -> None:
    top = rich_project(tmp_path / "p")
    assert teams_obs(top, empty_db_url, "deploy", "--verify", monkeypatch=monkeypatch).exit_code == 0
    target = sqitch_target(empty_db_url)
    assert "Nothing to deploy (up-to-date)" in run_sqitch(top, "status", target).stdout
    assert "Verify successful" in run_sqitch(top, "verify", target).stdout
    run_sqitch(top, "revert", "-y", target)
    assert changes_in_registry(empty_db_url) == []
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regclass('base'), to_regclass('uses_base'), to_regclass('own_project')"
                            ).fetchone() == (None, None, None)


def test_teams_obs_continues_after_sqitch(tmp_path: Path, empty_db_url: str, monkeypatch) -> None:
    top = rich_project(tmp_path / "p")
    target = sqitch_target(empty_db_url)
    run_sqitch(top, "deploy", "--to", "exclusive", target)
    status = teams_obs(top, empty_db_url, "status", monkeypatch=monkeypatch)
    assert "# Name:     exclusive" in status.output and "* base @v1.1" in status.output
    verified = teams_obs(top, empty_db_url, "verify", monkeypatch=monkeypatch)
    assert verified.exit_code == 0 and "Undeployed changes:\n  * base @v1.1\n  * own_project @v1.2\n  * base\n" \
        in verified.output
    deployed = teams_obs(top, empty_db_url, "deploy", monkeypatch=monkeypatch)
    assert deployed.exit_code == 0, deployed.output
    assert changes_in_registry(empty_db_url) == ["base", "uses_base", "exclusive", "base", "own_project", "base"]
    assert "Verify successful" in run_sqitch(top, "verify", target).stdout
    reverted = teams_obs(top, empty_db_url, "revert", "-y", "--to", "@v1.0", monkeypatch=monkeypatch)
    assert reverted.exit_code == 0, reverted.output
    assert "Nothing to deploy" not in run_sqitch(top, "status", target).stdout
    run_sqitch(top, "deploy", target)
    assert "Verify successful" in run_sqitch(top, "verify", target).stdout


REGISTRY_TABLES = ["changes", "dependencies", "events", "projects", "releases", "tags"]


def registry_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every registry table, with every column but the *_at times, in the order written."""
    rows = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute("""SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position)
                                   FROM information_schema.columns WHERE table_schema = 'sqitch'
                                  GROUP BY table_name ORDER BY table_name""").fetchall()
        assert [table for table, _columns in tables] == REGISTRY_TABLES
        for table, columns in tables:
            kept = [sql.Identifier(column) for column in columns if not column.endswith("_at")]
            order = [sql.Identifier("committed_at")] if "committed_at" in columns else []
            rows[table] = conn.execute(sql.SQL("SELECT {} FROM sqitch.{} ORDER BY {}").format(
                sql.SQL(", ").join(kept), sql.Identifier(table), sql.SQL(", ").join(order + kept))).fetchall()
    return rows


def test_registry_rows_match_what_sqitch_writes(tmp_path: Path, pg_cluster, monkeypatch) -> None:
    """Deploy the same plan with each tool into two databases, then revert part of it and the rest, each with
    the same tool; after each step the registries must agree row for row, column for column (but times)."""
    top = rich_project(tmp_path / "p")
    urls = {}
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        for tool in ("sqitch", "teams_obs"):
            admin.execute(f"CREATE DATABASE registry_{tool}")
            urls[tool] = pg_cluster.url(f"registry_{tool}")
    monkeypatch.setenv("SQITCH_FULLNAME", "Sqitch Tester")
    monkeypatch.setenv("SQITCH_EMAIL", "sqitch@example.com")
    engine = Engine(urls["teams_obs"], top, echo=lambda _l: None)
    steps = {"deploy": (("deploy",), engine.deploy), "revert to uses_base": (
        ("revert", "-y", "--to", "uses_base"), lambda: engine.revert("uses_base")), "revert": (
        ("revert", "-y"), engine.revert)}
    for step, (sqitch_args, ours) in steps.items():
        run_sqitch(top, *sqitch_args, sqitch_target(urls["sqitch"]))
        ours()
        rows = {tool: registry_rows(url) for tool, url in urls.items()}
        for table in REGISTRY_TABLES:
            assert rows["teams_obs"][table] == rows["sqitch"][table], (step, table)
    # what the comparison covers: the revert events' requires and tags, the tags' committer and planner
    assert [(row[0], row[2], row[5], row[7]) for row in rows["sqitch"]["events"][-6:]] == [
        ("revert", "base", ["base@v1.2"], []), ("revert", "own_project", ["uses_base"], ["@v1.2"]),
        ("revert", "base", ["base@v1.0"], ["@v1.1"]), ("revert", "exclusive", [], ["@v1.0"]),
        ("revert", "uses_base", ["base"], ["@v0.9"]), ("revert", "base", [], [])]
    with psycopg.connect(urls["sqitch"]) as conn:
        assert conn.execute("SELECT DISTINCT committer_name, committer_email, planner_name, planner_email"
                            " FROM sqitch.events").fetchall() == [
            ("Sqitch Tester", "sqitch@example.com", "Test Planner", "planner@example.com")]


def test_the_project_itself_round_trips_between_the_tools(empty_db_url: str, monkeypatch) -> None:
    """sqitch deploys this repository's plan (psql runs every script), teams-obs verifies and reverts it;
    then teams-obs deploys and sqitch verifies and reverts."""
    top, target = project_root(), sqitch_target(empty_db_url)
    run_sqitch(top, "deploy", "--verify", target)
    with psycopg.connect(empty_db_url) as conn:  # SPEC §4: partitions at deploy time, by sqitch too
        months = conn.execute(
            "SELECT t.parent, array_agg(b.lower_bound - date_trunc('month', now(), 'UTC') ORDER BY b.lower_bound)"
            "  FROM teams_obs.month_partitioned_tables() t, teams_obs.partition_bounds(t.parent_oid::regclass) b"
            " WHERE NOT b.is_default GROUP BY t.parent ORDER BY t.parent").fetchall()
    assert [(parent, len(starts), starts[0]) for parent, starts in months] == [
        ("teams_obs.audit_events", 4, timedelta(0)), ("teams_obs.notification_deliveries", 4, timedelta(0))]
    assert "Verify successful" in teams_obs(top, empty_db_url, "verify", monkeypatch=monkeypatch).output
    assert "Nothing to deploy (up-to-date)" in teams_obs(top, empty_db_url, "status", monkeypatch=monkeypatch).output
    assert teams_obs(top, empty_db_url, "revert", "-y", monkeypatch=monkeypatch).exit_code == 0
    assert changes_in_registry(empty_db_url) == []
    assert teams_obs(top, empty_db_url, "deploy", monkeypatch=monkeypatch).exit_code == 0
    assert "Verify successful" in run_sqitch(top, "verify", target).stdout
    run_sqitch(top, "revert", "-y", target)
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('teams_obs')").fetchone()[0] is None


def deploy_command(tool: str, top: Path, url: str, *options: str) -> list[str]:
    if tool == "sqitch":
        return ["sqitch", "deploy", *options, sqitch_target(url)]
    return [sys.executable, "-m", "teams_obs", "--db", url, "deploy", *options]


# An advisory lock the test holds while the holder's deploy script waits for it (pg_locks' objid is its low half).
GATE = 75474064


def wait_for_the_holder(url: str, holder: subprocess.Popen) -> None:
    """Until the holder has sqitch's advisory lock and its deploy script waits at the gate."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(1200):
            if holder.poll() is not None:
                pytest.fail(f"the holder exited ({holder.returncode}) before reaching the gate:\n"
                            f"{holder.communicate()[0]}")
            if conn.execute("SELECT count(*) FILTER (WHERE objid = %s AND granted)"
                            "     + count(*) FILTER (WHERE objid = %s AND NOT granted)"
                            "  FROM pg_locks WHERE locktype = 'advisory'", [ADVISORY_LOCK, GATE]).fetchone()[0] == 2:
                return
            time.sleep(0.05)
    pytest.fail("no deploy took the advisory lock and reached its script")


@pytest.mark.parametrize(("holder", "waiter"), [("sqitch", "teams-obs"), ("teams-obs", "sqitch")])
def test_each_tool_waits_for_the_others_deploy_and_gives_up_after_its_lock_timeout(
        holder: str, waiter: str, tmp_path: Path, empty_db_url: str) -> None:
    """One advisory lock (sqitch's) keeps the two tools from deploying at once; --lock-timeout bounds the wait.
    The holder's script waits for a lock the test releases only once the waiter has given up."""
    top = write_project(tmp_path / "p", f"slow 2026-01-01T00:00:01Z {PLANNER} # waits at the gate\n", {
        "slow": (f"SELECT pg_advisory_xact_lock({GATE}); CREATE TABLE slow (id int);", "DROP TABLE slow;",
                 "SELECT id FROM slow;")})
    env = checkout_env({**sqitch_env(), "TEAMS_OBS_TOP_DIR": str(top)})  # cwd is the project, not this checkout
    with psycopg.connect(empty_db_url, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", [GATE])
        deploying = subprocess.Popen(deploy_command(holder, top, empty_db_url), cwd=top, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for_the_holder(empty_db_url, deploying)
            started = time.monotonic()
            refused = subprocess.run(deploy_command(waiter, top, empty_db_url, "--lock-timeout", "1"), cwd=top,
                                     env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            waited = time.monotonic() - started
            assert deploying.poll() is None, "the holder finished before the waiter gave up"
        finally:
            gate.execute("SELECT pg_advisory_unlock(%s)", [GATE])
            try:
                deploying.wait(timeout=60)
            finally:
                deploying.kill()
    assert deploying.communicate(timeout=60)[0] and deploying.returncode == 0
    assert refused.returncode != 0 and waited >= 1, refused.stdout
    assert re.search(r"Blocked by another instance of [Ss]qitch.*waiting 1 seconds", refused.stdout), refused.stdout
    assert re.search(r"Timed out waiting 1 seconds for another instance", refused.stdout), refused.stdout
    assert changes_in_registry(empty_db_url) == ["slow"]


A_PLANNER = "2026-01-01T00:00:01Z A <a@b>"
PLANS_SQITCH_REFUSES = {
    "tag without a change": f"@v1 {A_PLANNER}",
    "reserved change name": f"HEAD {A_PLANNER}",
    "reserved tag name": f"one {A_PLANNER}\n@ROOT {A_PLANNER}",
    "name like a change id": f"abcdef0123456789abcdef0123456789abcdef01 {A_PLANNER}",
    "blank in a name": f"one two {A_PLANNER}",
    "digit after punctuation": f"one {A_PLANNER}\n@v/1 {A_PLANNER}",
    "slash in a tag": f"one {A_PLANNER}\n@v/a {A_PLANNER}",
    "tag twice": f"one {A_PLANNER}\n@v1 {A_PLANNER}\n@v1 {A_PLANNER}",
    "tag with dependencies": f"one {A_PLANNER}\n@v1 [one] {A_PLANNER}",
    "change twice without a tag between": f"one {A_PLANNER}\none {A_PLANNER}",
    "dependency twice": f"one {A_PLANNER}\ntwo [one one] {A_PLANNER}",
    "no timestamp": "one A <a@b>",
    "no planner": "one 2026-01-01T00:00:01Z",
    "requires itself": f"one [one] {A_PLANNER}",
    "requires an unknown change": f"one [nope] {A_PLANNER}",
    "requires later changes and tags": f"one [two three] {A_PLANNER}\ntwo {A_PLANNER}\nthree [four] {A_PLANNER}\n"
                                       f"four [two@v1 @v1] {A_PLANNER}\n@v1 {A_PLANNER}",
}


@pytest.mark.parametrize("body", PLANS_SQITCH_REFUSES.values(), ids=PLANS_SQITCH_REFUSES.keys())
def test_a_plan_sqitch_refuses_is_refused_with_sqitchs_message(body: str, tmp_path: Path, monkeypatch) -> None:
    top = write_project(tmp_path / "p", body + "\n", {})
    refused = run_sqitch(top, "plan", check=False)
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    ours = CliRunner().invoke(main, ["plan"])
    assert refused.returncode != 0 and ours.exit_code == 2
    assert ours.output.replace(str(top / "sqitch.plan"), "sqitch.plan") == f"teams-obs: {refused.stderr}"


@pytest.mark.parametrize("uri", ["https://example.com", "HTTPS://Example.COM:443/demo", "http://example.com:80",
                                 "http://example.com:080/", "https://h:/", "http://u:P@Host:8080?x=1#f"])
def test_a_uri_sqitch_hashes_in_another_form_is_refused_naming_that_form(uri: str, tmp_path: Path,
                                                                         monkeypatch) -> None:
    """Hashed as written, such a %uri would give every change another id than sqitch's: neither tool could
    then continue the other's registry. Written as the refusal says, the ids agree."""
    top = write_project(tmp_path / "given", f"one {A_PLANNER}\n", {}, uri=uri)
    hashed = re.search(r"(?m)^uri (.*)$", run_sqitch(top, "show", "change", "one").stdout)[1]
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    refused = CliRunner().invoke(main, ["plan"])
    assert refused.exit_code == 2 and f"sqitch hashes it as {hashed}, which is what to write" in refused.output
    top = write_project(tmp_path / "written", f"one {A_PLANNER}\n", {}, uri=hashed)
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    assert CliRunner().invoke(main, ["plan"]).output.split()[0] == sqitch_ids(top)[0]


@pytest.mark.parametrize("uri", ["urn:ISBN:0451450523", "https://example.com/a b", "https://example.com/%7euser",
                                 "https://bücher.example/"])
def test_a_uri_whose_sqitch_form_is_not_computed_is_refused(uri: str, tmp_path: Path, monkeypatch) -> None:
    top = write_project(tmp_path / "p", f"one {A_PLANNER}\n", {}, uri=uri)
    monkeypatch.setenv("TEAMS_OBS_TOP_DIR", str(top))
    refused = CliRunner().invoke(main, ["plan"])
    assert refused.exit_code == 2 and "teams-obs takes an http:// or https:// URI of unescaped ASCII" in refused.output


def test_a_revert_names_what_another_project_deployed_on_it_as_sqitch_does(tmp_path: Path, pg_cluster) -> None:
    """The requiring change is named with its project and the tag deployed with or after it."""
    demo = write_project(tmp_path / "demo", f"one {A_PLANNER}\n", {"one": table_scripts("one")})
    other = write_project(tmp_path / "other", f"needs [demo:one] {A_PLANNER}\n@v1 {A_PLANNER}\n",
                          {"needs": table_scripts("needs")}, project="other")
    both = SideBySide(pg_cluster)
    both.run(demo, "deploy")
    for url in both.urls.values():
        run_sqitch(other, "deploy", sqitch_target(url))
    said = both.run(demo, "revert", "-y")
    assert "required by currently deployed change: other:needs@v1" in said["sqitch"][2], said
    assert said["teams_obs"] == said["sqitch"]


def test_a_deploy_refuses_a_conflict_naming_no_change_of_the_plan_as_sqitch_does(
        tmp_path: Path, empty_db_url: str, monkeypatch) -> None:
    top = write_project(tmp_path / "p", f"one [!nope] {A_PLANNER}\n", {"one": table_scripts("one")})
    refused = run_sqitch(top, "deploy", sqitch_target(empty_db_url), check=False)
    ours = teams_obs(top, empty_db_url, "deploy", monkeypatch=monkeypatch)
    assert 'Unable to find change "nope" in plan sqitch.plan' in refused.stderr and refused.returncode != 0
    assert ours.exit_code == 2 and f'Unable to find change "nope" in plan {top / "sqitch.plan"}' in ours.output
    assert changes_in_registry(empty_db_url) == []
    assert teams_obs(top, empty_db_url, "plan", monkeypatch=monkeypatch).exit_code == 0


# (mode, what was deployed before the run): the tables left after the run's last change fails; after
# three that change is the run's first, and there is nothing to revert nor any "Reverting" to say
ROLLED_BACK = {
    ("all", None): [], ("tag", None): ["one", "two"], ("change", None): ["one", "three", "two"],
    ("all", "one"): ["one"], ("tag", "two"): ["one", "two"],
    ("all", "three"): ["one", "three", "two"], ("tag", "three"): ["one", "three", "two"],
}


@pytest.mark.parametrize(("mode", "before"), ROLLED_BACK.keys(), ids=[f"{m}-after-{b}" for m, b in ROLLED_BACK])
def test_a_failed_deploy_is_rolled_back_as_sqitch_rolls_it_back(mode: str, before: str | None, tmp_path: Path,
                                                               pg_cluster, monkeypatch) -> None:
    """--mode all reverts the whole run, tag back to the run's last tag, change only the failed change;
    each names where it goes back to as sqitch does."""
    scripts = {name: table_scripts(name) for name in ("one", "two", "three")}
    scripts["four"] = ("SELECT 1/0;", "SELECT 1;", "SELECT 1;")
    top = write_project(tmp_path / "p", "".join(f"{line} {A_PLANNER}\n" for line in
                                                ("one", "two", "@v1", "three", "four")), scripts)
    urls = {}
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        for tool in ("sqitch", "teams_obs"):
            database = f"mode_{mode}_after_{before or 'nothing'}_{tool}"
            admin.execute(f"CREATE DATABASE {database}")
            urls[tool] = pg_cluster.url(database)
    if before:
        run_sqitch(top, "deploy", "--to", before, sqitch_target(urls["sqitch"]))
        assert teams_obs(top, urls["teams_obs"], "deploy", "--to", before, monkeypatch=monkeypatch).exit_code == 0
    theirs = run_sqitch(top, "deploy", "--mode", mode, sqitch_target(urls["sqitch"]), check=False)
    ours = teams_obs(top, urls["teams_obs"], "deploy", "--mode", mode, monkeypatch=monkeypatch)
    assert theirs.returncode != 0 and ours.exit_code == 2
    # sqitch writes the first to standard error, the others to output; the error itself each tool words its own way
    for line in (r"Reverting .*$", r"  - .*$", r"  \+ .+? \.+ (?:not )?ok"):
        assert re.findall(f"(?m)^{line}", ours.output) == re.findall(f"(?m)^{line}", theirs.stdout + theirs.stderr)
    outcome = {}
    for tool, url in urls.items():
        with psycopg.connect(url) as conn:
            outcome[tool] = (
                conn.execute("SELECT event, change FROM sqitch.events ORDER BY committed_at").fetchall(),
                conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall())
    assert outcome["teams_obs"] == outcome["sqitch"]
    assert outcome["sqitch"][1] == [(name,) for name in ROLLED_BACK[mode, before]]


def what_each_tool_says(top: Path, pg_cluster, commands: list[tuple[str, ...]], monkeypatch) -> dict[str, list]:
    """Each tool runs the commands in a database of its own: per command, the exit status and the output
    (standard output and error), with the database's name and the deploy times masked."""
    said: dict[str, list] = {}
    for name in ("SQITCH_FULLNAME", "SQITCH_EMAIL"):  # the same committer in both registries
        monkeypatch.setenv(name, sqitch_env()[name])
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        for tool in ("sqitch", "teams_obs"):
            database = f"says_{next(_databases)}"
            admin.execute(f"CREATE DATABASE {database}")
            url = pg_cluster.url(database)
            said[tool] = []
            for command in commands:
                if tool == "sqitch":
                    run = run_sqitch(top, *command, sqitch_target(url), check=False)
                    exit_code, output = run.returncode, run.stdout + run.stderr
                else:
                    run = teams_obs(top, url, *command, monkeypatch=monkeypatch)
                    exit_code, output = run.exit_code, run.output.replace("teams-obs: ", "")
                output = re.sub(r"(?m)^# Deployed: .*$", "# Deployed: (time)", output.replace(database, "DATABASE"))
                said[tool].append((command, exit_code, output))
    return said


_databases = itertools.count()


def test_deploy_status_verify_and_revert_read_as_sqitchs(tmp_path: Path, pg_cluster, monkeypatch) -> None:
    top = write_project(tmp_path / "p", f"one {A_PLANNER}\ntwo [one] {A_PLANNER}\n@v1 {A_PLANNER}\nthree {A_PLANNER}\n",
                        {name: table_scripts(name) for name in ("one", "two", "three")})
    commands = [("deploy", "--to", "two"), ("status",), ("verify",), ("check",), ("deploy", "--to", "@v1"),
                ("deploy", "--to", "one"), ("deploy",), ("deploy",), ("status",), ("verify",), ("check",),
                ("revert", "-y", "--to", "nope"), ("revert", "-y", "--to", "three"), ("revert", "-y", "--to", "@v1"),
                ("revert", "-y", "--to", "@v1"), ("revert", "-y", "--to", "three"), ("revert", "-y"), ("revert", "-y")]
    said = what_each_tool_says(top, pg_cluster, commands, monkeypatch)
    assert said["teams_obs"] == said["sqitch"]
    assert "  + one ...... ok\n  + two @v1 .. ok\n" in said["sqitch"][0][2]  # the padding is compared


@pytest.mark.parametrize(("edited", "named"), [("one", "one"), ("two", "two @v1")])
def test_check_finds_a_deployed_change_whose_script_was_edited_as_sqitch_does(tmp_path: Path, pg_cluster, monkeypatch,
                                                                             edited: str, named: str) -> None:
    """A deploy script edited in place after its change was deployed (README: before the first release tag):
    both tools name the first deployed change whose script differs, and fail the check with status 1."""
    top = write_project(tmp_path / "p", f"one {A_PLANNER}\ntwo [one] {A_PLANNER}\n@v1 {A_PLANNER}\nthree {A_PLANNER}\n",
                        {name: table_scripts(name) for name in ("one", "two", "three")})
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        database = f"check_{next(_databases)}"
        admin.execute(f"CREATE DATABASE {database}")
    url = pg_cluster.url(database)
    assert teams_obs(top, url, "deploy", monkeypatch=monkeypatch).exit_code == 0
    script = top / "deploy" / f"{edited}.sql"
    script.write_text(script.read_text() + "-- edited in place\n")
    theirs = run_sqitch(top, "check", sqitch_target(url), check=False)
    ours = teams_obs(top, url, "check", monkeypatch=monkeypatch)
    assert (ours.exit_code, ours.output) == (theirs.returncode, theirs.stdout + theirs.stderr)
    assert ours.exit_code == 1
    assert ours.output.endswith(f"Script signatures diverge at change {named}\nFailed one check\n")


# Each state of a database in which there is nothing to revert, verify, show or log: the steps that make it.
NOTHING_DEPLOYED = {
    "no registry": [],
    "registry without events": [("deploy",)],  # refused once the registry is made: other:thing is missing
    "everything reverted": [("deploy", "--to", "one"), ("revert", "-y")],
}


@pytest.mark.parametrize("steps", NOTHING_DEPLOYED.values(), ids=NOTHING_DEPLOYED.keys())
def test_a_database_with_nothing_deployed_is_reported_as_sqitch_reports_it(
        steps: list[tuple[str, ...]], tmp_path: Path, pg_cluster, monkeypatch) -> None:
    top = write_project(tmp_path / "p", f"one {A_PLANNER}\ntwo [other:thing] {A_PLANNER}\n",
                        {"one": table_scripts("one"), "two": table_scripts("two")})
    commands = [("revert", "-y"), ("verify",), ("check",), ("status",)]
    if ("revert", "-y") not in steps:  # else each tool draws its own table of the events
        commands.append(("log",))
    said = what_each_tool_says(top, pg_cluster, [*steps, *commands], monkeypatch)
    assert said["teams_obs"] == said["sqitch"]


def test_a_failed_deploy_in_mode_tag_goes_back_to_the_last_tag_the_run_deployed(tmp_path: Path, pg_cluster,
                                                                                  monkeypatch) -> None:
    scripts = {name: table_scripts(name) for name in ("one", "two", "three")}
    scripts["four"] = ("SELECT 1/0;", "SELECT 1;", "SELECT 1;")
    top = write_project(tmp_path / "p", "".join(f"{line} {A_PLANNER}\n" for line in
                                                ("one", "@v1", "two", "@v2", "three", "four")), scripts)
    said = what_each_tool_says(top, pg_cluster, [("deploy", "--mode", "tag"), ("status",)], monkeypatch)
    (_, ours_code, ours), (_, theirs_code, theirs) = said["teams_obs"][0], said["sqitch"][0]
    assert ours_code == theirs_code == 2
    for line in (r"Reverting .*", r"  - .*"):
        assert re.findall(f"(?m)^{line}$", ours) == re.findall(f"(?m)^{line}$", theirs)
    assert sorted(re.findall(r"(?m)^(?:Reverting .*|  - .*)$", theirs)) == ["  - three .... ok", "Reverting to two @v2"]
    assert said["teams_obs"][1] == said["sqitch"][1]
    assert "# Name:     two\n# Tag:      @v2\n" in said["sqitch"][1][2]


def test_a_plan_of_pragmas_alone_has_no_changes(tmp_path: Path) -> None:
    """No blank line ends the pragmas when no change follows them; sqitch reads such a plan as empty."""
    (tmp_path / "sqitch.plan").write_text("%syntax-version=1.0.0\n%project=bare\n")
    plan = load_plan(tmp_path / "sqitch.plan")
    assert (plan.project, plan.changes) == ("bare", [])
