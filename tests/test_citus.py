"""Citus (SPEC §6): tables distributed by tenant and colocated, record and read functions delegated.

The first test runs everywhere: on plain PostgreSQL the change says so and changes nothing. The others
need a Citus coordinator whose database has the citus extension on every node: set TEAMS_OBS_CITUS_URL
(README, "Citus"); without it they skip. They revert whatever an earlier run left there, deploy the
whole plan with its partitions, and work on tenants of their own.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from teams_obs.deploy import deploy_and_maintain
from teams_obs.partitions import add_months, current_month, maintain
from teams_obs.sqitch import Engine
from teams_obs.sqitch.engine import project_root
from tests.operations_together import Scenario, check, prepare, run_together
from tests.partition_helpers import WAITING_CALLS, fingerprint, written_while_waiting

CITUS_URL = os.environ.get("TEAMS_OBS_CITUS_URL")
needs_citus = pytest.mark.skipif(not CITUS_URL, reason="TEAMS_OBS_CITUS_URL names no Citus coordinator")
TABLES = ("teams_obs.notification_delivery_idempotency", "teams_obs.notification_deliveries",
          "teams_obs.audit_events", "teams_obs.conversation_references")
DELEGATED = ("record_delivery", "record_deliveries", "record_audit_event", "record_conversation_reference",
             "list_deliveries", "list_audit_events", "latest_conversation_reference",
             "find_conversation_reference", "delivery_health")
ACTIVITY = ('{"from": {"aadObjectId": "aad-user"}, "conversation": {"id": "a:conversation"}, '
            '"serviceUrl": "https://smba.trafficmanager.net/emea/"}')


def test_plain_postgres_keeps_everything_local_and_says_so(db: psycopg.Connection) -> None:
    notices: list[str] = []
    db.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    db.execute((project_root() / "deploy/citus_distribution.sql").read_text())
    assert any("Citus is not installed" in notice for notice in notices), notices
    assert db.execute("SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'citus'").fetchone() == (0,)


@pytest.fixture(scope="module")
def citus() -> Iterator[str]:
    assert CITUS_URL is not None
    engine = Engine(CITUS_URL, echo=lambda _line: None)
    with psycopg.connect(CITUS_URL, autocommit=True) as conn:
        registry = conn.execute("SELECT to_regclass('sqitch.changes') IS NOT NULL").fetchone()[0]
        deployed = registry and conn.execute(
            "SELECT count(*) FROM sqitch.changes WHERE project = 'teams_obs'").fetchone()[0]
    if deployed:
        engine.revert()
    deploy_and_maintain(CITUS_URL, echo=lambda _line: None, verify=True)  # verified before maintain ran
    yield CITUS_URL


@pytest.fixture
def conn(citus: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(citus, autocommit=True) as connection:
        yield connection


@pytest.fixture
def tenant() -> str:
    return str(uuid.uuid4())


@needs_citus
def test_every_table_and_partition_is_distributed_by_tenant_in_one_group(conn: psycopg.Connection) -> None:
    rows = conn.execute("""
        SELECT c.oid::regclass::text, column_to_column_name(d.logicalrelid, d.partkey), d.colocationid
          FROM pg_class c
          LEFT JOIN pg_dist_partition d ON d.logicalrelid = c.oid
         WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p')""").fetchall()
    assert {name for name, _, _ in rows} >= set(TABLES)
    assert len(rows) > len(TABLES)  # the DEFAULT and monthly partitions too
    assert all(column == "tenant" for _, column, _ in rows), rows
    assert len({group for _, _, group in rows}) == 1, rows


@needs_citus
def test_record_and_read_functions_are_delegated_by_tenant(conn: psycopg.Connection) -> None:
    rows = conn.execute("""
        SELECT p.proname, o.distribution_argument_index, o.colocationid = (
                   SELECT d.colocationid FROM pg_dist_partition d
                    WHERE d.logicalrelid = 'teams_obs.notification_deliveries'::regclass)
          FROM pg_dist_object o JOIN pg_proc p ON p.oid = o.objid
         WHERE o.classid = 'pg_proc'::regclass AND p.pronamespace = 'teams_obs'::regnamespace
           AND o.distribution_argument_index IS NOT NULL""").fetchall()
    assert sorted(name for name, _, _ in rows) == sorted(DELEGATED)
    assert all(index == 0 and colocated for _, index, colocated in rows), rows


@needs_citus
def test_verify_passes(citus: str) -> None:
    report = Engine(citus, echo=lambda _line: None).verify()
    assert report.errors == [] and report.pending == [], report


