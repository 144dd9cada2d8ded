"""Retention behaviour that needs more than one session: batches as separate statements, and a
partition that stays locked elsewhere is reported busy instead of stalling or failing the run."""

from __future__ import annotations

import psycopg

from teams_obs.partitions import add_months, current_month
from tests.partition_helpers import create_partition_of

SIDECAR = "teams_obs.notification_delivery_idempotency"
CLEANUP = "SELECT kind, partitions, rows_removed, names FROM teams_obs.cleanup_notification_deliveries({})"


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
