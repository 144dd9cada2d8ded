"""sqitch's change specs (``--to``, verify's ``--from``) read as sqitch 1.3 reads them: deploy's in the plan,
revert's and verify's in the database, with ``@HEAD``, ``@ROOT`` and the offsets ``^``, ``^^``, ``^N``, ``~``,
``~~``, ``~N``. Each tool runs the same commands in a database of its own; after every command the exit
status, the output and the changes deployed must be the same (where a test compares less, it says so)."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from teams_obs.sqitch import load_plan
from tests.sqitch_projects import SideBySide, table_scripts, write_project

pytestmark = pytest.mark.usefixtures("sqitch_bin")

PLANNED = "2026-01-01T00:00:01Z A <a@b>"


def project(root: Path, *lines: str, scripts: dict[str, tuple[str, str, str]] | None = None) -> Path:
    """A plan of ``lines`` (changes and @tags); each change creates the table of its name."""
    tables = {line.split()[0]: table_scripts(line.split()[0]) for line in lines if not line.startswith("@")}
    return write_project(root, "".join(f"{line} {PLANNED}\n" for line in lines), {**tables, **(scripts or {})})


LINEAR = ("one", "two", "@v1", "three", "four", "@v2", "five")
# "two" reworked after @v1: its first instance's scripts carry the tag.
REWORKED = ("one", "two", "@v1", "two [two@v1]", "three", "@v2")
REWORK_SCRIPTS = {"two@v1": table_scripts("two"), "two": (
    "ALTER TABLE two ADD COLUMN x int;", "ALTER TABLE two DROP COLUMN x;", "SELECT x FROM two WHERE false;")}


def revert_to(*specs: str) -> list[tuple[str, ...]]:
    return [("revert", "-y", "--to", spec) for spec in specs]


def deploy_to(*specs: str) -> list[tuple[str, ...]]:
    return [("deploy", "--to", spec) for spec in specs]


def outcomes(said: list[dict[str, tuple]]) -> dict[str, tuple[int, str, list[str]]]:
    """sqitch's outcome per last argument: exit status, first line of output, the changes then deployed."""
    return {command[-1]: (code, output.splitlines()[0], [change for change, _tags in deployed])
            for command, code, output, deployed in (s["sqitch"] for s in said)}


def test_revert_reads_its_spec_in_the_database(tmp_path: Path, pg_cluster) -> None:
    top = project(tmp_path / "p", *LINEAR)
    plan = load_plan(top / "sqitch.plan")
    three, v1 = plan.find("three").id, plan.find("@v1").tags[0].id
    said = SideBySide(pg_cluster).compare(top, [
        ("deploy",),
        *revert_to("@HEAD", "@HEAD^", "HEAD^", "five^^", "five~", "one~"),
        ("deploy",),
        *revert_to(v1, f"{three}~", "@v2^^", "two~~", "@ROOT~1", "one^", "@HEAD~", "@HEAD^9", "@ROOT^"),
        *revert_to("two@v1", "@v1^0", "@ROOT", "ROOT", "@v1", "nope", "nope^", "two@nope", "three@v2^"),
    ])
    seen = outcomes(said)
    assert seen["@HEAD"] == (0, 'No changes deployed since: "@HEAD"', ["one", "two", "three", "four", "five"])
    assert seen["@HEAD^"][::2] == (0, ["one", "two", "three", "four"])
    assert seen["HEAD^"][::2] == (0, ["one", "two", "three"]), "HEAD is the latest change deployed, not planned"
    assert seen["five^^"][:2] == (2, 'Change not deployed: "five^^"')
    assert seen["five~"][:2] == (2, 'Unknown change: "five~"')
    assert seen[v1][:2] == (2, f'Change not deployed: "{v1}"'), "a tag id is not looked up in the database"
    assert seen[f"{three}~"][::2] == (0, ["one", "two", "three", "four"])
    assert seen["@ROOT"][::2] == (0, ["one"])
    assert seen["two@nope"][:2] == (2, 'Unknown tag "@nope"')


