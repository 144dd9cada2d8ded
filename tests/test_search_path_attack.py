"""A search_path attack (SPEC §5): an attacker plants functions and operators in `public` that shadow
built-ins the code uses, plus temporary tables named like ours, and calls every public function with
`search_path = public, pg_catalog`. Every answer and every stored row must be what a clean session gets,
and no planted object may ever run (each one logs its calls). A static check complements it: no function
body names a table or type of ours without the schema.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from tests.function_roles import BUILDING_BLOCKS, EXPECTED
from tests.security_helpers import MAINTAINER, READER, WRITER

T = uuid.UUID("00000000-0000-4000-8000-00000000a77a")
N = uuid.UUID("00000000-0000-4000-8000-00000000000e")
NOW = datetime.now(UTC)
PARAMS = {
    "t": T, "n": N, "sent": NOW - timedelta(seconds=3), "delivered": NOW - timedelta(seconds=1),
    "since": NOW - timedelta(hours=1), "until": NOW + timedelta(hours=1),
    "batch": Jsonb([{"destination_type": "channel", "destination_id": " c1 ", "status": "sent", "nonce": "b"},
                    {"destination_type": "channel", "destination_id": "c1", "status": "sent", "nonce": "b"}]),
    "activity": Jsonb({"from": {"id": "29:x", "aadObjectId": " aad-x "},
                       "conversation": {"id": "a:x", "conversationType": "groupChat"},
                       "serviceUrl": "https://smba.example/", "channelData": {"tenant": {"id": "aad-t"}}}),
    "payload": '{"b": [1e23, "é\\u2028", 5e-324], "a": {"z": null, "é": true}}',
}

# (role, call): every public function, projected on what does not change between two runs (no random
# ids, no created_at); rows are sorted in Python, never by the attacker's operators.
SCENARIO = [
    (WRITER, "SELECT inserted, idempotency_key FROM teams_obs.record_delivery(%(t)s, ' user_activity ', ' Zoë ', "
             "'delivered', p_internal_notification_id => %(n)s, p_category => ' assignment ', "
             "p_error_message => '  MSG  ', p_sent_at => %(sent)s, p_delivered_at => %(delivered)s, p_nonce => 'n1')"),
    (WRITER, "SELECT inserted, idempotency_key FROM teams_obs.record_delivery(%(t)s, 'bot_dm', 'u2', 'failed', "
             "p_error_code => 'graph_throttled', p_attempt_number => 2, p_retryable => true)"),
    (WRITER, "SELECT inserted, idempotency_key FROM teams_obs.record_delivery(%(t)s, 'user_activity', 'Zoë', "
             "'failed', p_internal_notification_id => %(n)s, p_nonce => 'n1')"),
    (WRITER, "SELECT ordinality, inserted, idempotency_key FROM teams_obs.record_deliveries(%(t)s, %(batch)s)"),
    (WRITER, "SELECT payload_hash FROM teams_obs.record_audit_event(%(t)s, 'bot', 'add_note', 'failure', "
             "p_microsoft_user_id => ' AAD-X ', p_target_type => ' ticket ', p_target_id => 'T-1', "
             "p_payload => %(payload)s::json, p_error_code => 'forbidden')"),
    (WRITER, "SELECT teams_obs.record_conversation_reference(%(t)s, %(activity)s, %(sent)s)"),
    (WRITER, "SELECT teams_obs.delivery_idempotency_key(%(t)s, %(n)s, ' chat ', 'x', 3, ' nonce ')"),
    (WRITER, "SELECT * FROM teams_obs.graph_status_error(503)"),
    (WRITER, "SELECT * FROM teams_obs.graph_status_error(NULL)"),
    (WRITER, "SELECT teams_obs.canonical_json(%(payload)s::json), teams_obs.payload_hash(%(payload)s::json)"),
    ("STATE", None),
    (READER, "SELECT destination_type, destination_id, status, category, error_code, error_message, retryable, "
             "attempt_number, idempotency_key, sent_at, delivered_at FROM teams_obs.list_deliveries(%(t)s)"),
    (READER, "SELECT count(*) FROM teams_obs.list_deliveries(%(t)s, p_status => 'failed', p_since => %(since)s, "
             "p_until => %(until)s, p_destination_type => 'bot_dm', p_error_code => 'graph_throttled')"),
    (READER, "SELECT surface, action_id, result_status, microsoft_user_id, target_type, target_id, payload_hash, "
             "error_code FROM teams_obs.list_audit_events(%(t)s, p_target_type => 'ticket')"),
    (READER, "SELECT microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad "
             "FROM teams_obs.latest_conversation_reference(%(t)s, 'aad-x', 'groupChat')"),
    (READER, "SELECT microsoft_user_id, service_url FROM teams_obs.find_conversation_reference(%(t)s, 'a:x')"),
    (READER, "SELECT total, skipped, sent, delivered, failed, error_codes::text, success_rate, latency_samples, "
             "latency_p50, latency_p95 FROM teams_obs.delivery_health(%(t)s, %(since)s, %(until)s)"),
    (READER, "SELECT table_name, partitions, months_ahead, covered_until, default_rows, sidecar_table "
             "FROM teams_obs.maintenance_status()"),
    (MAINTAINER, "SELECT kind, table_name, partitions, rows_removed FROM teams_obs.cleanup_notification_deliveries()"),
    (MAINTAINER, "SELECT kind, table_name, partitions, rows_removed FROM teams_obs.cleanup_audit_events()"),
    (MAINTAINER, "CALL teams_obs.run_retention('teams_obs.audit_events', '365 days')"),  # no batch: no COMMIT
    (MAINTAINER, "SELECT teams_obs.retention_cutoff('1 day') < now()"),
    (MAINTAINER, "SELECT kind, table_name::text "
                 "FROM teams_obs.retention_row_tables('teams_obs.notification_deliveries')"),
    (MAINTAINER, "SELECT count(*) > 0 FROM teams_obs.retention_row_batches('teams_obs.notification_deliveries')"),
    (MAINTAINER, "SELECT teams_obs.delete_retention_batch('teams_obs.notification_deliveries', "
                 "'teams_obs.notification_delivery_idempotency', now() - interval '90 days', 0, 1)"),
    (MAINTAINER, "SELECT (teams_obs.rows_deleted_result('teams_obs.audit_events', 'teams_obs.audit_events_default', "
                 "'default_rows_deleted', true, 0, now())).table_name"),
    (MAINTAINER, "SELECT kind, partitions FROM teams_obs.drop_expired_partitions('teams_obs.audit_events', "
                 "now() - interval '365 days')"),
    (MAINTAINER, "SELECT parent, key_column, default_partition, column_names "
                 "FROM teams_obs.month_partitioned_tables()"),
    (MAINTAINER, "SELECT (teams_obs.month_partitioned_table_of('teams_obs.audit_events')).default_partition"),
    (MAINTAINER, "SELECT teams_obs.month_partition_name('teams_obs.audit_events', '2031-05-01 00:00+00')"),
    (MAINTAINER, "SELECT count(*) FROM teams_obs.default_partition_months('teams_obs.audit_events')"),
    (MAINTAINER, "SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', "
                 "'2031-05-01 00:00+00')"),
    (MAINTAINER, "SELECT partition_name, default_rows, overlapping "
                 "FROM teams_obs.missing_month_partitions('teams_obs.notification_deliveries', 6)"),
    (MAINTAINER, "CALL teams_obs.maintain_partitions(0)"),
    (MAINTAINER, "SELECT partition_name, is_default, lower_bound, upper_bound "
                 "FROM teams_obs.partition_bounds('teams_obs.notification_deliveries')"),
    (MAINTAINER, "SELECT teams_obs.lock_partition_maintenance('teams_obs.audit_events')"),
    (MAINTAINER, "SELECT * FROM teams_obs.tenant_deletion_order()"),
    (MAINTAINER, "SELECT teams_obs.purge_tenant_table(%(t)s, 'teams_obs.conversation_references')"),
    (MAINTAINER, "SELECT * FROM teams_obs.purge_tenant(%(t)s)"),
    ("STATE", None),
]

# Stored rows, read by the owner with a clean search_path.
STATE = """
SELECT 'delivery', concat_ws('|', destination_type, destination_id, status, category, error_code, error_message,
                             retryable, attempt_number, idempotency_key, sent_at, delivered_at)
  FROM teams_obs.notification_deliveries WHERE tenant = %(t)s
