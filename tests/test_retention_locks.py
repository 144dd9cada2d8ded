"""Retention and the maintenance lock: it waits for `teams-obs maintain` (or a purge) before it touches
DEFAULT or drops a partition, and a partition busy only for a moment (or the victim of a deadlock) is
dropped on a later attempt; writers wait for a drop no longer than one attempt."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from teams_obs.partitions import add_months, current_month
from tests.partition_helpers import (
    DEFAULT,
    DELIVERIES,
    create_partition_of,
    executed_apart,
    wait_until_blocked,
)

CLEANUP = "SELECT * FROM teams_obs.cleanup_notification_deliveries()"
RUN_RETENTION = "CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days')"


def add_expired_default_row(db: psycopg.Connection) -> None:
    """A row of 100 days ago: no partition holds that month after a deploy, so it lands in DEFAULT."""
    db.execute(f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status,"
               " created_at) VALUES (gen_random_uuid(), 'chat', 'expired', 'k-expired', 'sent',"
               " now() - interval '100 days')")
    assert db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 1


def report_of(outcome: list[object]) -> list[object]:
    """A background cleanup's outcome with its cleanup_result rows as the names of each kind (what it raised
    as it was)."""
    return [{row[0]: row[4] for row in rows} if isinstance(rows, list) else rows for rows in outcome]


@contextmanager
def timed_writes(db_url: str) -> Iterator[list[float]]:
    """Records deliveries one after another while the block runs; yields how long each call took."""
    durations: list[float] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    conn.execute("SELECT * FROM teams_obs.record_delivery(%s, 'chat', 'timed', 'sent')", [uuid.uuid4()])
                except psycopg.Error as error:
                    failures.append(error)
                    return
                durations.append(time.monotonic() - started)
                time.sleep(0.005)  # leaves the CPU to the sessions under test

    writer = threading.Thread(target=write)
    writer.start()
    try:
        yield durations
    finally:
        stop.set()
        writer.join(30)
    assert failures == []
    assert durations, "no delivery was recorded"


def while_maintenance_holds(db: psycopg.Connection, db_url: str, statement: str) -> dict:
    """Runs ``statement`` (statement_timeout 2s) while another session holds the deliveries' maintenance
    lock all along. Returns what the statement raised, the lock modes it waited for on the parent and
    those it held on DEFAULT meanwhile."""
    outcome: dict = {}

    def run() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            outcome["pid"] = conn.info.backend_pid
            conn.execute("SET statement_timeout = '2s'")
            try:
                conn.execute(statement)
            except psycopg.Error as error:
                outcome["error"] = error

    with psycopg.connect(db_url) as maintenance:
        maintenance.execute("SELECT teams_obs.lock_partition_maintenance(%s)", [DELIVERIES])
        worker = threading.Thread(target=run)
        worker.start()
        waited: list[str] = []
        held_on_default: set[str] = set()
        deadline = time.monotonic() + 10
        while not waited and worker.is_alive() and time.monotonic() < deadline:
            locks = db.execute("SELECT relation::regclass::text, mode, granted FROM pg_locks"
                               " WHERE pid = %s AND locktype = 'relation'", [outcome.get("pid", -1)]).fetchall()
            waited = [mode for relation, mode, granted in locks if relation == DELIVERIES and not granted]
            held_on_default = {mode for relation, mode, granted in locks if relation == DEFAULT and granted}
            time.sleep(0.01)
        worker.join(30)
    assert waited, "the statement never waited for a lock on the deliveries table"
    return {"error": outcome.get("error"), "waited": waited, "held_on_default": held_on_default}


@pytest.mark.parametrize("expired", ["default_row", "partition"])
def test_cleanup_waits_for_the_maintenance_lock(db, db_url, expired):
    """A month moving out of DEFAULT holds the maintenance lock: retention must wait for it before it
    deletes from DEFAULT or drops a partition. Waiting for DROP's own ACCESS EXCLUSIVE (500ms per attempt)
    would not do: it gives up and reports the partition busy, and deletes from DEFAULT wait for nothing."""
    if expired == "default_row":
        add_expired_default_row(db)
    else:
        create_partition_of(db, add_months(current_month(db), -6))
    seen = while_maintenance_holds(db, db_url, CLEANUP)
    assert isinstance(seen["error"], psycopg.errors.QueryCanceled), "it waited until its statement_timeout"
    assert seen["waited"] == ["ShareUpdateExclusiveLock"], "it waited for the maintenance lock"
    assert "RowExclusiveLock" not in seen["held_on_default"], "it had deleted from DEFAULT before it waited"


def test_run_retention_deletes_nothing_from_default_before_the_maintenance_lock(db, db_url):
    """run_retention commits each batch: a DEFAULT batch that did not wait for the maintenance lock would
    have deleted (and committed) the expired row by the time the drops wait for it."""
    add_expired_default_row(db)
    seen = while_maintenance_holds(db, db_url, RUN_RETENTION)
    assert isinstance(seen["error"], psycopg.errors.QueryCanceled)
    assert seen["waited"] == ["ShareUpdateExclusiveLock"]
    assert db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 1


@pytest.mark.parametrize(("statement", "waiting"), [(CLEANUP, "%cleanup_notification_deliveries%"),
                                                  (RUN_RETENTION, "%run_retention%")], ids=["cleanup", "run_retention"])
def test_retention_waits_for_the_maintenance_lock_whatever_the_callers_lock_timeout(db, db_url, statement, waiting):
    """A month move may hold the maintenance lock for seconds: the cleanup (which takes it first) and a DEFAULT
    batch of run_retention (which takes it batch by batch) wait up to 60s for it, not for a caller's short
    lock_timeout, which failed them with 55P03 as soon as a move was under way."""
    add_expired_default_row(db)
    with psycopg.connect(db_url) as mover:
        mover.execute("SELECT teams_obs.lock_partition_maintenance(%s)", [DELIVERIES])
        retention, outcome = executed_apart(db_url, statement, "SET lock_timeout = '100ms'")
        wait_until_blocked(db, waiting, "relation")
        time.sleep(1)  # ten times the caller's lock_timeout
        mover.rollback()
        retention.join(30)
    assert not retention.is_alive()
    assert not isinstance(outcome[0], BaseException), outcome[0]
    assert db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 0


def test_a_partition_busy_for_a_moment_is_dropped_on_a_later_attempt(db, db_url):
    """DROP waits 500ms per attempt for the parent's ACCESS EXCLUSIVE lock, then tries again after a pause:
    a reader holding the partition for less than that (here its ACCESS SHARE, dropped after ~900ms) only
    delays the drop, the partition is not reported busy."""
    name = create_partition_of(db, add_months(current_month(db), -6))
    held = threading.Event()

    def read_for_a_moment() -> None:
        with psycopg.connect(db_url) as reader:
            reader.execute(f"SELECT count(*) FROM {name}")
            held.set()
            time.sleep(0.9)

    reader = threading.Thread(target=read_for_a_moment)
    reader.start()
    assert held.wait(10)
    report = {kind: (partitions, names) for kind, partitions, names in db.execute(
        "SELECT kind, partitions, names FROM teams_obs.cleanup_notification_deliveries()").fetchall()}
    reader.join(10)
    assert report["partitions_dropped"] == (1, [name])
    assert "partitions_busy" not in report
    assert db.execute("SELECT to_regclass(%s)", [name]).fetchone()[0] is None


def test_cleanup_and_a_purge_of_a_tenant_with_expired_reservations_take_turns(db, db_url):
    """A purge takes the maintenance lock, then deletes the tenant's reservations. A cleanup that deleted
    expired reservations first and asked for the lock only at DEFAULT or the drops waited for the purge,
    which waited for its deleted rows: a deadlock (40P01), one side's work lost."""
    tenant = "00000000-0000-4000-8000-00000000dead"
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id,"
               " created_at) SELECT %s, 'k-' || g, gen_random_uuid(), now() - interval '200 days'"
               " FROM generate_series(1, 20) g", [tenant])
    add_expired_default_row(db)
    errors: list[psycopg.Error] = []

    def run(statement: str) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            try:
                conn.execute(statement, [tenant] if "%s" in statement else None)
            except psycopg.Error as error:
                errors.append(error)

    with psycopg.connect(db_url) as blocker:
        # The cleanup's sidecar batch stops at the tenant's last reservation, past the others.
        blocker.execute("SELECT 1 FROM teams_obs.notification_delivery_idempotency"
                        " WHERE tenant = %s AND idempotency_key = 'k-20' FOR UPDATE", [tenant])
        cleanup = threading.Thread(target=run, args=[CLEANUP])
        cleanup.start()
        wait_until_blocked(db, "%cleanup_notification_deliveries%", "transactionid")
        purge = threading.Thread(target=run, args=["SELECT * FROM teams_obs.purge_tenant(%s)"])
        purge.start()
        wait_until_blocked(db, "%purge_tenant%", None)  # for the maintenance lock (before: for the cleanup's rows)
    cleanup.join()
    purge.join()
    assert errors == []
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency WHERE tenant = %s",
                      [tenant]).fetchone() == (0,)