@needs_citus
def test_every_node_grants_the_same_on_the_functions(conn: psycopg.Connection) -> None:
    """A delegated call is checked against the worker's grants alone: PUBLIC must not regain there the
    EXECUTE the change privileges revoked on the coordinator (functions Citus created late)."""
    acls = ("SELECT string_agg(p.oid::regprocedure || ' ' || coalesce(p.proacl::text, 'default'), E'\\n'"
            " ORDER BY p.oid::regprocedure::text) FROM pg_proc p WHERE p.pronamespace = 'teams_obs'::regnamespace")
    coordinator = conn.execute(acls).fetchone()[0]
    assert conn.execute("SELECT array_agg(result) FROM run_command_on_workers(%s)", [acls]).fetchone()[0] == [
        coordinator, coordinator]


@needs_citus
def test_a_delegated_read_refuses_a_writer(citus: str, conn: psycopg.Connection, tenant: str) -> None:
    conn.execute(f"SELECT teams_obs.record_conversation_reference('{tenant}', '{ACTIVITY}')")
    conn.execute("DROP ROLE IF EXISTS teams_obs_test_writer")
    conn.execute("CREATE ROLE teams_obs_test_writer LOGIN IN ROLE teams_obs_writer")
    try:
        writer_url = psycopg.conninfo.make_conninfo(citus, user="teams_obs_test_writer")
        # Autocommit, a top-level SELECT: the call is delegated to the worker holding the tenant.
        with psycopg.connect(writer_url, autocommit=True) as writer, pytest.raises(
                psycopg.errors.InsufficientPrivilege):
            writer.execute(f"SELECT * FROM teams_obs.find_conversation_reference('{tenant}', 'a:conversation')")
    finally:
        conn.execute("DROP ROLE teams_obs_test_writer")


@needs_citus
def test_a_call_runs_on_the_worker_holding_the_tenant(conn: psycopg.Connection, tenant: str) -> None:
    messages: list[str] = []
    conn.add_notice_handler(lambda diagnostic: messages.append(diagnostic.message_primary or ""))
    conn.execute("SET client_min_messages = debug1")
    conn.execute(f"SELECT * FROM teams_obs.record_delivery('{tenant}', 'bot_dm', 'u', 'sent')")
    conn.execute("RESET client_min_messages")
    assert any("pushing down the function call" in message for message in messages), messages


@needs_citus
@pytest.mark.parametrize("recorder", WAITING_CALLS)
def test_a_call_waiting_for_the_tenants_shard_has_reserved_no_key(citus: str, conn: psycopg.Connection,
                                                                  tenant: str, recorder: str) -> None:
    """tests/test_record_delivery.py's check on the worker: while the tenant's deliveries shard is locked
    as `maintain` locks it, a delegated call waiting for it has written nothing (docs/maintenance.md)."""
    shard, host, port = conn.execute(
        "SELECT shard_name, nodename, nodeport FROM pg_catalog.citus_shards WHERE shardid ="
        " get_shard_id_for_distribution_column('teams_obs.notification_deliveries', %s::uuid)", [tenant]).fetchone()
    worker_url = psycopg.conninfo.make_conninfo(citus, host=host, port=port)
    with psycopg.connect(worker_url) as maintenance, psycopg.connect(worker_url, autocommit=True) as worker:
        maintenance.execute("SET LOCAL citus.enable_manual_changes_to_shards = on")
        maintenance.execute(f"LOCK TABLE {shard} IN EXCLUSIVE MODE")
        written = written_while_waiting(worker, maintenance.rollback, citus, recorder, tenant)
    assert written == 0, "the waiting call had already reserved its key"