UNION ALL SELECT 'reservation', idempotency_key FROM teams_obs.notification_delivery_idempotency WHERE tenant = %(t)s
UNION ALL SELECT 'audit', concat_ws('|', surface, action_id, result_status, microsoft_user_id, target_type, target_id,
                                    payload_hash, error_code) FROM teams_obs.audit_events WHERE tenant = %(t)s
UNION ALL SELECT 'conversation', concat_ws('|', microsoft_user_id, conversation_id, conversation_type, service_url,
                                           tenant_id_aad, last_activity_at)
  FROM teams_obs.conversation_references WHERE tenant = %(t)s
"""

PLANTED_FUNCTIONS = [
    ("lower", "p text", "text", "'pwned'"), ("upper", "p text", "text", "'PWNED'"),
    ("btrim", "p text", "text", "'pwned'"), ("btrim", "p text, q text", "text", "'pwned'"),
    ("length", "p text", "integer", "1"), ("char_length", "p text", "integer", "1"),
    ("left", "p text, n integer", "text", "'pwned'"), ("strpos", "p text, q text", "integer", "0"),
    ("replace", "p text, q text, r text", "text", "'pwned'"), ("nullif", "p text, q text", "text", "'pwned'"),
    ("now", "", "timestamptz", "'2000-01-01Z'"), ("clock_timestamp", "", "timestamptz", "'2000-01-01Z'"),
    ("sha256", "p bytea", "bytea", "'\\x00'::bytea"), ("encode", "p bytea, f text", "text", "'pwned'"),
    ("convert_to", "p text, e name", "bytea", "'\\x00'::bytea"), ("format", "f text", "text", "'pwned'"),
    ("format", "f text, VARIADIC a text[]", "text", "'pwned'"), ("gen_random_uuid", "", "uuid", "%(zero)s"),
    ("current_setting", "p text, m boolean", "text", "'pwned'"), ("to_json", "p text", "json", "'1'::json"),
    ("jsonb_typeof", "p jsonb", "text", "'string'"), ("date_trunc", "u text, p timestamptz", "timestamptz",
                                                         "'2000-01-01Z'"),
    ("isfinite", "p timestamptz", "boolean", "false"), ("coalesce", "p text, q text", "text", "'pwned'"),
    ("to_char", "p timestamptz, f text", "text", "'pwned'"), ("quote_ident", "p text", "text", "'pwned'"),
    ("array_to_string", "p text[], s text", "text", "'pwned'"), ("octet_length", "p text", "integer", "1"),
    ("make_interval", "months integer", "interval", "'1 day'"), ("cardinality", "p text[]", "integer", "1"),
    ("set_config", "p text, q text, r boolean", "text", "'pwned'"), ("generate_series", "p integer, q integer",
                                                                     "integer", "1"),
]
PLANTED_OPERATORS = [("=", "uuid", "true"), ("=", "text", "true"), ("<>", "text", "false"), ("||", "text", "'pwned'"),
                     ("<", "timestamptz", "true"), (">=", "timestamptz", "true"), ("~", "text", "true"),
                     ("+", "integer", "true"), (">", "integer", "true")]
SHADOW_TABLES = ("notification_deliveries", "notification_delivery_idempotency", "audit_events",
                 "conversation_references", "tenant_deletion_order")


def plant(db: psycopg.Connection) -> None:
    """As a superuser would let an attacker: objects in public, callable by everyone, logging each call."""
    db.execute("CREATE TABLE public.attack_log (called text)")
    db.execute("GRANT INSERT, SELECT ON public.attack_log TO PUBLIC")
    zero = "'00000000-0000-0000-0000-000000000000'::uuid"
    for name, args, returns, value in PLANTED_FUNCTIONS:
        db.execute(f"CREATE FUNCTION public.{name}({args}) RETURNS {returns} LANGUAGE plpgsql AS "
                   f"$$BEGIN INSERT INTO public.attack_log VALUES ('{name}({args})'); "
                   f"RETURN {value % {'zero': zero} if '%(zero)s' in value else value}; END$$")
    for number, (operator, type_, value) in enumerate(PLANTED_OPERATORS):
        returns = "text" if operator == "||" else "boolean"
        db.execute(f"CREATE FUNCTION public.evil_operator_{number}(a {type_}, b {type_}) RETURNS {returns} "
                   f"LANGUAGE plpgsql AS $$BEGIN INSERT INTO public.attack_log VALUES ('{operator} {type_}'); "
                   f"RETURN {value}; END$$")
        db.execute(f"CREATE OPERATOR public.{operator} (LEFTARG = {type_}, RIGHTARG = {type_}, "
                   f"FUNCTION = public.evil_operator_{number})")
    db.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC")


def plant_types(db: psycopg.Connection) -> None:
    """Types named as the ones a procedure may declare, whose values run logged code when a variable of
    them is assigned: a domain checked by a planted function, a composite with an attribute of it. Kept
    apart from plant(): the scenario's own casts would resolve them too."""
    db.execute("CREATE FUNCTION public.planted_check(v anyelement) RETURNS boolean LANGUAGE plpgsql AS "
               "$$BEGIN INSERT INTO public.attack_log VALUES ('domain ' || pg_typeof(v)); RETURN true; END$$")
    for name, base in (("timestamptz", "pg_catalog.timestamptz"), ("int8", "pg_catalog.int8"),
                       ("text", "pg_catalog.text")):
        db.execute(f"CREATE DOMAIN public.{name} AS {base} CHECK (public.planted_check(VALUE))")
    db.execute("CREATE TYPE public.record AS (parent_oid pg_catalog.oid, parent public.text)")
    db.execute("GRANT EXECUTE ON FUNCTION public.planted_check(anyelement) TO PUBLIC")


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00")


