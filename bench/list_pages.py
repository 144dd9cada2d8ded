"""Keyset paging cost against depth: list_deliveries' page after 50,000 rows vs its first page.

Data: --rows deliveries over --tenants tenants, one of them holding --big rows, spread over the last 90
days (so over 4 monthly partitions). Contenders, all reading 50 rows of the big tenant newest first:

- first page:  list_deliveries(big, p_limit => 50)
- deep page:   list_deliveries(big, p_limit => 50, p_cursor => <cursor after --depth rows>)
- OFFSET page: the same ORDER BY with OFFSET --depth LIMIT 50 (the contrast: cost grows with depth)

Server time: each round times --calls executions of each contender inside the server (a PL/pgSQL loop
around clock_timestamp(), no network), contenders alternating order round by round; the figure is the
median over all calls. Client view: pgbench (1 client, prepared) tps of first vs deep page, alternating.

    python3 bench/list_pages.py [--db URL] [--rows 1000000] [--tenants 100] [--big 100000]
                                [--depth 50000] [--rounds 7] [--calls 200] [--seconds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from pgbench_runner import Contender, alternate
from scratch_database import scratch_database, server_times_ms

from teams_obs.partitions import maintain

BIG = "00000000-0000-4000-8000-000000000000"
PAGE = 50
DELIVERY_COLUMNS = ("tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,"
                    " attempt_number, idempotency_key, status, error_code, created_at")


def load(conn: psycopg.Connection, rows: int, tenants: int, big: int) -> None:
    """Rows every ~8 s over 90 days; the big tenant's rows interleaved with everyone else's."""
    started = time.perf_counter()
    # One row per past month first, so maintain makes their partitions before the bulk load.
    conn.execute(f"INSERT INTO teams_obs.notification_deliveries ({DELIVERY_COLUMNS})"
                 " SELECT gen_random_uuid(), gen_random_uuid(), NULL, 'seed', 'bot_dm', 'seed', 1, md5(random()::text),"
                 "        'sent', NULL, now() - k * interval '1 month' FROM generate_series(1, 3) k")
    maintain(conn)
    chunk = 100_000
    for first in range(0, rows, chunk):
        conn.execute(
            f"INSERT INTO teams_obs.notification_deliveries ({DELIVERY_COLUMNS})"
            " SELECT CASE WHEN g %% %(stride)s = 0 THEN %(big)s::uuid"
            "             ELSE ('00000000-0000-4000-8000-' || lpad((1 + g %% (%(tenants)s - 1))::text, 12, '0'))::uuid"
            "        END,"
            "        gen_random_uuid(), CASE WHEN g %% 3 = 0 THEN gen_random_uuid() END,"
            "        (ARRAY['assignment', 'customer_reply', 'approval_request', 'escalation'])[1 + g %% 4],"
            "        (ARRAY['user_activity', 'bot_dm'])[1 + g %% 2], 'aad-' || (g %% 5000), 1 + g %% 3, md5(g::text),"
            "        (ARRAY['delivered', 'delivered', 'delivered', 'failed', 'skipped', 'sent'])[1 + g %% 6],"
            "        CASE WHEN g %% 6 = 3 THEN 'graph_throttled' END,"
            "        now() - (g * interval '90 days') / %(rows)s"
            "   FROM generate_series(%(first)s::integer, %(last)s::integer) g",
            {"stride": rows // big, "big": BIG, "tenants": tenants, "rows": rows, "first": first,
             "last": min(first + chunk, rows) - 1})
    conn.execute("VACUUM ANALYZE teams_obs.notification_deliveries")
    count = conn.execute("SELECT count(*) FROM teams_obs.notification_deliveries WHERE tenant = %s", [BIG]).fetchone()
    print(f"loaded {rows} rows ({count[0]} of the big tenant) in {time.perf_counter() - started:.0f}s", flush=True)


def cursor_after(conn: psycopg.Connection, depth: int) -> str:
    return conn.execute(
        "SELECT teams_obs.encode_cursor('deliveries', tenant, created_at, delivery_id)"
        "  FROM teams_obs.notification_deliveries WHERE tenant = %s"
        " ORDER BY created_at DESC, delivery_id DESC OFFSET %s LIMIT 1", [BIG, depth - 1]).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster with fsync on)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    with scratch_database(args.db, "bench_list_pages") as url, psycopg.connect(url, autocommit=True) as conn:
        load(conn, args.rows, args.tenants, args.big)
        cursor = cursor_after(conn, args.depth)
        contenders = {
            "first page": f"SELECT * FROM teams_obs.list_deliveries('{BIG}', p_limit => {PAGE})",
            "deep page (keyset)": f"SELECT * FROM teams_obs.list_deliveries('{BIG}', p_limit => {PAGE},"
                                  f" p_cursor => '{cursor}')",
            "OFFSET page": f"SELECT * FROM teams_obs.notification_deliveries WHERE tenant = '{BIG}'"
                           f" ORDER BY created_at DESC, delivery_id DESC OFFSET {args.depth} LIMIT {PAGE}",
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for number in range(args.rounds):
            names = list(contenders) if number % 2 == 0 else list(reversed(contenders))
            for name in names:
                calls = max(args.calls // 10, 5) if name == "OFFSET page" else args.calls
                times[name] += server_times_ms(conn, contenders[name], calls)
            print(f"round {number + 1}/{args.rounds}: " + ", ".join(
                f"{name} {statistics.median(values):.3f} ms" for name, values in times.items()), flush=True)

        pgbench = alternate(url, [Contender(name, contenders[name] + ";\n") for name in list(contenders)[:2]],
                            [1], rounds=args.rounds, seconds=args.seconds)

    base = statistics.median(times["first page"])
    print(f"\nServer time per call, {args.rows:,} rows, {args.tenants} tenants, big tenant {args.big:,} rows,"
          f" page of {PAGE} after {args.depth:,} rows; medians over {args.rounds} alternating rounds\n")
    print("| contender | calls | median ms | p95 ms | ratio to first page |\n|---|---|---|---|---|")
    for name, values in times.items():
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"| {name} | {len(values)} | {statistics.median(values):.3f} | {p95:.3f} |"
              f" {statistics.median(values) / base:.2f}x |")
    print("\npgbench, 1 client, prepared (client view: latency includes the round trip)\n")
    print(pgbench.markdown("first page", [1]))


if __name__ == "__main__":
    main()
