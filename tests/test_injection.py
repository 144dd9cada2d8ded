"""Injection strings in every text parameter of every record function are stored verbatim (free text)
or refused with 22023/23514 (taxonomies and formats), and nothing else happens: the catalog and every
other row stay as they were.

Parameters are enumerated from the catalog: a text parameter added later that is not declared below
fails test_every_text_parameter_is_declared.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from tests.security_helpers import WRITER, as_role, cloned_database

TENANT = uuid.UUID("00000000-0000-4000-8000-00000000171e")
INJECTIONS = (
    "'; DROP TABLE teams_obs.notification_deliveries; --",
    "$$; DROP SCHEMA teams_obs CASCADE; $$",
    "$function$ BEGIN DELETE FROM teams_obs.audit_events; END $function$",
    "%I %L %s %1$s %% %",
    "\\'; SELECT pg_sleep(5); -- \\\\ \\x00 \\u0000",
    "\"quoted\" 'single' ''doubled'' `back`",
    "Robert'); DELETE FROM teams_obs.conversation_references WHERE ('1'='1",
    "Zoë 東京 🚀 \u202egnp.exe עברית",
    "x', true) OR true; SET LOCAL teams_obs.tenant = '00000000-0000-0000-0000-000000000000",
    "E'\\u0041' U&'\\0041' ::uuid::text",
)

# Free text, stored as given (the parameter's column has its name without p_); nonce only feeds the key.
STORED = {
    "record_delivery": {"p_destination_id", "p_category", "p_error_message", "p_provider_message_id",
                        "p_provider_request_id"},
    "record_audit_event": {"p_microsoft_user_id", "p_target_type", "p_target_id", "p_idempotency_key"},
}
ACCEPTED = {"record_delivery": {"p_nonce"}}
# Taxonomies and formats: refused.
REFUSED = {
    "record_delivery": {"p_destination_type", "p_status", "p_error_code"},
    "record_audit_event": {"p_surface", "p_action_id", "p_result_status", "p_error_code", "p_payload_hash"},
}
BASE = {
    "record_delivery": {"p_destination_type": "bot_dm", "p_destination_id": "u", "p_status": "failed"},
    "record_audit_event": {"p_surface": "bot", "p_action_id": "add_note", "p_result_status": "failure"},
}
ID_COLUMN = {"record_delivery": ("delivery_id", "teams_obs.notification_deliveries"),
             "record_audit_event": ("event_id", "teams_obs.audit_events")}
# record_conversation_reference takes its text inside the activity: path -> column it is stored in.
ACTIVITY_TEXT = {
    ("from", "aadObjectId"): "microsoft_user_id",
    ("conversation", "id"): "conversation_id",
    ("serviceUrl",): "service_url",
    ("channelData", "tenant", "id"): "tenant_id_aad",
    ("channelId",): "channel_id_bot_framework",
}

FINGERPRINT = """
SELECT (SELECT md5(string_agg(c.oid || c.relname || c.relkind::text, ',' ORDER BY c.oid)) FROM pg_class c),
       (SELECT md5(string_agg(p.oid || p.proname || md5(p.prosrc), ',' ORDER BY p.oid)) FROM pg_proc p),
       (SELECT md5(string_agg(n.oid || n.nspname, ',' ORDER BY n.oid)) FROM pg_namespace n),
       (SELECT count(*) FROM teams_obs.notification_deliveries), (SELECT count(*) FROM teams_obs.audit_events),
       (SELECT count(*) FROM teams_obs.notification_delivery_idempotency),
       (SELECT count(*) FROM teams_obs.conversation_references),
       current_setting('teams_obs.tenant', true)