def run(db: psycopg.Connection, attacker_path: str | None) -> list:
    """The scenario in one transaction (rolled back), each call under its role."""
    answers = []
    with db.transaction(force_rollback=True):
        if attacker_path:
            for table in SHADOW_TABLES:
                db.execute(f"CREATE TEMP TABLE {table} (tenant uuid, table_name text, step integer)")
                db.execute(f"GRANT ALL ON {table} TO PUBLIC")
        for role, call in SCENARIO:
            db.execute("RESET ROLE")
            if role == "STATE":
                db.execute("SET LOCAL search_path = pg_catalog, pg_temp")
                answers.append(sorted(map(repr, db.execute(STATE, PARAMS).fetchall())))
                continue
            db.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            if attacker_path:
                db.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.SQL(attacker_path)))
            answer = sorted(map(repr, db.execute(call, PARAMS).fetchall()))
            if call.startswith("CALL"):  # its report's cutoff is now() - retention: each run's own now()
                answer = [TIMESTAMP.sub("<now>", line) for line in answer]
            answers.append(answer)
    return answers


def test_planted_objects_change_nothing_any_function_returns_or_writes(db: psycopg.Connection) -> None:
    clean = run(db, None)
    plant(db)
    with db.transaction(force_rollback=True):  # the attack is live for ordinary unqualified SQL
        db.execute("SET LOCAL search_path = public, pg_catalog")
        probe = f"SELECT lower('ABC'), '{uuid.uuid4()}'::uuid = gen_random_uuid()"
        assert db.execute(probe).fetchone() == ("pwned", True)
    attacked = run(db, "public, pg_catalog")
    assert db.execute("SELECT count(*) FROM public.attack_log").fetchone()[0] == 0
    assert attacked == clean
    assert all(answer for answer in clean[:-1]), "every call of the scenario answers something"


