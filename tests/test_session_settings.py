"""The public functions behave alike whatever the caller's session says about string literals.

PL/pgSQL bodies are compiled, and SQL function bodies given as strings parsed, under the settings of the
session that first calls them, so a literal with a backslash in a body ('\\x00'::bytea, a regular
expression, a LIKE pattern) changes meaning under ``standard_conforming_strings = off``, and a U&''
literal is refused outright. The bodies therefore write such literals only as E'' strings (the same under
either setting). This test runs one scenario of calls (SPEC §8, errors included) in a fresh session with
the default settings and in a fresh session with ``standard_conforming_strings = off`` (fresh: PL/pgSQL
caches compiled bodies per session), each in a transaction that is rolled back, and compares the outcomes.
With ``escape_string_warning`` on (the default), the second session would also be warned of any backslash
left in a standard literal of a body that it ran: there must be no such warning.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Json, Jsonb

from teams_obs.sqitch import Engine

TENANT = uuid.UUID("22222222-2222-2222-2222-222222222222")
NOTIFICATION = uuid.UUID("00000000-0000-4000-8000-0000000000b1")

# JSON texts (passed as parameters, never as literals of the test's own statements): escapes of every
# kind, non-ASCII and astral names (the UTF-16 member order), numbers in ECMAScript form, and each refusal.
DOCUMENTS = [
    '{"a":1}',
    '{"b": "\\u00e9\\n\\"q\\"\\\\ \\/ \\t", "a": [1e23, 0.1, -0, 5e-324, 1E+2], "c": null}',
    '{"\ue000": 1, "\U0001f600": 2, "\\ud83d\\ude01": 3, "\U0010ffff": 4, "z": 5, "\u00e9": 6, "": 7}',
    '{"a\\u003a": 1, "b": "x:y"}',  # an escaped colon: the member count goes through the screen
    '{"k": "\\\\u0000", "l": "\\\\\\\\ud800"}',  # escaped backslashes before u0000 / ud800: plain text
    '[{"x": {"y": [true, false, "\\u2028"]}}, "\U0001f600\\ud83d\\ude00"]',
    '{"a": 1, "a": 2}',  # duplicate key
    '{"o": {"k": "\\u0000"}}',  # \u0000
    '{"o": ["\\ud800"]}',  # lone high surrogate
    '{"o": "\\udc00x"}',  # lone low surrogate
    '{"n": 1e400}',  # outside the double range
    '"just a string \\\\"',
]


def text_with_escapes(n: int) -> str:
    return f" \\x{n}\u00a0\\u0000 \u00e9\\_%|\u3000"  # backslashes, LIKE characters, Unicode whitespace


def scenario(conn: psycopg.Connection) -> list[Any]:
    """Every call's outcome: (column names, rows) or ('error', SQLSTATE, message)."""
    outcomes: list[Any] = []

    def call(query: str, params: tuple | dict = ()) -> list[tuple]:
        try:
            with conn.transaction():  # a savepoint: an error does not end the scenario
                cursor = conn.execute(query, params)
                rows = cursor.fetchall()
                outcomes.append(([column.name for column in cursor.description], rows))
                return rows
        except psycopg.Error as error:
            outcomes.append(("error", error.sqlstate, error.diag.message_primary))
            return []

    def pages(query: str, params: tuple, limit: int) -> None:
        """A list followed page by page through its cursors; one outcome for all the pages."""
        try:
            with conn.transaction():
                found: list[list[tuple]] = []
                cursor: str | None = None
                while not found or cursor is not None:
                    result = conn.execute(query, (*params, limit, cursor))
                    names = [column.name for column in result.description]
                    found.append(result.fetchall())
                    cursor = found[-1][-1][names.index("next_cursor")] if found[-1] else None
                    assert len(found) <= 20, "the cursors never end"
                outcomes.append(("pages", names, found))
        except psycopg.Error as error:
            outcomes.append(("error", error.sqlstate, error.diag.message_primary))

    for document in DOCUMENTS:
        call("SELECT teams_obs.canonical_json(%s::json), teams_obs.payload_hash(%s::json)", (document, document))
        call("SELECT teams_obs.payload_hash(%s::json)", (document,))

    # Recording.
    for n, status in enumerate(("delivered", "failed", "sent", "delivered")):
        call("SELECT * FROM teams_obs.record_delivery(p_tenant => %s, p_destination_type => 'user_activity', "
             "p_destination_id => %s, p_status => %s, p_internal_notification_id => %s, p_attempt_number => %s, "
             "p_error_code => %s, p_error_message => %s, p_nonce => %s, p_sent_at => now())",
             (TENANT, f"u\\{n}", status, NOTIFICATION, n + 1, "graph_throttled" if status == "failed" else None,
              text_with_escapes(n), f"n\\{n}"))
    call("SELECT * FROM teams_obs.record_delivery(%s, 'user_activity', %s, 'delivered', %s)",
         (TENANT, "u\\0", NOTIFICATION))  # the key of the first
    call("SELECT * FROM teams_obs.record_delivery(%s, 'user_activity', 'u|x', 'delivered')", (TENANT,))
    call("SELECT * FROM teams_obs.record_delivery(%s, 'user_activity', 'u', 'nope')", (TENANT,))
    rows = [{"destination_type": "bot_dm", "destination_id": f"d\\{n}", "status": "sent",
             "error_message": text_with_escapes(n), "nonce": "\\"} for n in range(3)]
    call("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, Jsonb([*rows, rows[0]])))
    for bad in ({"attempt_number": "x"}, {"sent_at": "not a time"}, {"status": "nope"}):
        call("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, Jsonb([rows[0], {**rows[1], **bad}])))
    call("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, Jsonb({"not": "an array"})))
    call("SELECT teams_obs.delivery_idempotency_key(%s, %s, 'bot_dm', %s, 2, %s)",
         (TENANT, NOTIFICATION, "d\\\u00e9", "\\u0000"))

    call("SELECT * FROM teams_obs.record_audit_event(%s, 'bot', 'add_note', 'success')", (TENANT,))
    for document in DOCUMENTS:
        call("SELECT * FROM teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', "
             "p_action_id => 'add_note', p_result_status => 'success', p_target_id => %s, p_payload => %s::json)",
             (TENANT, "t\\1", document))
    call("SELECT * FROM teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', p_action_id => 'add_note', "
         "p_result_status => 'failure', p_payload_hash => repeat('ab', 32), p_error_code => 'execution_failed')",
         (TENANT,))
    call("SELECT * FROM teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', p_action_id => 'add_note', "
         "p_result_status => 'success', p_payload_hash => 'AB')", (TENANT,))

    for n in range(2):
        activity = {"from": {"id": f"29:u\\{n}", "aadObjectId": f"aad\\{n}"},
                    "conversation": {"id": f"a:conv\\{n}\u00e9", "conversationType": "personal"},
                    "serviceUrl": "https://smba.trafficmanager.net/emea/",
                    "channelData": {"tenant": {"id": "aad-tenant"}}}
        call("SELECT teams_obs.record_conversation_reference(%s, %s)", (TENANT, Jsonb(activity)))
    call("SELECT teams_obs.record_conversation_reference(%s, %s)", (TENANT, Jsonb({"from": {}})))

    # Reading, with cursors.
    pages("SELECT * FROM teams_obs.list_deliveries(%s, p_limit => %s, p_cursor => %s)", (TENANT,), 2)
    pages("SELECT * FROM teams_obs.list_deliveries(%s, p_status => 'delivered', p_destination_type => 'user_activity', "
          "p_limit => %s, p_cursor => %s)", (TENANT,), 1)
    call("SELECT * FROM teams_obs.list_deliveries(%s, p_cursor => %s)", (TENANT, "not\\a+cursor"))
    pages("SELECT * FROM teams_obs.list_audit_events(%s, p_limit => %s, p_cursor => %s)", (TENANT,), 3)
    pages("SELECT * FROM teams_obs.list_audit_events(%s, p_target_id => %s, p_limit => %s, p_cursor => %s)",
          (TENANT, "t\\1"), 4)
    call("SELECT * FROM teams_obs.list_audit_events(%s, p_surface => 'nope')", (TENANT,))
    call("SELECT * FROM teams_obs.latest_conversation_reference(%s, %s)", (TENANT, "aad\\1"))
    call("SELECT * FROM teams_obs.find_conversation_reference(%s, %s)", (TENANT, "a:conv\\0\u00e9"))
    call("SELECT * FROM teams_obs.delivery_health(%s, now() - interval '1 day', now() + interval '1 day')", (TENANT,))
    call("SELECT * FROM teams_obs.delivery_health(%s)", (TENANT,))
    for status in (200, 400, 401, 403, 404, 409, 429, 500, 503, None):
        call("SELECT * FROM teams_obs.graph_status_error(%s)", (status,))

    # Partitions and maintenance.
    call("SELECT * FROM teams_obs.maintenance_status()")
    for table in ("teams_obs.notification_deliveries", "teams_obs.audit_events"):
        call("SELECT * FROM teams_obs.partition_bounds(%s::regclass)", (table,))
        call("SELECT * FROM teams_obs.missing_month_partitions(%s::regclass, 6)", (table,))
        call("SELECT * FROM teams_obs.default_partition_months(%s::regclass)", (table,))
    call("SELECT * FROM teams_obs.month_partitioned_tables()")
    # Expired rows in DEFAULT, then retention (the whole transaction is rolled back).
    conn.execute("INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at) "
                 "VALUES (%s, 'bot', 'add_note', 'success', '2001-02-03 00:00:00+00')", (TENANT,))
    call("SELECT * FROM teams_obs.cleanup_notification_deliveries()")
    call("SELECT * FROM teams_obs.cleanup_audit_events()")
    call("SELECT * FROM teams_obs.cleanup_audit_events(interval '1 day', 1)")
    call("SELECT * FROM teams_obs.cleanup_notification_deliveries(interval '-1 day')")
    call("SELECT * FROM teams_obs.tenant_deletion_order()")
    call("SELECT * FROM teams_obs.purge_tenant(%s)", (TENANT,))
    call("SELECT * FROM teams_obs.maintenance_status()")
    return outcomes


def run(db_url: str, **settings: str) -> tuple[list[Any], list[str]]:
    """The scenario in a fresh session with these settings, rolled back; its outcomes and notices."""
    options = " ".join(f"-c {name}={value}" for name, value in settings.items())
    with psycopg.connect(db_url, options=options) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda notice: notices.append(f"{notice.severity}: {notice.message_primary}"))
        for name, value in settings.items():
            assert conn.execute("SELECT current_setting(%s)", (name,)).fetchone() == (value,)
        with conn.transaction(force_rollback=True):
            return normalised(scenario(conn)), notices


def normalised(outcomes: list[Any]) -> list[Any]:
    """The outcomes with what differs between two runs (generated ids, now(), the cursors that hold them)
    replaced by the order of its first appearance: equal values stay equal, different ones different."""
    tokens: dict[Any, str] = {}

    def token(value: Any) -> str:
        return tokens.setdefault((type(value).__name__, value), f"<{type(value).__name__} {len(tokens)}>")

    def walk(value: Any, column: str | None = None) -> Any:
        if isinstance(value, (uuid.UUID, datetime, date)) or (column == "next_cursor" and value is not None):
            return token(value)
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, (Json, Jsonb)):
            return walk(value.obj)
        return value

    def content(row: tuple) -> list[str]:  # what does not differ between runs
        return [repr(value) for value in row if not isinstance(value, (uuid.UUID, datetime, date))]

    result = []
    for outcome in outcomes:
        if outcome[0] == "error":
            result.append(outcome)
        elif outcome[0] == "pages":
            # Rows of one transaction share created_at and their ids are random after its millisecond: the
            # order of a list is the same only up to those ids. Compared: the page sizes, which pages end
            # with a cursor, and the rows listed in all.
            _, names, found = outcome
            at = names.index("next_cursor")
            shape = [(len(page), page[-1][at] is not None if page else None) for page in found]
            rows = sorted((row[:at] + row[at + 1:] for page in found for row in page), key=content)
            result.append(("pages", names, shape, [[walk(value) for value in row] for row in rows]))
        else:
            names, rows = outcome
            result.append((names, [[walk(v, name) for v, name in zip(row, names, strict=True)] for row in rows]))
    return result


def test_public_functions_behave_alike_without_standard_conforming_strings(db_url: str) -> None:
    expected, _ = run(db_url)
    outcomes, notices = run(db_url, standard_conforming_strings="off", escape_string_warning="on")
    assert len(outcomes) == len(expected)
    for number, (got, want) in enumerate(zip(outcomes, expected, strict=True)):
        assert got == want, f"call {number} differs"
    # A literal whose two readings happen to give the same results here is still reported.
    assert [n for n in notices if "nonstandard use of" in n or "escape" in n.lower()] == []
    # The scenario did reach what it is about.
    assert sum(outcome[0] == "error" for outcome in expected) >= 10
    assert sum(outcome[0] != "error" and outcome[1] != [] for outcome in expected) >= 60


def test_no_function_switches_string_literal_settings(db: psycopg.Connection) -> None:
    # A SET clause would also make them alike, at the price of a GUC switch on every call (and no inlining of
    # SQL functions): the literals are written to need none.
    assert db.execute("SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p "
                      "WHERE p.pronamespace = 'teams_obs'::regnamespace AND EXISTS ("
                      "SELECT 1 FROM unnest(p.proconfig) AS c (setting) "
                      "WHERE c.setting ~* '^(standard_conforming_strings|backslash_quote)=')").fetchall() == []


def test_the_plan_deploys_and_verifies_in_a_database_without_standard_conforming_strings(empty_db_url: str) -> None:
    """The verify scripts run in the deploying session too: their literals must mean the same there."""
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = off").format(
            sql.Identifier(conn.info.dbname)))
    Engine(empty_db_url, echo=lambda _line: None).deploy(verify=True)
    assert Engine(empty_db_url, echo=lambda _line: None).verify().errors == []
