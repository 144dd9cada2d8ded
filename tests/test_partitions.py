"""teams_obs.partitions.maintain against a real database: months created ahead and out of DEFAULT,
no row lost while writers keep writing, idempotent also when run concurrently, dry run, retries."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from teams_obs.deploy import deploy_and_maintain
from teams_obs.partitions import (
    Action,
    MaintenanceError,
    NotDeployed,
    _backoff,
    add_months,
    check_lock_timeout,
    current_month,
    maintain,
)
from teams_obs.purge import purge_tenant
from teams_obs.sqitch import Engine
from teams_obs.sqitch.engine import project_root
from tests.checkout import checkout_env, documented_number
from tests.partition_helpers import (
    DEFAULT,
    DELIVERIES,
    create_partition_of,
    default_rows,
    drop_partitions_from,
    fingerprint,
    in_background,
    insert_rows,
    partitions,
    wait_until_blocked,
)
from tests.sqitch_projects import run_sqitch, sqitch_target


def no_sleep(_seconds: float) -> None:
    """Retries in tests need no real pauses."""


def month_names(months: list[datetime]) -> set[str]:
    return {f"{DELIVERIES}_p{month:%Y_%m}" for month in months}


def test_creates_the_current_month_and_the_months_ahead(db):
    first = current_month(db)
    drop_partitions_from(db, first)
    actions = maintain(db, months_ahead=5)
    wanted = [add_months(first, i) for i in range(6)]
    created = [a for a in actions if a.table == DELIVERIES]
    assert [a.partition for a in created] == [f"{DELIVERIES}_p{m:%Y_%m}" for m in wanted]
    assert all(a.status == "created" and a.rows_moved == 0 for a in created)
    assert {name: bounds for name, bounds in partitions(db).items()} == {
        f"{DELIVERIES}_p{m:%Y_%m}": (m, add_months(m, 1)) for m in wanted}


def test_moves_rows_from_default_into_their_months_without_loss(db):
    first = current_month(db)
    past = [add_months(first, -14), add_months(first, -2)]
    beyond = [add_months(first, 9)]
    insert_rows(db, past + beyond, per_month=300)
    before = fingerprint(db)
    assert default_rows(db) == 900

    actions = maintain(db)

    assert fingerprint(db) == before
    assert default_rows(db) == 0
    moved = {a.partition: a.rows_moved for a in actions if a.rows_moved}
    assert moved == dict.fromkeys(month_names(past + beyond), 300)
    for month in past + beyond:
        assert partitions(db)[f"{DELIVERIES}_p{month:%Y_%m}"] == (month, add_months(month, 1))


def test_a_second_run_finds_nothing_to_do(db):
    insert_rows(db, [add_months(current_month(db), -3)], per_month=10)
    assert maintain(db)
    catalog = partitions(db)
    assert maintain(db) == []
    assert partitions(db) == catalog


def test_dry_run_returns_the_sql_and_executes_nothing(db):
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first, add_months(first, -1)], per_month=20)
    catalog, rows, stuck = partitions(db), fingerprint(db), default_rows(db)

    actions = maintain(db, months_ahead=2, dry_run=True)

    assert (partitions(db), fingerprint(db), default_rows(db)) == (catalog, rows, stuck)
    planned = {a.partition: a for a in actions if a.table == DELIVERIES}
    assert set(planned) == month_names([add_months(first, i) for i in range(-1, 3)])
    assert all(a.status == "planned" for a in planned.values())
    this_month = planned[f"{DELIVERIES}_p{first:%Y_%m}"]
    assert this_month.rows_moved == 20
    lower, upper = f"'{first:%Y-%m-%d} 00:00:00+00'", f"'{add_months(first, 1):%Y-%m-%d} 00:00:00+00'"
    assert f"FOR VALUES FROM ({lower}) TO ({upper})" in this_month.sql
    assert this_month.sql.startswith("BEGIN;\nSET LOCAL lock_timeout = '500ms';")
    assert this_month.sql.rstrip().endswith("COMMIT;")


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Kiritimati"])
def test_bounds_and_names_are_utc_whatever_the_session_time_zone(db_url, zone):
    with psycopg.connect(db_url, autocommit=True, options=f"-c TimeZone={zone}") as conn:
        with conn.transaction():  # one now() for both: no month boundary between them
            first = current_month(conn)
            utc_now = conn.execute("SELECT now()").fetchone()[0].astimezone(UTC)
        drop_partitions_from(conn, first)
        maintain(conn, months_ahead=1)
        created = partitions(conn)
    assert (first.tzinfo, first.year, first.month, first.day, first.hour) == (UTC, utc_now.year, utc_now.month, 1, 0)
    assert created[f"{DELIVERIES}_p{first:%Y_%m}"] == (first, add_months(first, 1))


def test_writers_keep_writing_while_rows_move_out_of_default(db, db_url):
    """This month without a partition (maintain missed): maintain moves it while writers write."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=50_000)
    bulk_before = fingerprint(db, "d.destination_id LIKE 'dest-%'")
    stop = threading.Event()
    recorded: list[uuid.UUID] = []
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            calls = 0
            while not stop.is_set() or calls < 20:
                calls += 1
                try:
                    row = conn.execute(
                        "SELECT delivery_id FROM teams_obs.record_delivery(%s, 'bot_dm', %s, 'delivered')",
                        [uuid.UUID(int=number + 1), f"writer-{number}-{calls}"]).fetchone()
                    recorded.append(row[0])
                except psycopg.Error as exc:  # any error is a failure of the test
                    failures.append(exc)
                    return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    try:
        actions = maintain(db_url)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert failures == []
    assert len(recorded) >= 40
    assert fingerprint(db, "d.destination_id LIKE 'dest-%'") == bulk_before
    stored = {r[0] for r in db.execute(f"SELECT delivery_id FROM {DELIVERIES} WHERE destination_id LIKE 'writer-%'")}
    assert stored == set(recorded)
    assert default_rows(db) == 0
    this_month = next(a for a in actions if a.partition == f"{DELIVERIES}_p{first:%Y_%m}")
    assert this_month.rows_moved >= 50_000