@needs_citus
def test_recording_reading_and_purging_a_tenant(conn: psycopg.Connection, tenant: str) -> None:
    call = (f"SELECT inserted, delivery_id FROM teams_obs.record_delivery('{tenant}', 'user_activity', 'u', "
            "'failed', p_error_code => 'transient')")
    first, again = conn.execute(call).fetchone(), conn.execute(call).fetchone()
    assert first[0] and not again[0] and first[1] == again[1]
    batch = conn.execute(f"""SELECT count(*) FILTER (WHERE inserted) FROM teams_obs.record_deliveries('{tenant}',
        '[{{"destination_type": "chat", "destination_id": "c1", "status": "delivered"}},
          {{"destination_type": "chat", "destination_id": "c2", "status": "skipped"}}]')""").fetchone()
    assert batch == (2,)
    assert conn.execute(f"SELECT count(*) FROM teams_obs.list_deliveries('{tenant}')").fetchone() == (3,)
    assert conn.execute(f"SELECT count(*) FROM teams_obs.list_deliveries('{tenant}', p_status => 'failed')"
                        ).fetchone() == (1,)
    conn.execute(f"""SELECT * FROM teams_obs.record_audit_event('{tenant}', 'bot', 'add_note', 'success',
                     p_payload => '{{"b": 1, "a": [1.5, "x"]}}')""")
    assert conn.execute(f"SELECT payload_hash FROM teams_obs.list_audit_events('{tenant}')").fetchone() == (
        conn.execute("""SELECT teams_obs.payload_hash('{"a": [1.5, "x"], "b": 1}')""").fetchone()[0],)
    conn.execute(f"SELECT teams_obs.record_conversation_reference('{tenant}', '{ACTIVITY}')")
    assert conn.execute(f"SELECT conversation_id FROM teams_obs.latest_conversation_reference('{tenant}', "
                        "'aad-user')").fetchone() == ("a:conversation",)
    assert conn.execute(f"SELECT count(*) FROM teams_obs.delivery_health('{tenant}')").fetchone()[0] >= 1
    purged = dict(conn.execute(f"SELECT * FROM teams_obs.purge_tenant('{tenant}')").fetchall())
    assert purged == {TABLES[0]: 3, TABLES[1]: 3, TABLES[2]: 1, TABLES[3]: 1}


@needs_citus
def test_maintenance_status_adds_up_the_sidecar_shards(conn: psycopg.Connection, tenant: str) -> None:
    rows = json.dumps([{"destination_type": "chat", "destination_id": f"s{n}", "status": "sent"} for n in range(20)])
    conn.execute("SELECT count(*) FROM teams_obs.record_deliveries(%s, %s)", [tenant, rows])
    conn.execute("ANALYZE teams_obs.notification_delivery_idempotency")
    stored = conn.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency").fetchone()[0]
    assert stored >= 20
    assert conn.execute("SELECT sidecar_rows FROM teams_obs.maintenance_status()"
                        " WHERE sidecar_table = 'teams_obs.notification_delivery_idempotency'").fetchone() == (stored,)


@needs_citus
def test_maintain_moves_default_rows_and_cleanup_removes_expired_ones(conn: psycopg.Connection,
                                                                      tenant: str) -> None:
    def insert(created_at: str) -> None:
        conn.execute(f"""INSERT INTO teams_obs.notification_deliveries
                         (tenant, destination_type, destination_id, idempotency_key, status, created_at)
                         VALUES ('{tenant}', 'chat', 'c', md5(random()::text), 'sent', {created_at})""")
        conn.execute(f"""INSERT INTO teams_obs.notification_delivery_idempotency
                         (tenant, idempotency_key, delivery_id, created_at)
                         VALUES ('{tenant}', md5(random()::text), gen_random_uuid(), {created_at})""")

    in_default = f"SELECT count(*) FROM teams_obs.notification_deliveries_default WHERE tenant = '{tenant}'"
    insert("now() + interval '8 months'")
    assert conn.execute(in_default).fetchone() == (1,)
    conn.execute("SET ROLE teams_obs_maintainer")  # SPEC §5: the maintainer runs maintain, on Citus too
    try:
        actions = maintain(conn, months_ahead=9)
    finally:
        conn.execute("RESET ROLE")
    assert sum(action.rows_moved for action in actions) == 1
    assert conn.execute(in_default).fetchone() == (0,)

    insert("now() - interval '3 years'")  # after maintain: stays in DEFAULT, expired
    removed = dict(conn.execute("SELECT kind, sum(rows_removed)::integer FROM "
                                "teams_obs.cleanup_notification_deliveries() GROUP BY kind").fetchall())
    assert removed["default_rows_deleted"] >= 1 and removed["reservations_deleted"] >= 1, removed
    assert conn.execute(in_default).fetchone() == (0,)
    assert conn.execute(f"SELECT count(*) FROM teams_obs.notification_deliveries WHERE tenant = '{tenant}'"
                        ).fetchone() == (1,)


