"""What sqitch 1.3 refuses, or reports as an error, where the registry and the plan disagree: changes deployed
in another order than planned, a registry at another release, a project registered with another URI; and
what it does not (an older instance of a reworked change is not verified). Each tool runs the same commands in
a database of its own (``SideBySide``); exit status, output and the changes left deployed are compared."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs.cli import main
from tests.sqitch_projects import SideBySide, table_scripts, write_project

pytestmark = pytest.mark.usefixtures("sqitch_bin")

PLANNED = "2026-01-01T00:00:01Z A <a@b>"


def project(root: Path, *lines: str, scripts: dict[str, tuple[str, str, str]] | None = None,
            uri: str | None = None) -> Path:
    """A plan of ``lines`` (changes and @tags); each change creates the table of its name."""
    tables = {line.split()[0]: table_scripts(line.split()[0]) for line in lines if not line.startswith("@")}
    return write_project(root, "".join(f"{line} {PLANNED}\n" for line in lines), {**tables, **(scripts or {})},
                         uri=uri)


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]


def test_a_deploy_refuses_changes_already_deployed_as_sqitch_does(tmp_path: Path, pg_cluster) -> None:
    """A plan reordered after a deploy gives every change from the first moved one on a new id (its parent
    is in it): both tools refuse, the latest deployed change being no longer planned. A change planned after
    the latest deployed one but deployed already (the server's clock stepped back between two deploys, so
    the registry orders them otherwise) is refused as "already deployed", and nothing is deployed again."""
    top = project(tmp_path / "p", "a", "b", "c")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy", "--to", "b")])
    swapped = project(tmp_path / "swapped", "b", "a", "c")
    said = both.run(swapped, "deploy")
    ours = said["teams_obs"][2].replace(str(swapped / "sqitch.plan"), "sqitch.plan")
    assert said["teams_obs"][::3] == said["sqitch"][::3] and ours == said["sqitch"][2]
    assert said["sqitch"][1] == 2 and said["sqitch"][2].startswith("Cannot find change ")
    assert said["sqitch"][3] == [("a", []), ("b", [])]

    both.compare(top, [("deploy",)])
    both.execute("UPDATE sqitch.changes SET committed_at = committed_at + interval '1 hour' WHERE change = 'b'")
    said = both.compare(top, [("deploy",)])
    assert said[0]["sqitch"][1] == 2 and re.search(r'(?m)^Change "c \([0-9a-f]{40}\)" has already been deployed$',
                                                   said[0]["sqitch"][2])
    assert said[0]["sqitch"][3] == [("a", []), ("c", []), ("b", [])]

    both.execute("UPDATE sqitch.changes SET committed_at = committed_at + interval '2 hours' WHERE change = 'a'")
    said = both.run(top, "deploy")
    # sqitch lists them in the order its query happens to return them (no ORDER BY): compared as a set
    listed = {tool: (code, sorted(re.findall(r"\b([bc]) \([0-9a-f]{40}\)", output)), deployed)
              for tool, (_command, code, output, deployed) in said.items()}
    assert listed["teams_obs"] == listed["sqitch"] == (2, ["b", "c"], [("c", []), ("b", []), ("a", [])])
    assert "Changes have already been deployed: " in said["teams_obs"][2]
    for url in both.urls.values():
        assert tables(url) == ["a", "b", "c"]


def verify_summary(output: str) -> tuple[list[str], list[str]]:
    """The summary of a verify, and the changes it found out of order: sqitch and teams-obs word the errors
    differently ("  * c .. # Out of order" against "  # c: Out of order")."""
    return (re.findall(r"(?m)^(?:Changes|Errors|Undeployed|Verify ).*$", output),
            re.findall(r"(?m)^  (?:\* (\S+) \.+ # |# (\S+): )Out of order$", output))


def test_verify_reports_changes_deployed_out_of_the_plans_order_as_sqitch_does(tmp_path: Path, pg_cluster) -> None:
    """A plan reordered after a deploy changes the ids (see above): here the registry's order differs from the
    plan's, as a server clock stepped back between two deploys leaves it."""
    top = project(tmp_path / "p", "a", "b", "c")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    both.execute("UPDATE sqitch.changes SET committed_at = committed_at + interval '1 hour' WHERE change = 'b'")
    said = both.run(top, "verify")
    summary = {tool: (code, *verify_summary(output)) for tool, (_c, code, output, _d) in said.items()}
    out_of_order = {tool: [next(filter(None, names)) for names in found] for tool, (_, _, found) in summary.items()}
    assert out_of_order["teams_obs"] == out_of_order["sqitch"] == ["c", "b"]
    assert summary["teams_obs"][:2] == summary["sqitch"][:2] == (
        2, ["Undeployed change:", "Verify Summary Report", "Changes: 3", "Errors:  2", "Verify failed"])