def test_rows_written_or_purged_while_the_month_moves_are_caught_up(db, db_url):
    """The month moves out of DEFAULT before the locks: a purge in flight is waited for (its row stays
    deleted), and a row written to DEFAULT meanwhile moves too."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=1000)
    purged = db.execute(f"SELECT delivery_id FROM {DEFAULT} ORDER BY delivery_id LIMIT 1").fetchone()[0]
    done: list[list[Action]] = []
    with psycopg.connect(db_url) as writer:  # one transaction, open while maintain copies the month
        writer.execute(f"DELETE FROM {DELIVERIES} WHERE delivery_id = %s", [purged])
        writer.execute(f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status)"
                       " VALUES (gen_random_uuid(), 'chat', 'written-during-copy', 'k', 'sent')")
        thread = threading.Thread(target=lambda: done.append(maintain(db_url, lock_timeout="60s")))
        thread.start()
        wait_until_blocked(db, "%attach_month_partition%", "transactionid")  # on the row the writer deleted
        writer.commit()
        thread.join()

    month = f"{DELIVERIES}_p{first:%Y_%m}"
    (action,) = [a for a in done[0] if a.partition == month]
    assert (action.attempts, action.rows_moved) == (1, 1000)  # 999 moved, 1 caught up; one run, no retry
    assert default_rows(db) == 0
    rows = db.execute(f"SELECT delivery_id, destination_id FROM {month}").fetchall()
    assert len(rows) == 1000
    assert purged not in {delivery_id for delivery_id, _ in rows}
    assert "written-during-copy" in {destination for _, destination in rows}


def test_a_row_written_while_the_month_waits_for_its_locks_moves_under_them(db, db_url):
    """A writer's row of the month, committed only once the move waits for the table lock, is in neither
    pass before the locks: the pass under the locks takes it, and ATTACH succeeds at the first attempt."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=100)
    done: list[list[Action]] = []
    with psycopg.connect(db_url) as writer:  # holds the table until the move waits for it
        writer.execute(f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status)"
                       " VALUES (gen_random_uuid(), 'chat', 'written-while-locking', 'k', 'sent')")
        thread = threading.Thread(target=lambda: done.append(maintain(db_url, lock_timeout="60s")))
        thread.start()
        wait_until_blocked(db, "%attach_month_partition%", "relation")
        writer.commit()
        thread.join()
    (action,) = [a for a in done[0] if a.partition == f"{DELIVERIES}_p{first:%Y_%m}"]
    assert (action.attempts, action.rows_moved) == (1, 101)
    assert default_rows(db) == 0