def test_the_upkeep_procedure_ignores_planted_objects(db: psycopg.Connection) -> None:
    """maintain_partitions commits, so it cannot pin search_path: every name, operator and declared type
    in it is qualified. Under the attacker's path it makes the months ahead as in a clean session, and no planted
    object runs."""
    plant(db)
    plant_types(db)
    db.execute("SET search_path = public, pg_catalog")
    try:
        created = db.execute("CALL teams_obs.maintain_partitions(5)").fetchone()
    finally:
        db.execute("RESET search_path")
    assert created == (4,)  # months 4 and 5 of both tables
    assert db.execute("SELECT count(*) FROM public.attack_log").fetchone()[0] == 0


def test_the_retention_procedure_ignores_planted_objects(db: psycopg.Connection) -> None:
    """run_retention commits after each batch, so it cannot pin search_path either. Under the attacker's
    path it deletes the expired reservations as in a clean session, and no planted object runs."""
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency"
               " (tenant, idempotency_key, delivery_id, created_at)"
               " SELECT %s, 'k' || i, gen_random_uuid(), now() - interval '100 days' FROM generate_series(1, 500) i",
               [T])
    plant(db)
    plant_types(db)
    db.execute("SET search_path = public, pg_catalog")
    try:
        (removed,) = db.execute("CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days', 50)"
                                ).fetchone()
    finally:
        db.execute("RESET search_path")
    assert db.execute("SELECT count(*) FROM public.attack_log").fetchone()[0] == 0
    assert "(reservations_deleted,teams_obs.notification_delivery_idempotency,0,500," in removed
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency WHERE tenant = %s",
                      [T]).fetchone()[0] == 0