def test_cleanup_and_a_table_by_table_purge_take_turns(db, db_url):
    """teams-obs purge-tenant (and a host application) purges table by table, the reservations first: it takes
    every maintenance lock before that first delete, or retention, which holds the lock while it deletes
    expired reservations, and the purge would each wait for the other."""
    tenant = "00000000-0000-4000-8000-00000000beef"
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id,"
               " created_at) SELECT %s, 'k-' || g, gen_random_uuid(), now() - interval '200 days'"
               " FROM generate_series(1, 20) g", [tenant])
    errors: list[psycopg.Error] = []

    def cleanup() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            try:
                conn.execute(CLEANUP)
            except psycopg.Error as error:
                errors.append(error)

    with psycopg.connect(db_url) as purge:
        purge.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        purge.execute("SELECT teams_obs.purge_tenant_table(%s, 'teams_obs.notification_delivery_idempotency')",
                      [tenant])
        cleaning = threading.Thread(target=cleanup)
        cleaning.start()
        wait_until_blocked(db, "%cleanup_notification_deliveries%", None)
        try:
            purge.execute("SELECT teams_obs.purge_tenant_table(%s, 'teams_obs.notification_deliveries')", [tenant])
            purge.commit()
        except psycopg.Error as error:
            errors.append(error)
            purge.rollback()
        cleaning.join()
    assert errors == []