def test_a_writer_holding_the_table_that_then_writes_to_default_does_not_deadlock_the_move(db, db_url):
    """The move locks the parent before DEFAULT: a writer whose transaction holds the parent (its first INSERT's
    ROW EXCLUSIVE) and then writes a row that lands in DEFAULT while the move waits for the parent gets DEFAULT
    at once. DEFAULT locked first, each would wait for the other until the deadlock detector cancelled the move
    (a second attempt), the writer held up for deadlock_timeout meanwhile."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=100)
    with psycopg.connect(db_url) as writer:
        writer.execute(f"LOCK TABLE ONLY {DELIVERIES} IN ROW EXCLUSIVE MODE")  # as an INSERT into another month
        thread, done = in_background(lambda: maintain(db_url, months_ahead=0, lock_timeout="5s"))
        wait_until_blocked(db, "%attach_month_partition%", "relation")
        writer.execute(f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status)"
                       " VALUES (gen_random_uuid(), 'chat', 'written-to-default', 'k', 'sent')")
        writer.commit()
        thread.join(30)
    assert not thread.is_alive()
    (actions,) = done
    assert not isinstance(actions, BaseException), actions
    (action,) = [a for a in actions if a.table == DELIVERIES]
    assert (action.status, action.attempts, action.rows_moved) == ("created", 1, 101)


def test_a_move_chosen_as_deadlock_victim_is_tried_again(db, db_url):
    """A transaction that reads the deliveries (delivery_health, say: ACCESS SHARE on DEFAULT), then records one
    while the move waits for DEFAULT needs the parent lock the move holds: a deadlock. With lock_timeout above
    deadlock_timeout the move is the one cancelled (40P01), and tried again as a lock not granted is: the month
    is created, its rows and the recorded one moved, and maintain raises nothing."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=100)
    lock_timeout = 10
    with psycopg.connect(db_url) as session:
        session.execute("SET deadlock_timeout = '60s'")  # the server's 1s cancels the move, not this session
        session.execute(f"SELECT count(*) FROM {DELIVERIES}")
        started = time.monotonic()
        thread, done = in_background(lambda: maintain(db_url, months_ahead=0, lock_timeout=f"{lock_timeout}s"))
        wait_until_blocked(db, "%attach_month_partition%", "relation")
        session.execute("SELECT * FROM teams_obs.record_delivery(gen_random_uuid(), 'chat', 'recorded', 'sent')")
        session.commit()
        thread.join(30)
        elapsed = time.monotonic() - started
    assert not thread.is_alive()
    (actions,) = done
    assert isinstance(actions, list), actions
    (action,) = [a for a in actions if a.table == DELIVERIES]
    assert (action.status, action.attempts, action.rows_moved) == ("created", 2, 101)
    assert elapsed < lock_timeout, "the first attempt ended as a deadlock victim, before its lock_timeout"


# The SQL purge waits once for every table; the Python one (purge_tenant_table per table, REPEATABLE
# READ) waits in each table's own call, and each must.
PURGES = {
    "sql": lambda conn, tenant: conn.execute("SELECT * FROM teams_obs.purge_tenant(%s)", [tenant]).fetchall(),
    "python": purge_tenant,
}