def test_the_scenario_covers_every_function_granted_to_a_role(db: psycopg.Connection) -> None:
    granted = {name for name, (roles, _call) in EXPECTED.items() if roles}
    called = " ".join(call for _role, call in SCENARIO if call)
    assert {name for name in granted if f"teams_obs.{name}(" not in called} == BUILDING_BLOCKS


OUR_NAMES = """
SELECT relname FROM pg_class
 WHERE relnamespace = 'teams_obs'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S', 'c')
UNION SELECT typname FROM pg_type WHERE typnamespace = 'teams_obs'::regnamespace AND typtype IN ('c', 'd', 'e')
"""


def unqualified_references(body: str, names: set[str]) -> list[str]:
    """Places where a function body names one of our tables or types without `teams_obs.`: resolved
    through search_path, where pg_temp (searched for relations and types) could supply its own.
    A quoted bare name is a label (a cursor's list name, a format() argument) unless cast to regclass."""
    code = re.sub(r"/\*.*?\*/", "", re.sub(r"--[^\n]*", "", body), flags=re.S)
    pattern = r"(?<![\w.$])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b"
    found = []
    for match in re.finditer(pattern, code):
        before, after = code[match.start() - 1:match.start()], code[match.end():match.end() + 20]
        label = before == "'" and after.startswith("'") and not re.match(r"'::(pg_catalog\.)?regclass", after)
        if not label:
            found.append(code[max(0, match.start() - 30):match.end() + 10])
    return found


def test_no_function_names_a_table_or_type_of_ours_unqualified(db: psycopg.Connection) -> None:
    names = {name for (name,) in db.execute(OUR_NAMES)}
    assert {"notification_deliveries", "audit_events", "cleanup_result"} <= names
    offenders = {name: found for name, body in db.execute(
        "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'teams_obs'::regnamespace")
        if (found := unqualified_references(body, names))}
    assert offenders == {}
    assert unqualified_references("DELETE FROM notification_deliveries WHERE", names)  # the check can fail
    assert unqualified_references("SELECT 'audit_events'::regclass", names)
    assert not unqualified_references("decode_cursor('audit_events', t) FROM teams_obs.audit_events", names)