def pauses_seen(db: psycopg.Connection, thread: threading.Thread, query_like: str) -> int:
    """How many times a session running a query LIKE ``query_like`` was seen going into pg_sleep while
    ``thread`` ran (for at most 60s)."""
    pauses, sleeping = 0, False
    deadline = time.monotonic() + 60
    while thread.is_alive() and time.monotonic() < deadline:
        now_sleeping = db.execute("SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                                  " AND query LIKE %s", [query_like]).fetchone()[0]
        pauses += now_sleeping and not sleeping
        sleeping = now_sleeping
        time.sleep(0.01)
    return pauses


def test_a_drop_waiting_for_a_long_read_holds_writers_up_briefly_and_leaves_the_partition_busy(db, db_url):
    """Writers queue behind DROP's request for the parent's ACCESS EXCLUSIVE lock: it waits 500ms per attempt,
    not the maintenance lock's 60s, so with a report reading the table for longer than all five attempts
    and the four pauses between them (0.1s to 0.8s, about 4s in all) the partition is reported busy and kept,
    and no write waited much longer than one attempt. Waiting 60s, every write stood still for the whole
    read; without the pauses, the attempts would come one after another for 2.5s."""
    name = create_partition_of(db, add_months(current_month(db), -6))
    with psycopg.connect(db_url) as reader, timed_writes(db_url) as durations:
        reader.execute(f"SELECT count(*) FROM {DELIVERIES}")  # ACCESS SHARE until the report ends
        cleaning, outcome = executed_apart(db_url, CLEANUP)
        # The cleanup gives up on the partition by itself, the read still going on. Pauses of 0.1s and more
        # are not missed by a look every 10ms, unless the machine stalls the test for that long.
        pauses = pauses_seen(db, cleaning, "%cleanup_notification_deliveries%")
        reader.rollback()
        cleaning.join(30)
    assert not cleaning.is_alive()
    assert 2 <= pauses <= 4, f"{pauses} pauses between five attempts"
    assert report_of(outcome) == [{"reservations_deleted": [], "default_rows_deleted": [DEFAULT],
                                   "partitions_dropped": [], "partitions_busy": [name]}]
    assert db.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]
    assert max(durations) < 2, f"a write waited {max(durations):.2f}s"