@pytest.mark.parametrize("purge_with", PURGES)
def test_a_purge_during_a_month_move_waits_for_it_and_takes_the_moved_rows(db, db_url, purge_with):
    """A purge that began while the month moved out of DEFAULT would wait for a moving row while holding
    the table lock the move needs next. It waits for the move on the maintenance lock instead, then
    deletes the tenant's rows from the new month, and the move needs no second attempt."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=2000)
    tenant = db.execute(f"SELECT tenant FROM {DEFAULT} LIMIT 1").fetchone()[0]
    held = db.execute(f"SELECT delivery_id FROM {DEFAULT} WHERE tenant <> %s ORDER BY created_at DESC LIMIT 1",
                      [tenant]).fetchone()[0]
    done: list[list[Action]] = []
    purged: list[list[tuple]] = []
    def purge() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            purged.append(PURGES[purge_with](conn, tenant))

    with psycopg.connect(db_url) as holder:  # keeps the move waiting, its other rows locked meanwhile
        holder.execute(f"SELECT 1 FROM {DEFAULT} WHERE delivery_id = %s FOR UPDATE", [held])
        mover = threading.Thread(target=lambda: done.append(maintain(db_url, lock_timeout="60s")))
        mover.start()
        wait_until_blocked(db, "%attach_month_partition%", "transactionid")
        purger = threading.Thread(target=purge)
        purger.start()
        wait_until_blocked(db, "%purge_tenant%", "relation")
        holder.rollback()
        mover.join(60)
        purger.join(60)

    month = f"{DELIVERIES}_p{first:%Y_%m}"
    (action,) = [a for a in done[0] if a.partition == month]
    assert (action.attempts, action.rows_moved) == (1, 2000)
    assert dict(purged[0])["teams_obs.notification_deliveries"] > 0
    assert db.execute(f"SELECT count(*) FROM {DELIVERIES} WHERE tenant = %s", [tenant]).fetchone()[0] == 0
    assert db.execute(f"SELECT count(*) FROM {month}").fetchone()[0] == 2000 - dict(purged[0])[DELIVERIES]


def test_concurrent_runs_create_each_month_once(db, db_url):
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [add_months(first, -4), add_months(first, -1)], per_month=2_000)
    results: list[list[Action]] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        results.append(maintain(db_url, months_ahead=4))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [a.partition for actions in results for a in actions if a.table == DELIVERIES]
    wanted = month_names([add_months(first, i) for i in (-4, -1, 0, 1, 2, 3, 4)])
    assert sorted(created) == sorted(wanted)
    assert set(partitions(db)) == wanted
    assert default_rows(db) == 0


def test_a_lock_held_elsewhere_is_retried(db, db_url):
    first = current_month(db)
    drop_partitions_from(db, first)
    with psycopg.connect(db_url) as blocker:
        blocker.execute(f"SELECT count(*) FROM {DEFAULT}")  # ACCESS SHARE until the transaction ends
        pauses: list[float] = []

        def release_after_first_pause(seconds: float) -> None:
            pauses.append(seconds)
            blocker.rollback()

        actions = maintain(db_url, months_ahead=0, sleep=release_after_first_pause)
    this_month = next(a for a in actions if a.table == DELIVERIES)
    assert (this_month.status, this_month.attempts, len(pauses)) == ("created", 2, 1)


@pytest.mark.parametrize("caller", ["python", "cli"])
def test_a_connection_lost_during_a_month_is_raised_not_reported_as_the_months_failure(db, db_url, caller):
    """The month is fine, the connection is gone: maintain raises psycopg.OperationalError instead of reporting
    the month as failed, which would send the operator after a month that has nothing wrong with it; the
    CLI says it cannot reach the database and exits 2, not 1 as for a failed month.
    The month is the last of the run (deliveries come after audit_events), so nothing after it on the dead
    connection would raise in its place."""
    calls = {
        "python": lambda: maintain(db_url, months_ahead=0, lock_timeout="60s", sleep=no_sleep),
        "cli": lambda: subprocess.run([sys.executable, "-m", "teams_obs", "--db", db_url, "maintain",
                                       "--months-ahead", "0", "--lock-timeout", "60s"],
                                      capture_output=True, text=True, timeout=120, env=checkout_env()),
    }
    first = current_month(db)
    drop_partitions_from(db, first)
    with psycopg.connect(db_url) as blocker:
        blocker.execute(f"SELECT count(*) FROM {DEFAULT}")  # ACCESS SHARE until the transaction ends
        thread, done = in_background(calls[caller])
        wait_until_blocked(db, "%attach_month_partition%", "relation")
        terminated = db.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                " WHERE wait_event_type = 'Lock' AND query LIKE '%attach_month_partition%'").fetchone()
        assert terminated == (1,)
        thread.join(30)
    assert not thread.is_alive()
    (outcome,) = done
    if caller == "python":
        assert isinstance(outcome, psycopg.OperationalError), outcome
    else:
        assert (outcome.returncode, outcome.stdout) == (2, ""), outcome
        assert outcome.stderr.startswith("teams-obs: cannot reach the database: terminating connection"), outcome
    assert f"{DELIVERIES}_p{first:%Y_%m}" not in partitions(db)


def test_no_role_but_the_owner_can_hold_the_maintenance_lock(db, db_url):
    """The lock was an advisory lock, which every role that may connect could take and hold, stalling
    upkeep, retention and purges. Held that way now it stalls nothing, and the lock itself is refused."""
    first = current_month(db)
    drop_partitions_from(db, add_months(first, 1))
    with psycopg.connect(db_url, autocommit=True) as squatter:
        squatter.execute("SET ROLE teams_obs_writer")
        squatter.execute("SELECT pg_advisory_lock(1952801133, %s::regclass::oid::integer)", [DELIVERIES])
        with pytest.raises(psycopg.errors.InsufficientPrivilege), squatter.transaction():
            squatter.execute(f"LOCK TABLE ONLY {DELIVERIES} IN SHARE UPDATE EXCLUSIVE MODE")
        created = maintain(db_url, months_ahead=3, max_attempts=2, lock_timeout="200ms", sleep=no_sleep)
    assert [a.status for a in created if a.table == DELIVERIES] == ["created"] * 3


@pytest.mark.parametrize("max_attempts", [3, None], ids=["given", "default"])
def test_a_lock_never_granted_fails_the_month_and_reports_it(db, db_url, max_attempts):
    """Tried max_attempts times (by default as often as docs/operating.md says), with a pause between two
    attempts and none after the last: the month has failed by then, and the next one waits for nothing."""
    first = current_month(db)
    drop_partitions_from(db, first)
    attempts = max_attempts or documented_number("operating.md", r"its locks not granted in (\d+) attempts")
    pauses: list[float] = []
    with psycopg.connect(db_url) as blocker:
        blocker.execute(f"SELECT count(*) FROM {DEFAULT}")
        with pytest.raises(MaintenanceError) as raised:
            maintain(db_url, months_ahead=0, lock_timeout="50ms", sleep=pauses.append,
                     **({"max_attempts": max_attempts} if max_attempts else {}))
    failed = [a for a in raised.value.actions if a.status == "failed"]
    assert [(a.partition, a.attempts) for a in failed] == [(f"{DELIVERIES}_p{first:%Y_%m}", attempts)]
    assert len(pauses) == attempts - 1
    assert "lock timeout" in failed[0].error
    assert f"{DELIVERIES}_p{first:%Y_%m}" not in partitions(db)


def test_the_pauses_between_attempts_stay_short_however_many_attempts():
    """A pause of seconds at most: the month is tried again while writers go on, and a run with a lock held
    for long must still end in reasonable time."""
    pauses = [_backoff(attempt) for attempt in range(1, 21) for _ in range(50)]
    assert all(0.025 <= pause <= 7.5 for pause in pauses), max(pauses)


def test_a_month_that_fails_is_reported_and_the_months_after_it_are_made(db, db_url):
    """A table of a month's name left behind (detached and kept for archiving, say) fails that month alone,
    in teams-obs maintain (the first round) as in CALL maintain_partitions (the second)."""
    first = current_month(db)
    names = [f"{DELIVERIES}_p{add_months(first, i):%Y_%m}" for i in range(4)]
    for month in (1, 2):
        drop_partitions_from(db, add_months(first, month))
        db.execute(f"CREATE TABLE {names[month]} (kept integer)")
        if month == 1:
            with pytest.raises(MaintenanceError) as raised:
                maintain(db_url, months_ahead=3)
            (failed,) = [a for a in raised.value.actions if a.status == "failed"]
            assert failed.partition == names[1] and "already exists [42P07]" in failed.error
        else:
            notices: list[str] = []
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.add_notice_handler(lambda diag, seen=notices: seen.append(diag.message_primary))
                # months 1 (its stand-in dropped after the first round) and 3
                assert conn.execute("CALL teams_obs.maintain_partitions(3)").fetchone() == (2,)
            assert any(n.startswith(f"{names[2]}: ") and "(42P07), left alone" in n for n in notices), notices
        assert set(partitions(db)) == set(names) - {names[month]}
        db.execute(f"DROP TABLE {names[month]}")


def test_rows_no_month_partition_can_be_named_for_stay_in_default(db):
    """Only the owner can write created_at outside years 1-9999: maintain leaves such rows in DEFAULT
    (as it does rows at infinity) instead of failing, or naming a partition _p0044_03 for 44 BC."""
    for instant in ("0044-03-15 00:00:00+00 BC", "12000-01-01 00:00:00+00", "infinity"):
        db.execute(f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status,"
                   " created_at) VALUES (gen_random_uuid(), 'chat', 'odd', 'k', 'sent', %s)", [instant])
    maintain(db)
    assert default_rows(db) == 3


def test_a_misaligned_partition_is_reported_not_overlapped(db):
    first = current_month(db)
    drop_partitions_from(db, first)
    middle = f"{add_months(first, 1):%Y-%m}-15 00:00:00+00"
    db.execute(f"CREATE TABLE teams_obs.odd PARTITION OF {DELIVERIES} FOR VALUES FROM ('{middle}')"
               f" TO ('{add_months(first, 2):%Y-%m}-15 00:00:00+00')")
    with pytest.raises(MaintenanceError, match="overlaps existing partition"):
        maintain(db, months_ahead=3)
    created = set(partitions(db))
    assert f"{DELIVERIES}_p{first:%Y_%m}" in created and f"{DELIVERIES}_p{add_months(first, 3):%Y_%m}" in created
    assert f"{DELIVERIES}_p{add_months(first, 1):%Y_%m}" not in created


def test_a_new_partition_is_like_one_made_by_partition_of(db):
    """Same indexes and constraints as CREATE TABLE ... PARTITION OF gives, none of them local."""
    first = current_month(db)
    moved, native = add_months(first, -1), add_months(first, -5)
    insert_rows(db, [moved], per_month=5)
    create_partition_of(db, native)
    maintain(db)

    def shape(month: datetime) -> tuple:
        name = f"notification_deliveries_p{month:%Y_%m}"
        return db.execute(
            "SELECT (SELECT array_agg(pg_get_indexdef(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid),"
            "       (SELECT array_agg(replace(conname, %s, '') || ' ' || pg_get_constraintdef(k.oid) || ' '"
            "                         || conislocal) FROM pg_constraint k WHERE k.conrelid = c.oid)"
            "  FROM pg_class c WHERE c.oid = %s::regclass", [name, f"teams_obs.{name}"]).fetchone()

    def without_names(indexes: list[str]) -> list[str]:
        return sorted(definition.split(" USING ")[1] for definition in indexes)

    (moved_indexes, moved_constraints), (native_indexes, native_constraints) = shape(moved), shape(native)
    assert without_names(moved_indexes) == without_names(native_indexes)
    assert sorted(moved_constraints) == sorted(native_constraints)
    assert all(c.endswith(" false") for c in moved_constraints)  # inherited: a CHECK migration reaches them


def test_every_range_partitioned_table_of_the_schema_is_covered(db):
    db.execute("CREATE TABLE teams_obs.probe_events (tenant uuid NOT NULL, created_at timestamptz NOT NULL,"
               " PRIMARY KEY (tenant, created_at)) PARTITION BY RANGE (created_at)")
    db.execute("CREATE TABLE teams_obs.probe_events_default PARTITION OF teams_obs.probe_events DEFAULT")
    first = current_month(db)
    year_ago = add_months(first, -12)
    db.execute("INSERT INTO teams_obs.probe_events VALUES (gen_random_uuid(), %s)", [year_ago])
    actions = maintain(db, months_ahead=1)
    created = {a.partition for a in actions if a.table == "teams_obs.probe_events"}
    assert created == {f"teams_obs.probe_events_p{m:%Y_%m}" for m in (year_ago, first, add_months(first, 1))}
    assert "teams_obs.audit_events" in {a.table for a in maintain(db, months_ahead=5)}


def test_a_default_partition_without_primary_key_has_its_rows_moved(db):
    """Rows leave DEFAULT by one DELETE ... RETURNING into the new month: no key is needed to match them."""
    db.execute("CREATE TABLE teams_obs.probe_keyless (tenant uuid NOT NULL, created_at timestamptz NOT NULL)"
               " PARTITION BY RANGE (created_at)")
    db.execute("CREATE TABLE teams_obs.probe_keyless_default PARTITION OF teams_obs.probe_keyless DEFAULT")
    db.execute("INSERT INTO teams_obs.probe_keyless SELECT gen_random_uuid(), now() FROM generate_series(1, 3)")
    db.execute("INSERT INTO teams_obs.probe_keyless SELECT tenant, created_at FROM teams_obs.probe_keyless")
    moved = db.execute("SELECT teams_obs.attach_month_partition('teams_obs.probe_keyless',"
                       " date_trunc('month', now(), 'UTC'))").fetchone()[0]
    assert moved == 6  # duplicates included
    assert db.execute("SELECT count(*) FROM teams_obs.probe_keyless_default").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM teams_obs.probe_keyless").fetchone()[0] == 6


def test_a_key_column_that_needs_quoting_has_its_past_months_made(db):
    """The catalog gives the key column already quoted: quoting it again named no column (42703)."""
    db.execute('CREATE TABLE teams_obs.odd (tenant uuid NOT NULL, "Created At" timestamptz NOT NULL)'
               ' PARTITION BY RANGE ("Created At")')
    db.execute("CREATE TABLE teams_obs.odd_default PARTITION OF teams_obs.odd DEFAULT")
    db.execute("INSERT INTO teams_obs.odd VALUES (gen_random_uuid(), now() - interval '400 days')")
    past = db.execute("SELECT date_trunc('month', now() - interval '400 days', 'UTC')").fetchone()[0]
    actions = [a for a in maintain(db, months_ahead=0) if a.table == "teams_obs.odd"]
    assert [(a.partition, a.status, a.rows_moved, a.error) for a in actions] == [
        (f"teams_obs.odd_p{m:%Y_%m}", "created", moved, None) for m, moved in ((past, 1), (current_month(db), 0))]
    assert db.execute("SELECT count(*) FROM ONLY teams_obs.odd_default").fetchone()[0] == 0


def test_a_table_without_default_partition_gets_its_months(db):
    """attach_month_partition skips the template's statements that name the DEFAULT partition."""
    db.execute("CREATE TABLE teams_obs.probe_plain (tenant uuid NOT NULL, created_at timestamptz NOT NULL)"
               " PARTITION BY RANGE (created_at)")
    first = current_month(db)
    actions = [a for a in maintain(db, months_ahead=1) if a.table == "teams_obs.probe_plain"]
    assert [(a.partition, a.status, a.rows_moved) for a in actions] == [
        (f"teams_obs.probe_plain_p{m:%Y_%m}", "created", 0) for m in (first, add_months(first, 1))]
    db.execute("INSERT INTO teams_obs.probe_plain VALUES (gen_random_uuid(), now())")


