"""Benchmark: teams_obs.payload_hash on one large object, by its fast path and by the screen.

A payload author can send any document down the slow path (_jcs_screen, which walks the tokens to find
what jsonb cannot tell: duplicate keys, \\u0000, lone surrogates, numbers outside the double range): one
colon spelled \\u003a is enough. So the screen must stay linear in the document's size. For objects of
growing member counts, the report gives the server time of payload_hash on the same object with a plain
colon (the fast path: the baseline) and with \\u003a (the screen), and their ratio: a ratio that stays put
as the object grows is linear growth; one that grows with the object is not.

    python3 bench/payload_screen.py [--db URL] [--members 10000 20000 40000 80000] [--calls 3]
"""

from __future__ import annotations

import argparse
import statistics

import psycopg
from psycopg import sql
from scratch_database import scratch_database, server_times_ms


def document(members: int, colon: str) -> str:
    return "{" + ",".join(f'"k{i}":1' for i in range(members)) + f',"x":"a{colon}b"}}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster)")
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 20_000, 40_000, 80_000])
    parser.add_argument("--calls", type=int, default=3, help="timed calls per document (median)")
    args = parser.parse_args()
    with scratch_database(args.db, "bench_payload_screen") as url, psycopg.connect(url, autocommit=True) as conn:
        print(f"{'members':>8} {'bytes':>9} {'fast path ms':>13} {'screen ms':>10} {'screen / fast':>14}")
        ratios = []
        for members in args.members:
            times = {}
            for path, colon in (("fast", ":"), ("screen", "\\u003a")):
                text = document(members, colon)
                query = f"SELECT teams_obs.payload_hash({sql.Literal(text).as_string(conn)}::json)"
                times[path] = statistics.median(server_times_ms(conn, query, args.calls))
            ratios.append(times["screen"] / times["fast"])
            print(f"{members:>8} {len(text):>9} {times['fast']:>13.1f} {times['screen']:>10.1f} {ratios[-1]:>13.1f}x")
        print(f"growth of screen / fast from {args.members[0]} to {args.members[-1]} members: "
              f"{ratios[-1] / ratios[0]:.2f}x (1x: linear)")


if __name__ == "__main__":
    main()
