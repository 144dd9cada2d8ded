"""Writers while maintenance moves a month's rows out of the DEFAULT partition: how long do they wait?

SPEC §4: rows that landed in DEFAULT move into their month once it exists, "without blocking writers for
long". For each --rows size and rep: this month's partition of notification_deliveries is dropped, that
many rows of this month are loaded (they land in DEFAULT), and pgbench runs --clients writers calling
record_delivery for --seconds; after --warmup seconds `CALL teams_obs.maintain_partitions()` recreates
the month and moves the rows (templates/partition.sql.j2: writers wait while the month's transaction
holds the table). Reported, medians over --reps: the move's duration, and writer latency (median, p99,
max) of the transactions that overlap it against those of the same run that do not (the baseline),
with the longest wait per row moved.

    python3 bench/default_move.py [--db URL] [--rows 50000 200000] [--reps 3] [--clients 2]
                                  [--seconds 12] [--warmup 3]
"""

from __future__ import annotations

import argparse
import statistics

import psycopg
from scratch_database import scratch_database
from sidecar_cleanup import Rep, writers_during

DELIVERIES = "teams_obs.notification_deliveries"
MOVE = "CALL teams_obs.maintain_partitions()"


def leave_rows_in_default(conn: psycopg.Connection, rows: int) -> None:
    """This month without its partition, ``rows`` of this month in DEFAULT (as after a deploy by sqitch)."""
    month = conn.execute("SELECT pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC')").fetchone()[0]
    conn.execute(f"DROP TABLE IF EXISTS {DELIVERIES}_p{month:%Y_%m}")
    conn.execute(
        f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status, created_at)"
        " SELECT ('00000000-0000-4000-8000-' || lpad((g %% 100)::text, 12, '0'))::uuid, 'bot_dm', 'bulk-' || g,"
        "        md5('bulk-' || g), 'delivered', %s::timestamptz + g * interval '1 millisecond'"
        "   FROM generate_series(1, %s) g", [month, rows])
    conn.execute(f"VACUUM ANALYZE {DELIVERIES}")
    conn.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster with fsync on)")
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    results: dict[int, list[Rep]] = {rows: [] for rows in args.rows}
    with scratch_database(args.db, "bench_default_move") as url:
        for number in range(args.reps):
            for rows in args.rows:
                with psycopg.connect(url, autocommit=True) as conn:
                    leave_rows_in_default(conn, rows)
                rep = writers_during(url, MOVE, args.clients, args.seconds, args.warmup)
                results[rows].append(rep)
                print(f"rep {number + 1}/{args.reps}, {rows:,} rows: move {rep.cleanup_s:.2f}s, writers during it:"
                      f" {len(rep.during)} tx, max {max(rep.during):.1f} ms (outside: max {max(rep.outside):.1f} ms)",
                      flush=True)

    print(f"\n{args.clients} writers (record_delivery); medians over {args.reps} reps\n")
    print("| rows in DEFAULT | move s | writer tx during | latency during: median / p99 / max ms"
          " | outside: median / p99 / max ms | longest wait per row moved |\n|---|---|---|---|---|---|")
    for rows, reps in results.items():
        duration, count, *latencies = (statistics.median(figures)
                                       for figures in zip(*(rep.figures() for rep in reps), strict=True))
        during, outside = latencies[:3], latencies[3:]
        print(f"| {rows:,} | {duration:.2f} | {count:.0f} | {' / '.join(f'{v:.2f}' for v in during)}"
              f" | {' / '.join(f'{v:.2f}' for v in outside)} | {during[2] * 1000 / rows:.1f} µs |")


if __name__ == "__main__":
    main()