def test_refuses_a_connection_inside_a_transaction(db_url):
    with psycopg.connect(db_url) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(ValueError, match="outside any transaction"):
            maintain(conn)


def test_refuses_a_connection_without_autocommit(db, db_url):
    """Idle but not autocommit, its first query would open a transaction around every month, each month a
    mere savepoint: nothing would be committed, while maintain reported the months created."""
    drop_partitions_from(db, add_months(current_month(db), 1))
    with psycopg.connect(db_url) as conn, pytest.raises(ValueError, match="an autocommit connection"):
        maintain(conn)


@pytest.mark.parametrize("lock_timeout", ["", "soon", "1s; DROP TABLE x", "1s';\nDROP SCHEMA teams_obs CASCADE; --"])
def test_a_lock_timeout_that_is_no_duration_is_refused_before_anything_runs(db, lock_timeout):
    months = "SELECT count(*) FROM teams_obs.partition_bounds('teams_obs.audit_events')"
    before = db.execute(months).fetchone()
    with pytest.raises(ValueError, match="lock_timeout: expected a duration"):
        maintain(db, months_ahead=6, lock_timeout=lock_timeout)
    assert db.execute(months).fetchone() == before


@pytest.mark.parametrize("lock_timeout", ["500ms", "2s", "1.5 s", "1min", "750", "1ms", "0.5s", "0.001s"])
def test_durations_pass(lock_timeout):
    assert check_lock_timeout(lock_timeout) == lock_timeout


