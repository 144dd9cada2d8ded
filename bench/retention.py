"""Retention of an expired month: dropping its partition vs DELETE plus VACUUM of the same rows.

For each --sizes N: a month 13 months back holds N rows in its own partition, next to a current month
of --live rows. Contenders, alternating order rep by rep, each on freshly loaded rows:

- partition drop:  SELECT * FROM teams_obs.cleanup_partitioned_table(deliveries, <end of that month>)
                   (what cleanup_notification_deliveries does for deliveries: counts the partition's rows
                   for the report, then DROP TABLE);
- DELETE + VACUUM: DELETE FROM deliveries WHERE created_at in that month; VACUUM of that partition only
                   (the rows' own partition: the most favourable case for DELETE).

Each contender starts right after a CHECKPOINT and is timed twice: its statements alone, and its
statements plus the CHECKPOINT that writes back the pages they dirtied (DELETE and VACUUM rewrite every
heap and index page of the month; a drop dirties a few catalog pages). Medians over --reps reps per
contender; the ratios are DELETE+VACUUM / drop.

    python3 bench/retention.py [--db URL] [--sizes 300000,1000000] [--reps 3] [--live 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime

import psycopg
from scratch_database import scratch_database

from teams_obs.partitions import add_months, current_month, maintain

DELIVERIES = "teams_obs.notification_deliveries"
INSERT = (f"INSERT INTO {DELIVERIES} (tenant, delivery_id, category, destination_type, destination_id,"
          " idempotency_key, status, error_code, created_at)"
          " SELECT ('00000000-0000-4000-8000-' || lpad((g %% 100)::text, 12, '0'))::uuid, gen_random_uuid(),"
          "        'assignment', 'user_activity', 'aad-' || (g %% 5000), md5(%(tag)s || g),"
          "        (ARRAY['delivered', 'failed', 'skipped'])[1 + g %% 3], CASE WHEN g %% 3 = 1 THEN 'transient' END,"
          "        %(start)s::timestamptz + (g * interval '27 days') / %(rows)s"
          "   FROM generate_series(1, %(rows)s) g")


def load(conn: psycopg.Connection, month: datetime, rows: int, tag: str) -> None:
    conn.execute(INSERT, {"tag": tag, "start": month, "rows": rows})
    conn.execute(f"VACUUM ANALYZE {DELIVERIES}")  # as a month long written would be: all-visible, analysed


def ensure_partition(conn: psycopg.Connection, month: datetime) -> None:
    """maintain() makes a month's partition once a row of it sits in DEFAULT."""
    load(conn, month, 1, "seed")
    maintain(conn)


def drop_partition(conn: psycopg.Connection, month: datetime) -> None:
    report = conn.execute("SELECT partitions FROM teams_obs.cleanup_partitioned_table(%s, %s)"
                          " WHERE kind = 'partitions_dropped'", [DELIVERIES, add_months(month, 1)]).fetchone()
    assert report == (1,), report


def delete_and_vacuum(conn: psycopg.Connection, month: datetime) -> None:
    conn.execute(f"DELETE FROM {DELIVERIES} WHERE created_at >= %s AND created_at < %s", [month, add_months(month, 1)])
    conn.execute(f"VACUUM {DELIVERIES}_p{month:%Y_%m}")


CONTENDERS = {"partition drop": drop_partition, "DELETE + VACUUM": delete_and_vacuum}


def timed(conn: psycopg.Connection, contender, month: datetime) -> tuple[float, float]:
    """Seconds of the statements, and of the statements plus the checkpoint after them."""
    conn.execute("CHECKPOINT")
    started = time.perf_counter()
    contender(conn, month)
    statements = time.perf_counter() - started
    conn.execute("CHECKPOINT")
    return statements, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster with fsync on)")
    parser.add_argument("--sizes", default="300000,1000000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--live", type=int, default=100_000, help="rows of the current month, never touched")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    lines = ["| rows in the month | drop: statements / +checkpoint (median s) | DELETE + VACUUM: statements /"
             " +checkpoint (median s) | ratio: statements / +checkpoint | runs, statements: drop / delete (s) |",
             "|---|---|---|---|---|"]
    with scratch_database(args.db, "bench_retention") as url, psycopg.connect(url, autocommit=True) as conn:
        this_month = current_month(conn)
        load(conn, this_month, args.live, "live")
        expired = add_months(this_month, -13)
        ensure_partition(conn, expired)
        for size in sizes:
            seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
            for rep in range(args.reps):
                order = list(CONTENDERS) if rep % 2 == 0 else list(reversed(CONTENDERS))
                for name in order:
                    load(conn, expired, size, f"{name}-{rep}")
                    seconds[name].append(timed(conn, CONTENDERS[name], expired))
                    ensure_partition(conn, expired)
                    print(f"{size} rows, rep {rep + 1}/{args.reps}, {name}: {seconds[name][-1][0]:.3f}s,"
                          f" with checkpoint {seconds[name][-1][1]:.3f}s", flush=True)
            (drop, drop_cp), (delete, delete_cp) = (
                [statistics.median(run[i] for run in seconds[name]) for i in (0, 1)] for name in CONTENDERS)
            runs = " / ".join(", ".join(f"{run[0]:.3f}" for run in seconds[name]) for name in CONTENDERS)
            lines.append(f"| {size:,} | {drop:.3f} / {drop_cp:.3f} | {delete:.3f} / {delete_cp:.3f} |"
                         f" {delete / drop:.1f}x / {delete_cp / drop_cp:.1f}x | {runs} |")
    print("\n" + "\n".join(lines))

if __name__ == "__main__":
    main()
