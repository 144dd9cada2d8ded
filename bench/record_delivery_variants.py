"""record_delivery against edited copies of itself, each judged as bench/record_delivery.py judges it.

A variant is the committed function's source (pg_get_functiondef) with text replaced: --variant NAME OLD
NEW, repeated with the same NAME for several edits, applied in order; each OLD must occur. It is created
as teams_obs_bench.record_delivery_<NAME> beside the committed function, so a variant needs no copy of the
source in the repository and always starts from the committed one.

Each round runs, for the committed function and for every variant, one pgbench run of the issue's three
single-row contenders (the plain INSERT, that function, the 2-statement transaction; bench/pgbench/),
the order rotating from round to round. A function's figure in a round is its throughput over the plain
INSERT's in the same run; the report gives each one's median over the rounds and its paired difference
from the committed function (rounds run back to back, so drift of the machine cancels out of it). Timings
move by a point or two from round to round: ten rounds or more tell a one-point change. Usage:

    python3 bench/record_delivery_variants.py --variant NAME OLD NEW [--variant ...] [--db URL]
                                              [--rounds 10] [--seconds 5] [--clients 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import psycopg
from pgbench_runner import Contender, run_mixed
from record_delivery import PGBENCH_SCRIPTS, database, rotations

COMMITTED = "committed"
CALLED = "teams_obs.record_delivery("


def variant_sources(source: str, edits: list[tuple[str, str, str]]) -> dict[str, str]:
    """NAME -> the CREATE FUNCTION of teams_obs_bench.record_delivery_<NAME>: source with NAME's edits."""
    variants: dict[str, str] = {}
    for name, old, new in edits:
        if not name.isidentifier() or name == COMMITTED:
            raise SystemExit(f"--variant {name!r}: a name must be an identifier other than {COMMITTED!r}")
        text = variants.get(name, source)
        if old not in text:
            raise SystemExit(f"--variant {name}: {old!r} does not occur in record_delivery (after its earlier edits)")
        variants[name] = text.replace(old, new)
    return {name: text.replace(f"FUNCTION {CALLED}", f"FUNCTION teams_obs_bench.record_delivery_{name}(", 1)
            for name, text in variants.items()}


def contender(name: str) -> Contender:
    script = PGBENCH_SCRIPTS["record_delivery"].read_text()
    return Contender(name, script if name == COMMITTED else
                     script.replace(CALLED, f"teams_obs_bench.record_delivery_{name}("))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", nargs=3, action="append", required=True, metavar=("NAME", "OLD", "NEW"))
    parser.add_argument("--db", help="server URL (a database named bench_record_delivery is created there)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=5, help="length of one pgbench run")
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()

    plain, two_statements = (Contender(name, PGBENCH_SCRIPTS[name].read_text())
                             for name in ("plain INSERT", "2-statement transaction"))
    with database(args.db, fsync=True) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            # regproc: record_delivery has no overloads (tests/test_privileges.py refuses them).
            source = conn.execute("SELECT pg_get_functiondef('teams_obs.record_delivery'::regproc)").fetchone()[0]
            for text in variant_sources(source, args.variant).values():
                conn.execute(text)
        names = [COMMITTED, *dict.fromkeys(name for name, _old, _new in args.variant)]
        ratios: dict[str, list[float]] = {name: [] for name in names}
        for number, order in enumerate(rotations(names, args.rounds)):
            for name in order:
                tps = run_mixed(url, [plain, contender(name), two_statements], args.clients, args.seconds)
                ratios[name].append(tps[name] / tps[plain.name])
            print(f"round {number + 1}: " + ", ".join(f"{name} {ratios[name][-1]:.3f}x" for name in names),
                  flush=True)
    print(f"\n{args.clients} client(s), {args.rounds} rounds: throughput over the plain INSERT's in the same run")
    for name in names:
        line = f"  {name:<24} median {statistics.median(ratios[name]):.3f}x"
        if name != COMMITTED:
            gains = [ratio - base for ratio, base in zip(ratios[name], ratios[COMMITTED], strict=True)]
            line += (f"; paired difference from {COMMITTED}: median {statistics.median(gains):+.3f}, "
                     f"mean {statistics.mean(gains):+.3f}, better in {sum(g > 0 for g in gains)} of {len(gains)}")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