@needs_citus
def test_rows_moved_out_of_default_leave_no_copy_on_the_coordinator(conn: psycopg.Connection, tenant: str) -> None:
    """Citus copies a partition's rows to the shards when it is attached: maintain empties the coordinator's
    own table of the month, where a purge would never reach them."""
    conn.execute(f"""INSERT INTO teams_obs.notification_deliveries
                     (tenant, destination_type, destination_id, idempotency_key, status, created_at)
                     SELECT '{tenant}', 'chat', 'c' || i, md5(random()::text), 'sent', now() + interval '13 months'
                       FROM generate_series(1, 200) i""")
    conn.execute(f"""INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
                     SELECT '{tenant}', 'bot', 'add_note', 'success', now() + interval '13 months'
                       FROM generate_series(1, 200)""")
    moved = [a for a in maintain(conn) if a.rows_moved]
    assert sorted((a.table, a.rows_moved) for a in moved) == [(TABLES[2], 200), (TABLES[1], 200)]
    for action in moved:
        assert "truncate_local_data_after_distributing_table" in action.sql
        assert conn.execute("SELECT pg_relation_size(%s)", [action.partition]).fetchone() == (0,), action.partition
        assert conn.execute(f"SELECT count(*) FROM {action.partition} WHERE tenant = %s", [tenant]).fetchone() == (
            200,)


@needs_citus
def test_run_retention_commits_batches_on_every_shard(conn: psycopg.Connection, tenant: str) -> None:
    """CALL run_retention as the maintainer: each batch's DELETE runs on every shard and commits."""
    conn.execute(f"""INSERT INTO teams_obs.notification_deliveries
                     (tenant, destination_type, destination_id, idempotency_key, status, created_at)
                     SELECT '{tenant}', 'chat', 'c' || i, md5(random()::text), 'sent', now() - interval '3 years'
                       FROM generate_series(1, 3) i""")
    conn.execute(f"""INSERT INTO teams_obs.notification_delivery_idempotency
                     (tenant, idempotency_key, delivery_id, created_at)
                     SELECT '{tenant}', md5(random()::text), gen_random_uuid(), now() - interval '3 years'
                       FROM generate_series(1, 3)""")
    conn.execute("SET ROLE teams_obs_maintainer")
    try:
        (removed,) = conn.execute("CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days', 1)"
                                  ).fetchone()
    finally:
        conn.execute("RESET ROLE")
    assert "(reservations_deleted," in removed and "(default_rows_deleted," in removed, removed
    for table in ("notification_deliveries_default", "notification_delivery_idempotency"):
        assert conn.execute(f"SELECT count(*) FROM teams_obs.{table} WHERE tenant = %s", (tenant,)).fetchone() == (0,)


@needs_citus
def test_concurrent_writers_store_each_key_once(citus: str, tenant: str) -> None:
    seen: list[dict[str, str]] = []
    start = threading.Barrier(8)

    def writer() -> None:
        ids = {}
        with psycopg.connect(citus, autocommit=True) as connection:
            start.wait()
            for n in range(20):
                ids[f"u{n}"] = connection.execute(
                    "SELECT delivery_id FROM teams_obs.record_delivery(%s, 'bot_dm', %s, 'sent')",
                    (tenant, f"u{n}")).fetchone()[0]
        seen.append(ids)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(ids == seen[0] for ids in seen)
    with psycopg.connect(citus, autocommit=True) as connection:
        stored = connection.execute("SELECT destination_id, delivery_id FROM teams_obs.notification_deliveries "
                                    "WHERE tenant = %s", (tenant,)).fetchall()
    assert dict(stored) == seen[0] and len(stored) == 20


@needs_citus
def test_maintain_retention_and_purge_at_once_while_writers_race_on_the_same_keys(citus: str,
                                                                                  conn: psycopg.Connection) -> None:
    """tests/operations_together.py on Citus, the waiting month a future one: the database is shared with
    the other tests, whose months stay. The writers log in as an application would (a delegated call
    reaches the worker as the caller), with a role that is a member of teams_obs_writer."""
    scenario = Scenario(f"citus-{uuid.uuid4()}", writer_role="teams_obs_citus_writer")
    if not conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [scenario.writer_role]).fetchone()[0]:
        conn.execute(f"CREATE ROLE {scenario.writer_role} LOGIN IN ROLE teams_obs_writer")
    prepare(conn, scenario, waiting=add_months(current_month(conn), 11), rows=2000)
    kept_before = fingerprint(conn, scenario.kept())
    check(conn, scenario, run_together(citus, scenario), kept_before)