def test_run_retention_waits_for_a_month_move_then_drops_without_holding_writers_up(db, db_url):
    """A month move holds the maintenance lock for seconds (here 4): run_retention waits for it up to 60s, not
    DROP's 500ms (it failed with 55P03), and before it asks for the parent's ACCESS EXCLUSIVE lock. Asked
    first, each of DROP's attempts queued every writer behind it for 500ms."""
    name = create_partition_of(db, add_months(current_month(db), -6))
    with psycopg.connect(db_url) as mover, timed_writes(db_url) as durations:
        mover.execute("SELECT teams_obs.lock_partition_maintenance(%s)", [DELIVERIES])
        retention, outcome = executed_apart(db_url, RUN_RETENTION)
        # Watched rather than timed: a DROP queued ahead of the writers shows as an ACCESS EXCLUSIVE request
        # on the table that is not granted, however fast or slow the machine.
        queued = 0
        watch_until = time.monotonic() + 4
        while time.monotonic() < watch_until:
            queued += db.execute("SELECT count(*) FROM pg_locks WHERE relation = %s::regclass"
                                 " AND mode = 'AccessExclusiveLock' AND NOT granted", [DELIVERIES]).fetchone()[0]
            time.sleep(0.05)
        waited = retention.is_alive()
        mover.rollback()
        retention.join(30)
    assert not retention.is_alive()
    assert not isinstance(outcome[0], BaseException), outcome[0]
    assert waited, "run_retention ended while the move still held the maintenance lock"
    assert queued == 0, "DROP asked for the table while the move held the maintenance lock"
    assert db.execute("SELECT to_regclass(%s)", [name]).fetchone()[0] is None
    assert max(durations) < 2, f"a write waited {max(durations):.2f}s"


def deadlocks(db: psycopg.Connection) -> int:
    db.execute("SELECT pg_stat_clear_snapshot()")
    return db.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def test_a_drop_cancelled_as_deadlock_victim_is_tried_again(db, db_url):
    """A reader of the partition bounds (pg_get_expr) locks the partitions in OID order, DEFAULT first, while
    DROP holds the expired partition and then asks for DEFAULT: a deadlock. Where deadlock_timeout is below
    DROP's 500ms lock_timeout, DROP is the one cancelled (40P01), and tried again like a lock not granted:
    the cleanup completes, the partition dropped once the reader is done."""
    name = create_partition_of(db, add_months(current_month(db), -6))
    before = deadlocks(db)
    with psycopg.connect(db_url) as reader:
        reader.execute("SET deadlock_timeout = '60s'")  # the cleanup, not this session, is the victim
        reader.execute(f"SELECT count(*) FROM {DEFAULT}")
        # deadlock_timeout below DROP's lock_timeout, as a server may be configured
        cleaning, outcome = executed_apart(db_url, CLEANUP, "SET deadlock_timeout = '400ms'")
        wait_until_blocked(db, "%cleanup_notification_deliveries%", "relation")
        reader.execute(f"SELECT count(*) FROM {name}")  # waits for the DROP until it is cancelled
        reader.rollback()
        cleaning.join(30)
    assert not cleaning.is_alive()
    assert report_of(outcome) == [{"reservations_deleted": [], "default_rows_deleted": [DEFAULT],
                                   "partitions_dropped": [name]}]
    deadline = time.monotonic() + 10  # the cleanup's session reports its statistics as it exits
    while deadlocks(db) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert deadlocks(db) == before + 1, "the DROP was cancelled as a deadlock victim, not after its lock_timeout"