@pytest.mark.parametrize("lock_timeout", ["0", "0ms", "0.4ms", "500us", "0 s", "0.0005s"])
def test_a_lock_timeout_that_waits_without_end_is_refused(lock_timeout):
    """PostgreSQL rounds lock_timeout to whole milliseconds, and 0 waits for a lock without end."""
    with pytest.raises(ValueError, match="lock_timeout: must be at least 1ms"):
        check_lock_timeout(lock_timeout)


@pytest.mark.parametrize("missing", [True, False])
def test_maintain_partitions_refuses_a_lock_timeout_that_waits_without_end(db, missing):
    """Whether or not a month is missing, and the caller's own lock_timeout is left as it was."""
    if missing:
        drop_partitions_from(db, add_months(current_month(db), 1))
    with db.transaction():
        db.execute("SET LOCAL lock_timeout = '7s'")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="lock_timeout: must be at least 1ms"):
            db.execute("CALL teams_obs.maintain_partitions(1, '0.4ms')")
    with db.transaction():
        db.execute("SET LOCAL lock_timeout = '7s'")
        db.execute("CALL teams_obs.maintain_partitions(0, '2s')")  # nothing to do: it commits nothing
        assert db.execute("SHOW lock_timeout").fetchone() == ("7s",)


def test_maintain_without_partition_maintenance_deployed_says_so(empty_db_url):
    """A deploy --to an earlier change still succeeds (it has nothing to maintain); maintain itself refuses."""
    deploy_and_maintain(empty_db_url, echo=lambda _line: None, to="partition_catalog")
    with pytest.raises(NotDeployed, match="partition maintenance is not deployed in this database"):
        maintain(empty_db_url)