def test_deploy_reads_its_spec_in_the_plan(tmp_path: Path, pg_cluster) -> None:
    top = project(tmp_path / "p", *LINEAR)
    five = load_plan(top / "sqitch.plan").find("five").id
    said = SideBySide(pg_cluster).compare(top, [
        *deploy_to("@HEAD^^", "@v1~", "two", "HEAD^", "five^", "one^", "@HEAD~", "two@nope", f"{five}^0"),
        ("revert", "-y", "--to", "@ROOT"),
        *deploy_to("@v2^", "@HEAD", "HEAD"),
    ])
    seen = outcomes(said)
    assert seen["@HEAD^^"][2] == ["one", "two", "three"]
    assert seen["@v1~"][:2] == (0, 'Nothing to deploy (already at "@v1~")')
    assert seen["two"][:2] == (2, 'Cannot deploy to an earlier change; use "revert" instead')
    assert seen["HEAD^"][2] == ["one", "two", "three", "four"]
    assert seen["one^"][:2] == (2, 'Unknown change: "one^"')
    assert seen[f"{five}^0"][2] == ["one", "two", "three", "four", "five"]
    assert seen["@HEAD"][2] == ["one", "two", "three", "four", "five"]


def test_a_reworked_change_named_without_a_tag_is_refused_where_it_is_ambiguous(tmp_path: Path, pg_cluster) -> None:
    """In the plan a reworked name is always ambiguous for deploy; in the database only while both of its
    instances are deployed."""
    top = project(tmp_path / "p", *REWORKED, scripts=REWORK_SCRIPTS)
    said = SideBySide(pg_cluster).compare(top, [
        *deploy_to("two", "two^", "two@v1", "two@HEAD", "two@v2", "two@ROOT"),
        ("deploy",),
        *revert_to("two", "two^", "two@ROOT", "two@HEAD"),
        ("verify", "--to", "two"),
        ("deploy",),
        *revert_to("two@v1~", "two@v1", "two"),
    ])
    ambiguous = ['Change "two" is ambiguous. Please specify a tag-qualified change:', "  * two@HEAD", "  * two@v1"]
    plan_refusal, registry_refusal = said[0]["sqitch"][2], said[7]["sqitch"][2]
    assert plan_refusal.splitlines() == [*ambiguous, "Change lookup failed"]
    assert registry_refusal.splitlines() == [*ambiguous, "Change Lookup Failed"]
    assert said[-1]["sqitch"][1:3] == (0, 'No changes deployed since: "two"\n')


def test_a_reworked_change_as_of_a_later_tag_is_its_latest_instance_before_that_tag(tmp_path: Path,
                                                                                    pg_cluster) -> None:
    """Both instances of two were deployed before @v2: two@v2 names the second, so revert keeps it."""
    top = project(tmp_path / "p", *REWORKED, scripts=REWORK_SCRIPTS)
    said = SideBySide(pg_cluster).compare(top, [("deploy",), *revert_to("two@v2")])
    assert said[-1]["sqitch"][1] == 0 and said[-1]["sqitch"][3] == [("one", []), ("two", ["@v1"]), ("two", [])]


def test_a_change_reworked_after_two_tags_runs_the_scripts_its_rework_named(tmp_path: Path, pg_cluster) -> None:
    """The first instance's scripts are those of the first of its tags that has them: here only the later
    tag's (two@v1.1.sql), which is where `sqitch rework` puts them."""
    top = project(tmp_path / "p", "one", "two", "@v1", "@v1.1", "two [two@v1.1]",
                  scripts={"two@v1.1": table_scripts("two"), "two": REWORK_SCRIPTS["two"]})
    said = SideBySide(pg_cluster).compare(top, [("deploy",), ("verify",), ("revert", "-y")])
    assert [each["sqitch"][1] for each in said] == [0, 0, 0]
    assert said[0]["sqitch"][3] == [("one", []), ("two", ["@v1", "@v1.1"]), ("two", [])]


def test_an_ambiguous_change_the_plan_no_longer_has_is_named_from_the_database(tmp_path: Path, pg_cluster) -> None:
    """Each instance by the first tag deployed with or after it, as sqitch names a change it cannot plan."""
    top = project(tmp_path / "p", *REWORKED, scripts=REWORK_SCRIPTS)
    replanned = project(tmp_path / "replanned", "zero", *REWORKED[1:], scripts=REWORK_SCRIPTS)  # every id changes
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    said = both.compare(replanned, [("verify", "--to", "two")])
    assert said[0]["sqitch"][2].splitlines()[1:] == [
        'Change "two" is ambiguous. Please specify a tag-qualified change:', "  * two@v2", "  * two@v1",
        "Change Lookup Failed"]