@needs_citus
def test_cleanup_drops_expired_months_on_every_node(conn: psycopg.Connection, tenant: str) -> None:
    conn.execute(f"""INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
                     VALUES ('{tenant}', 'bot', 'add_note', 'success', now() - interval '3 years')""")
    (action,) = [a for a in maintain(conn) if a.table == "teams_obs.audit_events"]
    assert action.rows_moved == 1
    dropped = conn.execute("SELECT names FROM teams_obs.cleanup_audit_events() "
                           "WHERE kind = 'partitions_dropped'").fetchone()[0]
    assert action.partition in dropped
    assert conn.execute("SELECT to_regclass(%s)", (action.partition,)).fetchone() == (None,)
    shards_left = conn.execute(
        "SELECT array_agg(result) FROM run_command_on_workers(format("
        "'SELECT count(*) FROM pg_class WHERE relname LIKE %%L', %s || '%%'))",
        (action.partition.removeprefix("teams_obs."),)).fetchone()[0]
    assert shards_left == ["0", "0"]


@needs_citus
def test_row_level_security_shows_a_reporting_role_only_its_tenant(conn: psycopg.Connection, tenant: str) -> None:
    other = str(uuid.uuid4())
    for owner in (tenant, other):
        conn.execute("SELECT * FROM teams_obs.record_delivery(%s, 'bot_dm', 'r', 'sent')", (owner,))
    conn.execute("DROP ROLE IF EXISTS teams_obs_test_report")
    conn.execute("CREATE ROLE teams_obs_test_report LOGIN")  # Citus reaches the workers as this role
    try:
        conn.execute("GRANT USAGE ON SCHEMA teams_obs TO teams_obs_test_report")
        conn.execute("GRANT SELECT ON teams_obs.notification_deliveries TO teams_obs_test_report")
        count = "SELECT count(*) FROM teams_obs.notification_deliveries WHERE tenant IN (%s, %s)"
        with conn.transaction():
            conn.execute("SET LOCAL ROLE teams_obs_test_report")
            # README: on Citus the tenant setting reaches the workers only this way.
            conn.execute("SET LOCAL citus.propagate_set_commands = 'local'")
            conn.execute(f"SET LOCAL teams_obs.tenant = '{tenant}'")
            assert conn.execute(count, (tenant, other)).fetchone() == (1,)
        with conn.transaction():
            conn.execute("SET LOCAL ROLE teams_obs_test_report")
            # docs/security.md: a plain SET LOCAL stays on the coordinator; the workers see no tenant, no error.
            conn.execute(f"SET LOCAL teams_obs.tenant = '{tenant}'")
            assert conn.execute(count, (tenant, other)).fetchone() == (0,)
    finally:
        conn.execute("DROP OWNED BY teams_obs_test_report")
        conn.execute("DROP ROLE teams_obs_test_report")


@needs_citus
def test_the_change_reverts_and_deploys_again(citus: str) -> None:
    engine = Engine(citus, echo=lambda _line: None)
    changes = ["citus_distribution", "partition_maintenance", "initial_partitions"]
    assert [change.name for change in engine.revert("privileges")] == changes[::-1]
    assert [change.name for change in engine.deploy()] == changes
    report = engine.verify()
    assert report.errors == [] and report.pending == [], report


@needs_citus
def test_a_deploy_leaves_the_months_to_maintain(citus: str, conn: psycopg.Connection,
                                                                      tenant: str) -> None:
    """On Citus several ATTACH PARTITIONs of distributed tables in one transaction can end in a distributed
    deadlock: initial_partitions leaves the months to maintain (one per transaction), rows in DEFAULT or not."""
    engine = Engine(citus, echo=lambda _line: None)
    assert [change.name for change in engine.revert("partition_maintenance")] == ["initial_partitions"]
    future = conn.execute("SELECT b.partition_name FROM teams_obs.month_partitioned_tables() t,"
                          " teams_obs.partition_bounds(t.parent_oid::regclass) b"
                          " WHERE b.lower_bound > now()").fetchall()
    for (name,) in future:
        conn.execute(f"DROP TABLE {name}")
    conn.execute(f"""INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
                     VALUES ('{tenant}', 'bot', 'add_note', 'success', now() + interval '2 months')""")
    assert [change.name for change in engine.deploy()] == ["initial_partitions"]
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="run teams-obs maintain"):
        conn.execute("CALL teams_obs.maintain_partitions()")  # its months ended in distributed deadlocks
    actions = maintain(conn)  # the next 3 months of both tables, the audit row's among them
    assert len(actions) == 6 and {a.partition for a in actions} <= {name for (name,) in future}
    assert [a.rows_moved for a in actions if a.rows_moved] == [1]