def test_an_older_instance_of_a_reworked_change_is_not_verified(tmp_path: Path, pg_cluster) -> None:
    """As sqitch: the rework renamed the column the older instance's verify script reads."""
    top = project(tmp_path / "p", "t", "@v1", "t [t@v1]", scripts={
        "t@v1": ("CREATE TABLE t (old int);", "DROP TABLE t;", "SELECT old FROM t WHERE false;"),
        "t": ("ALTER TABLE t RENAME old TO new;", "ALTER TABLE t RENAME new TO old;", "SELECT new FROM t WHERE false;"),
    })
    said = SideBySide(pg_cluster).compare(top, [("deploy",), ("verify",)])
    assert said[1]["sqitch"][1] == 0
    assert said[1]["sqitch"][2].splitlines()[1:] == ["  * t @v1 .. ok", "  * t ...... ok", "Verify successful"]


def test_a_registry_at_another_release_is_refused_as_sqitch_refuses_it(tmp_path: Path, pg_cluster) -> None:
    """sqitch's deploy tries to upgrade a registry at release 1.0 (and fails: the tables are 1.1's); its revert
    and verify refuse it, naming the "upgrade" command. teams-obs refuses all three; neither deploys or
    reverts anything. Their deploys say different things (an upgrade that fails, a refusal), so exit status
    and changes are compared; the refusals of revert and verify are worded alike (the next tests)."""
    top = project(tmp_path / "p", "one", "two")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy", "--to", "one")])
    both.execute("UPDATE sqitch.releases SET version = 1.0")
    for command in [("deploy",), ("revert", "-y"), ("verify",)]:
        said = both.run(top, *command)
        assert said["teams_obs"][::3] == said["sqitch"][::3], said
        assert said["teams_obs"][1] == said["sqitch"][1] == 2, said
        assert said["sqitch"][3] == [("one", [])]
        assert all(re.search(r"(?i)\bupgrad", said[tool][2]) for tool in said), said
    both.execute("UPDATE sqitch.releases SET version = 1.1")
    both.compare(top, [("revert", "-y")])
    both.execute("UPDATE sqitch.releases SET version = 1.0")  # a registry with nothing deployed
    said = both.run(top, "deploy")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (2, [])


def test_nothing_to_deploy_is_said_whatever_the_registry_release(tmp_path: Path, pg_cluster) -> None:
    top = project(tmp_path / "p", "one")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    both.execute("UPDATE sqitch.releases SET version = 1.0")
    said = both.compare(top, [("deploy",), ("deploy", "--to", "one")])
    assert said[0]["sqitch"][1:3] == (0, "Nothing to deploy (up-to-date)\n")


@pytest.mark.parametrize("release", ["1.0", "2.0"])
def test_a_registry_at_another_release_is_refused_with_sqitchs_message(release: str, tmp_path: Path,
                                                                      pg_cluster) -> None:
    top = project(tmp_path / "p", "one")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    both.execute(f"UPDATE sqitch.releases SET version = {release}")
    said = both.compare(top, [("revert", "-y"), ("verify",)])
    assert said[0]["sqitch"][2] == {
        "1.0": 'Registry is at version 1 but latest is 1.1. Please run the "upgrade" command\n',
        "2.0": "Registry version is 2 but 1.1 is the latest known. Please upgrade Sqitch\n"}[release]