def test_the_maintainer_role_runs_maintain_without_touching_a_table(db):
    """SPEC §5, §8: teams_obs_maintainer creates partitions and moves rows out of DEFAULT through
    teams_obs.attach_month_partition, which lends it the owner's rights for that alone."""
    first = current_month(db)
    drop_partitions_from(db, add_months(first, 1))
    beyond = add_months(first, 9)
    insert_rows(db, [beyond], per_month=40)
    before = fingerprint(db)
    db.execute("SET ROLE teams_obs_maintainer")
    try:
        actions = maintain(db, months_ahead=2)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(f"SELECT count(*) FROM {DEFAULT}")
    finally:
        db.execute("RESET ROLE")
    created = {a.partition: a.rows_moved for a in actions if a.table == DELIVERIES}
    assert created == {**dict.fromkeys(month_names([add_months(first, 1), add_months(first, 2)]), 0),
                       **dict.fromkeys(month_names([beyond]), 40)}
    assert fingerprint(db) == before and default_rows(db) == 0
    owners = db.execute("SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
                        " WHERE c.oid::regclass::text LIKE 'teams_obs.notification_deliveries_p%'").fetchall()
    assert owners == db.execute("SELECT pg_get_userbyid(relowner) FROM pg_class"
                                " WHERE oid = 'teams_obs.notification_deliveries'::regclass").fetchall()


@pytest.mark.parametrize(("call", "message"), [
    ("SELECT teams_obs.attach_month_partition('teams_obs.conversation_references', '2027-01-01 00:00+00')",
     "parent: teams_obs.conversation_references is not a table of schema teams_obs partitioned by range on one"
     " timestamptz column"),
    ("SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', '2027-01-02 00:00+00')",
     "month_start: must be the first instant of a UTC month, got 2027-01-02 00:00:00+00"),
    ("SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', '2027-01-01 00:00+01')",
     "month_start: must be the first instant of a UTC month, got 2026-12-31 23:00:00+00"),
    ("SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', 'infinity')",
     "month_start: must be the first instant of a UTC month, got infinity"),
    ("SELECT * FROM teams_obs.default_partition_months('teams_obs.notification_deliveries_default')",
     "parent: teams_obs.notification_deliveries_default is not a table of schema teams_obs partitioned by range"
     " on one timestamptz column"),
])
def test_partition_functions_refuse_what_is_not_a_month_of_a_covered_table(db, call, message):
    with pytest.raises(psycopg.errors.InvalidParameterValue) as raised:
        db.execute(call)
    assert raised.value.diag.message_primary == message


def test_attach_month_partition_is_idempotent(db):
    month = add_months(current_month(db), 1)
    assert db.execute("SELECT teams_obs.attach_month_partition(%s::regclass, %s)", [DELIVERIES, month]).fetchone() \
        == (None,)  # the template database has it already



@pytest.mark.parametrize("tool", ["teams-obs", "sqitch"])
def test_deploy_leaves_partitions_to_maintain_when_rows_wait_in_default(empty_db_url, tool):
    """The change initial_partitions makes this month and the next 3 unless rows wait in a DEFAULT
    partition: then maintain makes them, one month per transaction, and the change still verifies."""
    engine = Engine(empty_db_url, echo=lambda _line: None)
    engine.deploy(to="partition_maintenance")
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        first = current_month(conn)
        insert_rows(conn, [add_months(first, 1)], per_month=5)
        if tool == "sqitch":
            run_sqitch(project_root(), "deploy", "--verify", sqitch_target(empty_db_url))
        else:
            engine.deploy(verify=True)
        assert partitions(conn) == {} and partitions(conn, "teams_obs.audit_events") == {}
        assert engine.verify().errors == []
        moved = {a.partition: a.rows_moved for a in maintain(conn) if a.table == DELIVERIES}
        assert moved == {f"{DELIVERIES}_p{add_months(first, i):%Y_%m}": 5 if i == 1 else 0 for i in range(4)}


