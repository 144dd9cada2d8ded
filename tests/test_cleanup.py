"""Retention behaviour that needs more than one session: batches as separate statements, a partition
that stays locked elsewhere reported busy instead of stalling or failing the run, and run_retention
committing each batch."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from psycopg.types.composite import CompositeInfo, register_composite

from teams_obs.cli.maintain import RETENTIONS
from teams_obs.partitions import add_months, current_month
from tests.partition_helpers import create_partition_of

SIDECAR = "teams_obs.notification_delivery_idempotency"
CLEANUP = "SELECT kind, partitions, rows_removed, names FROM teams_obs.cleanup_notification_deliveries({})"
RUN_RETENTION = "CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days', %s)"


def add_reservations(db: psycopg.Connection, count: int, age: str) -> None:
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency"
               " (tenant, idempotency_key, delivery_id, created_at)"
               " SELECT gen_random_uuid(), md5(random()::text), gen_random_uuid(), now() - %s::interval"
               "   FROM generate_series(1, %s)", [age, count])


def test_expired_reservations_go_in_batches_of_about_the_given_size(db):
    add_reservations(db, 3000, "100 days")
    add_reservations(db, 40, "1 day")
    db.execute(f"VACUUM ANALYZE {SIDECAR}")  # the batches are page ranges sized by the planner's statistics
    messages: list[str] = []
    db.add_notice_handler(lambda notice: messages.append(notice.message_primary))
    db.execute("SET client_min_messages = debug1")
    report = {kind: rows for kind, _, rows, _ in db.execute(CLEANUP.format("'90 days', 500")).fetchall()}
    db.execute("RESET client_min_messages")

    batches = [int(m.rsplit(": ", 1)[1].split()[0]) for m in messages if f" of {SIDECAR}: " in m]
    assert len(batches) >= 6 and sum(batches) == 3000
    assert max(batches) <= 550
    assert report["reservations_deleted"] == 3000
    assert db.execute(f"SELECT count(*) FROM {SIDECAR}").fetchone()[0] == 40


def test_a_partition_locked_elsewhere_is_reported_busy_and_kept(db, db_url):
    old = add_months(current_month(db), -6)
    name = create_partition_of(db, old)
    add_reservations(db, 3, "200 days")
    with psycopg.connect(db_url) as reader:
        reader.execute("SELECT count(*) FROM teams_obs.notification_deliveries")  # a long read: ACCESS SHARE held
        report = {kind: (partitions, rows, names)
                  for kind, partitions, rows, names in db.execute(CLEANUP.format("'90 days'")).fetchall()}
    assert report["partitions_busy"] == (1, 0, [name])
    assert report["partitions_dropped"] == (0, 0, [])
    assert report["reservations_deleted"][1] == 3  # the rest of the run went through
    assert db.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]
    report = {kind: names for kind, _, _, names in db.execute(CLEANUP.format("'90 days'")).fetchall()}
    assert report["partitions_dropped"] == [name] and "partitions_busy" not in report


def run_retention(conn: psycopg.Connection, batch_size: int) -> dict[str, tuple]:
    """CALL run_retention on deliveries; its report by kind: (table_name, partitions, rows_removed, names)."""
    register_composite(CompositeInfo.fetch(conn, "teams_obs.cleanup_result"), conn)
    (removed,) = conn.execute(RUN_RETENTION, [batch_size]).fetchone()
    return {row.kind: (row.table_name, row.partitions, row.rows_removed, row.names) for row in removed}


def expired_reservations(db: psycopg.Connection) -> int:
    return db.execute(f"SELECT count(*) FROM {SIDECAR} WHERE created_at < now() - interval '90 days'").fetchone()[0]


def test_run_retention_commits_each_batch(db, db_url):
    """A row of the last batch is locked elsewhere, so the CALL waits there: the batches before it are
    already committed and visible to everyone, which one transaction for the whole run would not be."""
    add_reservations(db, 3000, "100 days")
    db.execute(f"VACUUM ANALYZE {SIDECAR}")
    outcome: dict[str, dict] = {}

    def call() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            outcome["report"] = run_retention(conn, 500)

    with psycopg.connect(db_url) as blocker:
        blocker.execute(f"SELECT 1 FROM {SIDECAR} WHERE ctid = (SELECT max(ctid) FROM {SIDECAR}) FOR UPDATE")
        worker = threading.Thread(target=call)
        worker.start()
        deadline = time.monotonic() + 30
        while expired_reservations(db) > 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen_while_blocked = expired_reservations(db)
        assert worker.is_alive(), "the CALL waits for the locked row of its last batch"
        blocker.rollback()
    worker.join(30)
    assert seen_while_blocked <= 500, "every batch but the last was committed while the CALL still ran"
    assert expired_reservations(db) == 0
    assert outcome["report"]["reservations_deleted"] == (SIDECAR, 0, 3000, [])


def test_run_retention_removes_and_reports_what_cleanup_does(db):
    """Expired reservations and DEFAULT rows go in committed batches, then the expired partitions; the
    report has the cleanup functions' rows; what has not expired stays."""
    old = add_months(current_month(db), -6)
    name = create_partition_of(db, old)
    for created_at in (old, "2019-03-01 00:00:00+00", add_months(current_month(db), 10)):
        db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id,"
                   " idempotency_key, status, created_at) VALUES (gen_random_uuid(), 'bot_dm', 'x', 'k', 'sent', %s)",
                   [created_at])
    add_reservations(db, 700, "100 days")
    add_reservations(db, 7, "1 day")
    assert run_retention(db, 100) == {
        "reservations_deleted": (SIDECAR, 0, 700, []),
        "default_rows_deleted": ("teams_obs.notification_deliveries", 0, 1,
                                 ["teams_obs.notification_deliveries_default"]),
        "partitions_dropped": ("teams_obs.notification_deliveries", 1, 1, [name]),
    }
    assert db.execute(f"SELECT count(*) FROM {SIDECAR}").fetchone()[0] == 7
    assert db.execute("SELECT count(*) FROM teams_obs.notification_deliveries_default").fetchone()[0] == 1
    assert db.execute("SELECT to_regclass(%s)", [name]).fetchone()[0] is None