def test_a_registry_older_than_its_releases_table_is_refused_with_sqitchs_message(tmp_path: Path,
                                                                                pg_cluster) -> None:
    """sqitch before 1.0 made no releases table: sqitch reads the registry as release 0."""
    top = project(tmp_path / "p", "one")
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    both.execute("DROP TABLE sqitch.releases")
    said = both.compare(top, [("revert", "-y"), ("verify",)])
    assert said[0]["sqitch"][1:3] == (
        2, 'Registry is at version 0 but latest is 1.1. Please run the "upgrade" command\n')


A_URI, B_URI = "https://a.example/", "https://b.example/"
# (the project registered and its URI, the URI of project "demo" then deployed)
REGISTERED_OTHERWISE = {
    "another uri": (("demo", A_URI), B_URI),
    "no uri then one": (("demo", None), B_URI),
    "a uri then none": (("demo", A_URI), None),
    "another project's uri": (("other", A_URI), A_URI),
}
@pytest.mark.parametrize(("registered", "uri"), [
    pytest.param(*REGISTERED_OTHERWISE["another uri"], id="another uri"),
    pytest.param(*REGISTERED_OTHERWISE["no uri then one"], id="no uri then one"),
    pytest.param(*REGISTERED_OTHERWISE["a uri then none"], id="a uri then none"),
    pytest.param(*REGISTERED_OTHERWISE["another project's uri"], id="another project's uri"),
])
def test_a_project_registered_with_another_uri_is_refused_as_sqitch_refuses_it(
        registered: tuple[str, str | None], uri: str | None, tmp_path: Path, pg_cluster) -> None:
    """The project's row stays in the registry after a full revert; a deploy of the plan with another %uri
    (every change id differs) must not register it again."""
    both = SideBySide(pg_cluster)
    first = write_project(tmp_path / "first", f"one {PLANNED}\n", {"one": table_scripts("one")},
                          project=registered[0], uri=registered[1])
    both.compare(first, [("deploy",), ("revert", "-y")])
    second = write_project(tmp_path / "second", f"one {PLANNED}\n", {"one": table_scripts("one")}, uri=uri)
    said = both.run(second, "deploy")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (2, [])
    for url in both.urls.values():
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT project, uri FROM sqitch.projects").fetchall() == [registered]
        assert tables(url) == []
    assert said["teams_obs"] == said["sqitch"]


@pytest.mark.parametrize("command", ["deploy", "revert"])
def test_a_lock_timeout_of_zero_is_refused(command: str, tmp_path: Path, empty_db_url: str) -> None:
    """lock_timeout 0 would make PostgreSQL wait for the lock without end."""
    top = project(tmp_path / "p", "one")
    run = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(top)}).invoke(
        main, ["--db", empty_db_url, command, "-y" if command == "revert" else "--verify", "--lock-timeout", "0"])
    assert run.exit_code == 2 and "Invalid value for '--lock-timeout': 0 is not in the range x>=1" in run.output
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('sqitch')").fetchone()[0] is None


@pytest.mark.parametrize("command", ["deploy", "revert"])
def test_the_default_lock_timeout_is_sqitchs(command: str, sqitch_bin: str) -> None:
    """Either tool, run without --lock-timeout, gives another instance as long to finish."""
    sqitchs = subprocess.run(["perl", "-MApp::Sqitch::Engine", "-e", "print App::Sqitch::Engine->default_lock_timeout"],
                             capture_output=True, text=True, check=True).stdout
    run = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert re.search(rf"--lock-timeout\b.*\[default: {int(sqitchs)}[;\]]", run.output), run.output
