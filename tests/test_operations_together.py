"""Everything an operator runs, at once, while writers write (SPEC §4: "all of it is idempotent and safe to
run while writers write"): `maintain` moves this month out of DEFAULT, `run_retention` deletes expired
reservations and DEFAULT rows in committed batches and drops an expired month, and tenants are purged one
after another, each operation as its role, while writers as `teams_obs_writer` race on the same keys
through both recorders. The other tests take these operations one or two at a time; this one checks that
together they neither fail, nor lose, double or orphan a row."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

import psycopg
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg.types.json import Jsonb

from teams_obs.partitions import add_months, current_month, maintain
from tests.partition_helpers import (
    DELIVERIES,
    create_partition_of,
    default_rows,
    drop_partitions_from,
    fingerprint,
    insert_rows,
)
from tests.tenant_data import counts

SIDECAR = "teams_obs.notification_delivery_idempotency"
WRITER_TENANTS = [uuid.UUID(int=n) for n in range(101, 105)]
PURGED = [uuid.UUID(int=n) for n in range(901, 911)]  # purged one after another while the rest runs
KEYS = 150  # per tenant: the writers' calls repeat every key many times
BATCH = 20
KEPT = "d.destination_id LIKE 'dest-%' AND d.created_at >= now() - interval '90 days'"  # bulk rows not expired


def as_role(url: str, role: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET ROLE {role}")
    return conn


def prepare(db: psycopg.Connection) -> None:
    """This month without a partition (its rows in DEFAULT), last month kept, an expired month as a
    partition and another one in DEFAULT, every row with its reservation, and the tenants to purge."""
    this_month = current_month(db)
    drop_partitions_from(db, this_month)
    create_partition_of(db, add_months(this_month, -1))
    create_partition_of(db, add_months(this_month, -6))
    insert_rows(db, [this_month, add_months(this_month, -1)], per_month=8000, tag="kept")
    insert_rows(db, [add_months(this_month, -6), add_months(this_month, -5)], per_month=4000, tag="expired")
    for tenant in PURGED:
        for n in range(40):
            db.execute("SELECT teams_obs.record_delivery(%s, 'chat', %s, 'sent')", [tenant, f"purged-{n}"])
    db.execute(f"INSERT INTO {SIDECAR} (tenant, idempotency_key, delivery_id, created_at)"
               f" SELECT tenant, idempotency_key, delivery_id, created_at FROM {DELIVERIES} ON CONFLICT DO NOTHING")
    db.execute(f"VACUUM ANALYZE {SIDECAR}")  # retention sizes its batches from the statistics


def write(url: str, seed: int, batched: bool, stop: threading.Event, seen: dict, failures: list) -> None:
    """Records outcomes of random keys until stopped: ``seen[(tenant, key)]`` gets every delivery_id a
    call returned for that key."""
    rng = random.Random(seed)
    try:
        with as_role(url, "teams_obs_writer") as conn:
            calls = 0
            while not stop.is_set() or calls < 30:
                calls += 1
                tenant = rng.choice(WRITER_TENANTS)
                keys = [f"user-{rng.randrange(KEYS)}" for _ in range(BATCH if batched else 1)]
                if batched:  # duplicates inside a batch too
                    rows = conn.execute(
                        "SELECT delivery_id FROM teams_obs.record_deliveries(%s, %s) ORDER BY ordinality",
                        [tenant, Jsonb([{"destination_type": "user_activity", "destination_id": key,
                                         "status": "delivered"} for key in keys])]).fetchall()
                else:
                    rows = conn.execute("SELECT delivery_id FROM teams_obs.record_delivery(%s, 'user_activity', %s,"
                                        " 'delivered')", [tenant, keys[0]]).fetchall()
                for key, (delivery_id,) in zip(keys, rows, strict=True):
                    seen[(tenant, key)].add(delivery_id)
    except Exception as exc:  # any error is a failure of the test
        failures.append(exc)


def run(operation: Callable[[], object], results: dict, name: str, failures: list) -> threading.Thread:
    def target() -> None:
        try:
            results[name] = operation()
        except Exception as exc:  # any error is a failure of the test
            failures.append(exc)
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_maintain_retention_and_purge_at_once_while_writers_race_on_the_same_keys(db, db_url):
    prepare(db)
    kept_before = fingerprint(db, KEPT)
    expired_month = f"{DELIVERIES}_p{add_months(current_month(db), -6):%Y_%m}"
    seen: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = defaultdict(set)
    failures: list[BaseException] = []
    stop = threading.Event()
    writers = [threading.Thread(target=write, args=(db_url, n, n == 2, stop, seen, failures)) for n in range(3)]
    for thread in writers:
        thread.start()

    def maintain_as_maintainer():
        with as_role(db_url, "teams_obs_maintainer") as conn:
            return maintain(conn)

    def retention():
        with as_role(db_url, "teams_obs_maintainer") as conn:
            register_composite(CompositeInfo.fetch(conn, "teams_obs.cleanup_result"), conn)
            (removed,) = conn.execute("CALL teams_obs.run_retention('teams_obs.notification_deliveries',"
                                      " '90 days', 500)").fetchone()
            return {row.kind: row.rows_removed for row in removed}

    def purge():
        with as_role(db_url, "teams_obs_maintainer") as conn:
            purged = []
            for tenant in PURGED:
                purged.append(dict(conn.execute("SELECT table_name, rows_deleted FROM teams_obs.purge_tenant(%s)",
                                                [tenant]).fetchall()))
                time.sleep(0.03)
            return purged

    results: dict[str, object] = {}
    operations = [run(operation, results, operation.__name__, failures)
                  for operation in (maintain_as_maintainer, retention, purge)]
    for thread in operations:
        thread.join(120)
    stop.set()
    for thread in writers:
        thread.join(60)

    assert failures == []
    assert all(action.status == "created" for action in results["maintain_as_maintainer"])
    assert [(purged[DELIVERIES], purged[SIDECAR]) for purged in results["purge"]] == [(40, 40)] * len(PURGED)
    assert "partitions_busy" not in results["retention"]
    assert results["retention"]["reservations_deleted"] == 8000  # both expired months' reservations

    # Each key of the writers: one delivery_id for every call, one row, one reservation pointing at it.
    assert len(seen) > KEYS
    assert all(len(ids) == 1 for ids in seen.values())
    stored = db.execute(f"SELECT d.tenant, d.destination_id, d.delivery_id, count(*) OVER (PARTITION BY d.tenant,"
                        f" d.destination_id) FROM {DELIVERIES} d WHERE d.destination_id LIKE 'user-%'").fetchall()
    assert {(tenant, key): {delivery_id} for tenant, key, delivery_id, _ in stored} == seen
    assert {copies for *_, copies in stored} == {1}
    orphans = db.execute(f"SELECT count(*) FROM {SIDECAR} s WHERE NOT EXISTS (SELECT FROM {DELIVERIES} d"
                         " WHERE (d.tenant, d.delivery_id, d.created_at) = (s.tenant, s.delivery_id, s.created_at)"
                         " AND d.idempotency_key = s.idempotency_key)").fetchone()[0]
    assert orphans == 0, "never a reservation without its row"

    # What had not expired is untouched, the purged tenants are gone, this month left DEFAULT.
    assert fingerprint(db, KEPT) == kept_before
    assert {rows for tenant in PURGED for rows in counts(db, tenant).values()} == {0}
    assert default_rows(db) == 0
    assert db.execute(f"SELECT count(*) FROM {SIDECAR} WHERE created_at < now() - interval '90 days'"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT to_regclass(%s)", [expired_month]).fetchone()[0] is None

    # The expired month that sat in DEFAULT was deleted there or moved into a partition of its own,
    # depending on which of maintain and retention came first; the next retention run takes the rest.
    db.execute("SELECT teams_obs.cleanup_notification_deliveries('90 days')")
    assert db.execute(f"SELECT count(*) FROM {DELIVERIES} WHERE created_at < now() - interval '90 days'"
                      ).fetchone()[0] == 0
