"""WAL per recorded delivery on tables of realistic size: time-ordered delivery ids against random ones.

notification_deliveries' primary key is (tenant, delivery_id, created_at). With random (version 4) ids
every insert lands on a random leaf of the month's primary key, and after a checkpoint the first change
of each leaf writes a full-page image to the WAL; teams_obs.time_ordered_uuid() ids land after the
tenant's newest ones. First --rows deliveries over --tenants tenants (this month's partition) and as many
reservations are loaded: the first half of the tenants with time-ordered ids, the other half with random
ones. Contenders, one pgbench client doing --transactions record_delivery calls (new keys, tenants at
random from their half):

- record_delivery: as deployed, time-ordered ids, on the first half;
- record_delivery, random ids: a copy made here from the deployed definition, gen_random_uuid() instead,
  on the second half.

Each runs right after a CHECKPOINT, then once more without one (steady); WAL bytes per transaction are the
advance of the WAL insert position, full-page images per transaction come from pg_stat_wal once pgbench's
backends have flushed their statistics. The order alternates over --reps reps; medians are reported.
Embedded PostgreSQL with fsync on and default settings unless --db names a server.

    python3 bench/wal_per_delivery.py [--db URL] [--rows 1000000] [--tenants 100] [--transactions 5000] [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from pgbench_runner import Contender, run_pgbench
from scratch_database import scratch_database

TIME_ORDERED = "record_delivery"
RANDOM_IDS = "record_delivery, random ids"
CALL = """\\set n random(1, 9000000000000000000)
\\set t random({first}, {last})
SELECT * FROM {function}(('00000000-0000-4000-8000-' || lpad(:t::text, 12, '0'))::uuid, 'user_activity',
    'aad-' || :n::bigint, 'delivered', p_internal_notification_id => gen_random_uuid(), p_category => 'assignment');
"""
TENANT = "('00000000-0000-4000-8000-' || lpad((1 + g %% %(tenants)s)::text, 12, '0'))::uuid"
LOAD_DELIVERIES = f"""INSERT INTO teams_obs.notification_deliveries (tenant, delivery_id, internal_notification_id,
    category, destination_type, destination_id, attempt_number, idempotency_key, status, created_at)
SELECT {TENANT}, CASE WHEN g %% %(tenants)s < %(tenants)s / 2 THEN teams_obs.time_ordered_uuid()
                     ELSE gen_random_uuid() END, gen_random_uuid(), 'assignment', 'user_activity', 'aad-' || g, 1,
       encode(sha256(convert_to(g::text, 'UTF8')), 'hex'), 'delivered', now() - g * interval '1 millisecond'
FROM generate_series(1, %(rows)s) g"""
LOAD_RESERVATIONS = f"""INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id,
    created_at)
SELECT {TENANT}, encode(sha256(convert_to(g::text, 'UTF8')), 'hex'), gen_random_uuid(), now()
FROM generate_series(1, %(rows)s) g"""
WAL_POSITION = "SELECT pg_current_wal_insert_lsn()"
WAL_BYTES_SINCE = "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)"
# A backend adds its WAL counters to pg_stat_wal at most once a second, and at the latest as it exits
# (before it leaves pg_stat_activity): read right after pgbench returns, they may still miss its work.
OTHER_BACKENDS = """SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"""
FULL_PAGE_IMAGES = "SELECT wal_fpi FROM pg_stat_wal"


def random_ids_copy(conn: psycopg.Connection) -> str:
    """record_delivery as deployed, renamed, drawing its delivery_id with gen_random_uuid()."""
    definition = conn.execute("SELECT pg_get_functiondef('teams_obs.record_delivery'::regproc)").fetchone()[0]
    copy = (definition.replace("FUNCTION teams_obs.record_delivery(", "FUNCTION teams_obs_bench.record_delivery(")
            .replace("teams_obs.time_ordered_uuid()", "gen_random_uuid()"))
    if copy.count("teams_obs_bench.") != 1 or "time_ordered_uuid" in copy:
        raise RuntimeError("record_delivery's definition no longer has the shape this benchmark copies")
    conn.execute("CREATE SCHEMA teams_obs_bench")
    conn.execute(copy)
    return "teams_obs_bench.record_delivery"


def wait_for_pgbench_backends_to_exit(conn: psycopg.Connection) -> None:
    """Until pgbench's backends have gone, and with them flushed their statistics."""
    deadline = time.monotonic() + 30
    while conn.execute(OTHER_BACKENDS).fetchone()[0]:
        if time.monotonic() > deadline:
            raise RuntimeError("pgbench's backends are still there 30 s after it finished")
        time.sleep(0.01)
    conn.execute("SELECT pg_stat_clear_snapshot()")