def test_verify_reads_from_and_to_in_the_database(tmp_path: Path, pg_cluster) -> None:
    top = project(tmp_path / "p", *LINEAR)
    both = SideBySide(pg_cluster)
    said = both.compare(top, [
        ("deploy", "--to", "four"),
        *[("verify", *options) for options in (
            ("--to", "@HEAD^"), ("--to", "two"), ("--from", "two", "--to", "three"), ("--from", "@v1"),
            ("--from", "@HEAD"), ("--to", "HEAD"), ("--to", "five"), ("--to", "four~"), ("--to", "nope"),
            ("--to", "@ROOT~9"), ("--to", "two@nope"))],
    ])
    verified = {command[1:]: output.splitlines()[1:] for command, _code, output, _ in (s["sqitch"] for s in said[1:])}
    assert verified["--to", "@HEAD^"] == ["  * one ...... ok", "  * two @v1 .. ok", "  * three .... ok",
                                          "Verify successful"]
    assert verified["--from", "@v1"] == ["  * two @v1 ... ok", "  * three ..... ok", "  * four @v2 .. ok",
                                         "Undeployed change:", "  * five", "Verify successful"]
    assert verified["--to", "five"] == ['Change "five" has not been deployed']
    assert verified["--to", "nope"] == ['Cannot find "nope" in the database or the plan']

    # sqitch dies with a Perl error here; teams-obs says why.
    backwards = both.run(top, "verify", "--from", "three", "--to", "two")
    assert backwards["sqitch"][1] == backwards["teams_obs"][1] == 2
    assert 'Change "two" was deployed before "three"' in backwards["teams_obs"][2]


def test_verify_goes_through_the_plan_when_the_latest_deployed_change_left_it(tmp_path: Path, pg_cluster) -> None:
    """sqitch's verify stops at the latest deployed change, or, when the plan has lost it, at the plan's last
    change: here "two", replanned, and "three" are not deployed (errors), not pending, and counted among the
    changes verified, more than were deployed. The tools word the errors differently, so the summary is
    compared."""
    top = project(tmp_path / "p", "one", "two")
    replanned = write_project(tmp_path / "replanned",
                              f"one {PLANNED}\ntwo 2026-01-01T00:00:02Z A <a@b>\nthree {PLANNED}\n",
                              {name: table_scripts(name) for name in ("one", "two", "three")})
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy",)])
    said = both.run(replanned, "verify")
    summary = {tool: (code, re.findall(r"(?m)^(?:Changes|Errors|Undeployed).*$", output), deployed)
               for tool, (_command, code, output, deployed) in said.items()}
    assert summary["teams_obs"] == summary["sqitch"]
    assert summary["sqitch"][:2] == (2, ["Changes: 3", "Errors:  3"])


def test_tags_planned_after_a_deploy_are_logged_by_the_next_and_listed_by_name(tmp_path: Path, pg_cluster) -> None:
    """As sqitch, a deploy logs the tags added to the plan after the latest deployed change even when there
    is nothing to deploy; what it reads from the database lists a change's tags in the order of their names."""
    untagged = project(tmp_path / "untagged", "one", "two")
    tagged = project(tmp_path / "tagged", "one", "two", "@v9", "@v10")
    both = SideBySide(pg_cluster)
    both.compare(untagged, [("deploy",)])
    said = both.compare(tagged, [("deploy",), ("status",), *revert_to("@v10", "@v9^"), ("deploy",), ("verify",)])
    assert said[0]["sqitch"][3] == [("one", []), ("two", ["@v10", "@v9"])]
    assert "# Tags:     @v10, @v9" in said[1]["sqitch"][2]
    assert said[2]["sqitch"][2] == 'No changes deployed since: "@v10"\n'
    assert "  - two @v10 @v9 .. ok" in said[3]["sqitch"][2]
    assert "  + two @v9 @v10 .. ok" in said[4]["sqitch"][2], "deploy names the plan's change, in the plan's order"
    assert "  * two @v10 @v9 .. ok" in said[5]["sqitch"][2]


def test_a_dependency_on_a_reworked_change_is_its_first_instance(tmp_path: Path, pg_cluster) -> None:
    """sqitch records a dependency on a reworked name as its first instance, the one the plan's lookup finds."""
    top = project(tmp_path / "p", *REWORKED, "four [two]", scripts=REWORK_SCRIPTS)
    both = SideBySide(pg_cluster)
    both.compare(top, [("deploy", "--to", "three"), ("deploy",)])
    first_two = load_plan(top / "sqitch.plan").find("two@v1").id
    for url in both.urls.values():
        with psycopg.connect(url) as conn:
            assert conn.execute("""SELECT d.dependency, d.dependency_id FROM sqitch.dependencies d
                                     JOIN sqitch.changes c USING (change_id) WHERE c.change = 'four'""").fetchall() \
                == [("two", first_two)]