def test_maintain_partitions_from_sql_one_month_per_transaction(db, db_url):
    """CALL teams_obs.maintain_partitions (pg_cron) as the maintainer: the missing months are made and the
    rows waiting in DEFAULT moved, a busy month is left to the next run and an overlapped one alone."""
    first = current_month(db)
    drop_partitions_from(db, first)
    middle = f"{add_months(first, 2):%Y-%m}-15 00:00:00+00"
    db.execute(f"CREATE TABLE teams_obs.odd PARTITION OF {DELIVERIES} FOR VALUES FROM ('{middle}')"
               f" TO ('{add_months(first, 3):%Y-%m}-15 00:00:00+00')")
    insert_rows(db, [add_months(first, 1)], per_month=7)
    audit_month = f"teams_obs.audit_events_p{add_months(first, 1):%Y_%m}"
    db.execute(f"DROP TABLE {audit_month}")
    notices: list[str] = []
    with psycopg.connect(db_url, autocommit=True) as conn, psycopg.connect(db_url) as blocker:
        conn.add_notice_handler(lambda diag: notices.append(f"{diag.severity}: {diag.message_primary}"))
        conn.execute("SET ROLE teams_obs_maintainer")
        blocker.execute("SELECT count(*) FROM teams_obs.audit_events_default")  # holds ACCESS SHARE
        assert conn.execute("CALL teams_obs.maintain_partitions(1, '50ms')").fetchone() == (2,)
        assert conn.execute("SHOW lock_timeout").fetchone() == ("0",)  # it ended with the month's transaction
    names = [f"{DELIVERIES}_p{add_months(first, i):%Y_%m}" for i in range(4)]
    assert set(partitions(db)) == {names[0], names[1], "teams_obs.odd"} and default_rows(db) == 0
    assert f"NOTICE: {names[1]}: created, 7 rows moved out of DEFAULT" in notices
    assert f"WARNING: {audit_month}: locks not granted within 50ms, left to the next run" in notices
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(f"{diag.severity}: {diag.message_primary}"))
        assert conn.execute("CALL teams_obs.maintain_partitions(3)").fetchone() == (1,)  # the busy month
    assert audit_month in partitions(db, "teams_obs.audit_events")
    assert f"WARNING: {names[2]}: overlapped by {{teams_obs.odd}}, left alone" in notices



def test_attach_month_partition_holds_the_maintenance_lock_while_it_moves_rows(db, db_url):
    """CALL maintain_partitions relies on attach_month_partition for the maintenance lock, and retention and
    purges wait on it for a move: it must be held from the first move on, not only from the table locks
    taken at the end."""
    first = current_month(db)
    drop_partitions_from(db, first)
    insert_rows(db, [first], per_month=10)
    with psycopg.connect(db_url) as holder, psycopg.connect(db_url) as attacher:
        holder.execute(f"SELECT 1 FROM {DEFAULT} WHERE created_at >= %s LIMIT 1 FOR UPDATE", [first])
        mover = threading.Thread(target=lambda: attacher.execute(
            "SELECT teams_obs.attach_month_partition(%s, %s)", [DELIVERIES, first]))
        mover.start()
        wait_until_blocked(db, "%attach_month_partition%", "transactionid")  # in the first move
        try:
            with pytest.raises(psycopg.errors.LockNotAvailable), db.transaction():
                db.execute("SET LOCAL lock_timeout = '100ms'")
                db.execute("SELECT teams_obs.lock_partition_maintenance(%s)", [DELIVERIES])
        finally:
            holder.rollback()
            mover.join(30)
        attacher.rollback()


def test_maintain_partitions_commits_each_month(db, db_url):
    """One transaction per month: a CALL stopped in its second month (its CREATE TABLE waits for a table
    of the same name that another session is creating, until statement_timeout) keeps the first month."""
    first = current_month(db)
    drop_partitions_from(db, first)
    second = f"{DELIVERIES}_p{add_months(first, 1):%Y_%m}"
    with psycopg.connect(db_url) as other:
        other.execute(f"CREATE TABLE {second} (x integer)")
        with pytest.raises(psycopg.errors.QueryCanceled):
            db.execute("SET statement_timeout = '1s'")
            db.execute("CALL teams_obs.maintain_partitions(3, '10s')")
        db.execute("RESET statement_timeout")
    assert sorted(partitions(db)) == [f"{DELIVERIES}_p{first:%Y_%m}"]