"""


@pytest.fixture(scope="module")
def injection_db(pg_cluster, teams_obs_template) -> psycopg.Connection:
    with cloned_database(pg_cluster, teams_obs_template, "teams_obs_injection") as conn:
        conn.execute("SELECT teams_obs.record_delivery(%s, 'bot_dm', 'existing', 'sent')", (uuid.uuid4(),))
        yield conn


def text_parameters(conn: psycopg.Connection, function: str) -> set[str]:
    rows = conn.execute("SELECT n, t FROM pg_proc p, unnest(p.proargnames, p.proargtypes::oid[]) AS a (n, t) "
                        "WHERE p.oid = %s::regproc AND t = 'text'::regtype", (f"teams_obs.{function}",)).fetchall()
    return {name for name, _type in rows}


def test_every_text_parameter_is_declared(injection_db: psycopg.Connection) -> None:
    functions = {name for (name,) in injection_db.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = 'teams_obs'::regnamespace AND proname LIKE 'record%%'")}
    assert functions == {"record_delivery", "record_deliveries", "record_audit_event", "record_conversation_reference"}
    for function in ("record_delivery", "record_audit_event"):
        declared = STORED[function] | ACCEPTED.get(function, set()) | REFUSED[function]
        assert text_parameters(injection_db, function) == declared, function
    assert text_parameters(injection_db, "record_deliveries") == set()  # its text arrives as record_delivery's keys
    assert text_parameters(injection_db, "record_conversation_reference") == set()  # inside the activity


def call(conn: psycopg.Connection, function: str, arguments: dict) -> sql.Composed:
    return sql.SQL("SELECT * FROM teams_obs.{}(p_tenant => %(p_tenant)s, {})").format(
        sql.Identifier(function),
        sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder(name))
                           for name in arguments))


def check(conn: psycopg.Connection, attempt, stored: dict[str, str] | None) -> None:
    """Run ``attempt`` as the writer; it must store ``stored`` (column -> value) or, when None, be refused.
    Either way the catalog and all other rows are unchanged."""
    before = conn.execute(FINGERPRINT).fetchone()
    with as_role(conn, WRITER):
        if stored is None:
            with pytest.raises(psycopg.Error) as refused:
                attempt()
            assert refused.value.sqlstate in ("22023", "23514"), refused.value
        else:
            table, key, row_id = attempt()
            conn.execute("RESET ROLE")
            columns = sql.SQL(", ").join(map(sql.Identifier, stored))
            row = conn.execute(sql.SQL("SELECT {} FROM {} WHERE tenant = %s AND {} = %s").format(
                columns, sql.SQL(table), sql.Identifier(key)), (TENANT, row_id)).fetchone()
            assert row == tuple(stored.values())
    after = conn.execute(FINGERPRINT).fetchone()
    assert after == before


def declared_cases(kind: dict[str, set[str]]) -> list[tuple[str, str]]:
    return [(function, name) for function, names in sorted(kind.items()) for name in sorted(names)]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(("function", "parameter"), declared_cases(STORED) + declared_cases(ACCEPTED)
                         + declared_cases(REFUSED))
def test_record_function_parameter(injection_db: psycopg.Connection, function: str, parameter: str,
                                   value: str) -> None:
    arguments = {**BASE[function], parameter: value}
    key, table = ID_COLUMN[function]

    def attempt():
        row = injection_db.execute(call(injection_db, function, arguments), {"p_tenant": TENANT, **arguments})
        return table, key, row.fetchone().__getitem__(1 if function == "record_delivery" else 0)

    if parameter in REFUSED[function]:
        check(injection_db, attempt, None)
    else:
        column = parameter.removeprefix("p_")
        check(injection_db, attempt, {column: value} if parameter in STORED[function] else {})


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("parameter", sorted(STORED["record_delivery"] | ACCEPTED["record_delivery"]
                                             | REFUSED["record_delivery"]))
def test_record_deliveries_element(injection_db: psycopg.Connection, parameter: str, value: str) -> None:
    element = {name.removeprefix("p_"): v for name, v in {**BASE["record_delivery"], parameter: value}.items()}

    def attempt():
        (delivery_id,) = injection_db.execute("SELECT delivery_id FROM teams_obs.record_deliveries(%s, %s)",
                                              (TENANT, Jsonb([element]))).fetchone()
        return "teams_obs.notification_deliveries", "delivery_id", delivery_id

    if parameter in REFUSED["record_delivery"]:
        check(injection_db, attempt, None)
    else:
        stored = {parameter.removeprefix("p_"): value} if parameter in STORED["record_delivery"] else {}
        check(injection_db, attempt, stored)


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("path", sorted(ACTIVITY_TEXT))
def test_record_conversation_reference_activity_text(injection_db: psycopg.Connection, path: tuple[str, ...],
                                                     value: str) -> None:
    activity: dict = {"from": {"aadObjectId": "aad-user"}, "conversation": {"id": "a:c"},
                      "serviceUrl": "https://smba.example/"}
    node = activity
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node[path[-1]] = value

    def attempt():
        assert injection_db.execute("SELECT teams_obs.record_conversation_reference(%s, %s)",
                                    (TENANT, Jsonb(activity))).fetchone()[0]
        return ("teams_obs.conversation_references", "conversation_id", activity["conversation"]["id"])

    check(injection_db, attempt, {ACTIVITY_TEXT[path]: value,
                                  "microsoft_user_id": activity["from"]["aadObjectId"]})