def measure(url: str, contender: Contender, transactions: int, checkpoint: bool) -> dict[str, float]:
    with psycopg.connect(url, autocommit=True) as conn:
        if checkpoint:
            conn.execute("CHECKPOINT")
        wait_for_pgbench_backends_to_exit(conn)  # those of the previous run, should any be left
        (position,) = conn.execute(WAL_POSITION).fetchone()
        (fpi_before,) = conn.execute(FULL_PAGE_IMAGES).fetchone()
        tps = run_pgbench(url, contender, clients=1, seconds=0, transactions=transactions)
        (wal_bytes,) = conn.execute(WAL_BYTES_SINCE, [position]).fetchone()
        wait_for_pgbench_backends_to_exit(conn)
        (fpi_after,) = conn.execute(FULL_PAGE_IMAGES).fetchone()
    return {"tps": tps, "bytes": float(wal_bytes) / transactions, "fpi": float(fpi_after - fpi_before) / transactions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="server URL (a scratch database is created there)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--transactions", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    with scratch_database(args.db, "bench_wal_per_delivery") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            for load in (LOAD_DELIVERIES, LOAD_RESERVATIONS):
                conn.execute(load, {"rows": args.rows, "tenants": args.tenants})
            conn.execute("VACUUM ANALYZE teams_obs.notification_deliveries,"
                         " teams_obs.notification_delivery_idempotency")
            functions = {TIME_ORDERED: "teams_obs.record_delivery", RANDOM_IDS: random_ids_copy(conn)}
        half = args.tenants // 2
        contenders = [Contender(name, CALL.format(first=first, last=last, function=functions[name]))
                      for name, first, last in ((TIME_ORDERED, 1, half), (RANDOM_IDS, half + 1, args.tenants))]
        figures: dict[tuple[str, str], list[dict[str, float]]] = {}
        for rep in range(args.reps):
            for contender in (contenders if rep % 2 == 0 else contenders[::-1]):
                for phase, checkpoint in (("after a checkpoint", True), ("steady", False)):
                    figure = measure(url, contender, args.transactions, checkpoint)
                    figures.setdefault((contender.name, phase), []).append(figure)
                    print(f"rep {rep + 1}/{args.reps} {contender.name}, {phase}: {figure['tps']:.0f} tps, "
                          f"{figure['bytes']:.0f} WAL bytes and {figure['fpi']:.2f} full-page images per transaction",
                          flush=True)

    print(f"\n{args.rows:,} deliveries and reservations over {args.tenants} tenants, {args.transactions:,} "
          f"transactions per run, medians of {args.reps} reps")
    print(f"  {'contender':<30} {'phase':<20} {'tps':>7} {'WAL bytes/tx':>13} {'FPI/tx':>7}")
    medians = {key: {name: statistics.median(run[name] for run in runs) for name in ("tps", "bytes", "fpi")}
               for key, runs in figures.items()}
    for (name, phase), median in medians.items():
        print(f"  {name:<30} {phase:<20} {median['tps']:>7.0f} {median['bytes']:>13,.0f} {median['fpi']:>7.2f}")
    for phase in ("after a checkpoint", "steady"):
        ratio = medians[TIME_ORDERED, phase]["bytes"] / medians[RANDOM_IDS, phase]["bytes"]
        print(f"  WAL per transaction, time-ordered / random ids, {phase}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