def test_run_retention_with_batches_inside_a_transaction_is_refused(db):
    """It commits, so it must be its own transaction: inside one it fails (2D000) and deletes nothing."""
    add_reservations(db, 10, "100 days")
    with pytest.raises(psycopg.errors.InvalidTransactionTermination), db.transaction():
        db.execute(RUN_RETENTION, [500])
    assert expired_reservations(db) == 10


def test_the_cli_retains_what_the_sql_functions_retain_by_default(db):
    """SPEC §3: deliveries 90 days, audit events 365; `teams-obs cleanup` and the SQL cleanup functions keep
    the same defaults."""
    declared = dict(db.execute(
        "SELECT p.proname, pg_catalog.pg_get_function_arguments(p.oid) FROM pg_catalog.pg_proc p"
        " WHERE p.pronamespace = 'teams_obs'::regnamespace"
        "   AND p.proname IN ('cleanup_notification_deliveries', 'cleanup_audit_events')").fetchall())
    cli = {retention.table: retention.default for retention in RETENTIONS}
    assert cli == {"teams_obs.notification_deliveries": "90 days", "teams_obs.audit_events": "365 days"}
    assert "p_retention interval DEFAULT '90 days'::interval" in declared["cleanup_notification_deliveries"]
    assert "p_retention interval DEFAULT '365 days'::interval" in declared["cleanup_audit_events"]


def test_the_retention_cutoff_counts_days_in_utc(db):
    """Partitions are UTC months. Counted in a zone with summer time, '90 days' across its change would be an
    hour off; windows of every length up to a year catch the last change of a zone alone, whatever the date."""
    days = list(range(15, 366, 15))
    with db.transaction():  # one now() for every call
        now = db.execute("SELECT now()").fetchone()[0]
        for zone in ("Europe/Berlin", "Australia/Sydney", "America/St_Johns"):
            db.execute("SELECT set_config('TimeZone', %s, true)", [zone])
            cutoffs = [row[0] for row in db.execute(
                "SELECT teams_obs.retention_cutoff(make_interval(days => d)) FROM unnest(%s::int[]) AS d", [days])]
            assert cutoffs == [now - timedelta(days=d) for d in days], zone
