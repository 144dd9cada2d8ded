"""`teams-obs audit list` and `teams-obs conversations show` through the real CLI."""

from __future__ import annotations

import json

import psycopg
from click.testing import CliRunner, Result
from psycopg.types.json import Jsonb

from teams_obs.cli import main

TENANT = "00000000-0000-4000-8000-0000000000d1"


def run(db_url: str, *args: str) -> Result:
    """Wide enough that rich tables keep every cell on one line."""
    return CliRunner(env={"COLUMNS": "300"}).invoke(main, ["--db", db_url, *args], catch_exceptions=False)


def add_events(db: psycopg.Connection, count: int) -> None:
    db.execute("INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, error_code, target_type,"
               " target_id, created_at)"
               " SELECT %s, 'bot', 'add_note', CASE WHEN i %% 2 = 0 THEN 'failure' ELSE 'success' END,"
               "        CASE WHEN i %% 2 = 0 THEN 'forbidden' END, 'ticket', 'T-' || i,"
               "        '2026-03-01'::timestamptz + i * interval '1 hour'"
               "   FROM generate_series(1, %s) AS i", (TENANT, count))


def test_audit_list_pages_through_json(db: psycopg.Connection, db_url: str) -> None:
    add_events(db, 7)
    seen: list[str] = []
    cursor: list[str] = []
    for _page in range(7):
        result = run(db_url, "audit", "list", "--tenant", TENANT, "--limit", "2", "--json", *cursor)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        seen += [row["target_id"] for row in document["rows"]]
        if document["next_cursor"] is None:
            break
        cursor = ["--cursor", document["next_cursor"]]
    assert seen == [f"T-{i}" for i in range(7, 0, -1)]


def test_audit_list_filters_and_shows_a_table(db: psycopg.Connection, db_url: str) -> None:
    add_events(db, 7)
    result = run(db_url, "audit", "list", "--tenant", TENANT, "--error-code", "forbidden", "--limit", "2",
                 "--since", "2026-03-01T02:00:00", "--until", "2026-03-01T07:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert "failure (forbidden)" in result.output and "ticket:T-6" in result.output and "ticket:T-4" in result.output
    assert "ticket:T-2" not in result.output and "success" not in result.output
    assert "More rows: repeat the command with --cursor " in result.output


def test_audit_list_refuses_bad_input(db_url: str) -> None:
    bad_surface = run(db_url, "audit", "list", "--tenant", TENANT, "--surface", "teams")
    assert bad_surface.exit_code == 2 and "'teams' is not one of" in bad_surface.output
    bad_cursor = run(db_url, "audit", "list", "--tenant", TENANT, "--cursor", "not-a-cursor!")
    assert bad_cursor.exit_code == 2 and "cursor: malformed" in bad_cursor.output and "[22023]" in bad_cursor.output
    bad_time = run(db_url, "audit", "list", "--tenant", TENANT, "--since", "yesterday")
    assert bad_time.exit_code == 2 and "not an ISO 8601 time" in bad_time.output


def record_reference(db: psycopg.Connection, user: str, conversation: str, kind: str, at: str) -> None:
    activity = {"from": {"aadObjectId": user}, "serviceUrl": "https://smba.example/emea/",
                "conversation": {"id": conversation, "conversationType": kind}}
    assert db.execute("SELECT teams_obs.record_conversation_reference(%s, %s, %s)",
                      (TENANT, Jsonb(activity), at)).fetchone()[0]


def test_conversations_show_by_user_and_by_conversation(db: psycopg.Connection, db_url: str) -> None:
    record_reference(db, "aad-1", "a:old", "personal", "2026-03-01")
    record_reference(db, "aad-1", "a:new", "personal", "2026-03-02")
    record_reference(db, "aad-1", "19:group", "groupChat", "2026-03-03")
    record_reference(db, "aad-2", "19:group", "groupChat", "2026-03-04")

    personal = json.loads(run(db_url, "conversations", "show", "--tenant", TENANT, "--user", "aad-1", "--json").output)
    assert [row["conversation_id"] for row in personal["rows"]] == ["a:new"]
    assert "next_cursor" not in personal
    latest = json.loads(run(db_url, "conversations", "show", "--tenant", TENANT, "--user", "aad-1", "--type", "any",
                            "--json").output)
    assert [row["conversation_id"] for row in latest["rows"]] == ["19:group"]
    group = run(db_url, "conversations", "show", "--tenant", TENANT, "--conversation", "19:group")
    assert group.exit_code == 0, group.output
    assert group.output.index("aad-2") < group.output.index("aad-1"), "newest activity first"
    nobody = run(db_url, "conversations", "show", "--tenant", TENANT, "--user", "aad-9")
    assert nobody.exit_code == 0 and "No rows." in nobody.output


def test_conversations_show_needs_exactly_one_key(db_url: str) -> None:
    neither = run(db_url, "conversations", "show", "--tenant", TENANT)
    both = run(db_url, "conversations", "show", "--tenant", TENANT, "--user", "u", "--conversation", "c")
    for result in (neither, both):
        assert result.exit_code == 2 and "exactly one of --user and --conversation" in result.output
