"""Instructions per call of record_delivery and its baselines, counted by valgrind: exact and repeatable
where the timings of bench/record_delivery.py wander with the disk and whatever else the machine does.

An embedded cluster gets a fresh database with the plan deployed (and bench/plpgsql_wrapper_function.sql),
whose data directory is copied after a CHECKPOINT. Each contender's pgbench script (bench/pgbench/, all
but the 2-statement transaction, whose \\gset has no SQL form) is PREPAREd and then EXECUTEd in a
single-user backend (postgres --single, one transaction per statement) on a fresh copy under callgrind:
--warm times, then --warm + --calls times. The difference over --calls is one call's instructions once
plans and caches are warm, commit included; what the instructions leave out is time spent waiting (the
WAL flush) and cache misses, so these ratios are lower than the throughput ratios. Needs valgrind.

--variant NAME OLD NEW counts an edited copy of record_delivery too, made as bench/record_delivery_variants.py
makes it, and prints what the edit changes per call. --postgres counts another build of the same major
version on the same data directory, for example one built with symbols (docs/benchmarks.md, session 15).
--cache-sim also counts the misses of callgrind's simulated first-level instruction and data caches per
call (docs/benchmarks.md, session 16: they rise with the instructions and explain no time of their own).
Usage:

    python3 bench/instructions.py [--calls 1000] [--warm 200] [--variant NAME OLD NEW ...] [--postgres PATH]
                                  [--cache-sim]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from record_delivery import BREAKDOWN, PGBENCH_SCRIPTS, database
from record_delivery_variants import contender, variant_sources

from teams_obs.embedded import SERVER_USER, embedded_postgres, pg_bindir

RATIOS = [  # (measured, baseline), read as bench/record_delivery.py reads its tps ratios
    ("record_delivery", "plain INSERT"),
    ("PL/pgSQL wrapper", "plain INSERT"),
    ("PL/pgSQL wrapper + reservation", "PL/pgSQL wrapper"),
    ("record_delivery", "PL/pgSQL wrapper + reservation"),
]
FIRST_N = 10**12  # the pgbench scripts' :n, one new value per call


def statements(script: str, calls: int) -> str:
    """The pgbench script as one PREPARE (its :n a bigint parameter) and ``calls`` EXECUTEs, one per line."""
    sql = " ".join(line for line in script.splitlines() if not line.startswith(("--", "\\set")))
    lines = [f"PREPARE contender(bigint) AS {' '.join(sql.replace(':n', '$1').split())}"]
    lines += [f"EXECUTE contender({FIRST_N + number})" for number in range(calls)]
    return "\n".join(lines) + "\n"


def as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}", "--init-groups", "--", *command]


def counted(postgres: str, snapshot: Path, dbname: str, script: str, calls: int, cache_sim: bool) -> dict[str, int]:
    """Callgrind's event totals (Ir, and with cache_sim I1mr, D1mr, D1mw ...) for a single-user backend
    running the statements on a copy of snapshot."""
    with tempfile.TemporaryDirectory(dir=snapshot.parent) as scratch:
        os.chmod(scratch, 0o755)  # the server user reaches the copy, which keeps its owner and mode
        data, out = Path(scratch) / "data", Path(scratch) / "callgrind.out"
        subprocess.run(["cp", "-a", str(snapshot), str(data)], check=True)
        out.touch()
        os.chmod(out, 0o666)  # callgrind writes it as the server user
        run = subprocess.run(
            as_server_user(["valgrind", "--tool=callgrind", f"--cache-sim={'yes' if cache_sim else 'no'}",
                            f"--callgrind-out-file={out}", postgres, "--single", "-D", str(data), dbname]),
            input=statements(script, calls), capture_output=True, text=True, check=False)
        if run.returncode != 0 or "ERROR:" in run.stdout + run.stderr or not out.stat().st_size:
            raise RuntimeError(f"postgres --single under valgrind failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        output = out.read_text()
    names = re.search(r"^events: (.+)$", output, re.MULTILINE)[1].split()
    totals = re.search(r"^summary: (.+)$", output, re.MULTILINE)[1].split()
    return dict(zip(names, map(int, totals), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--variant", nargs=3, action="append", default=[], metavar=("NAME", "OLD", "NEW"))
    parser.add_argument("--postgres", help="the postgres binary to count (default: the embedded cluster's)")
    parser.add_argument("--cache-sim", action="store_true", help="also count first-level cache misses per call")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")

    with embedded_postgres() as cluster, database(cluster.url()) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            source = conn.execute("SELECT pg_get_functiondef('teams_obs.record_delivery'::regproc)").fetchone()[0]
            for text in variant_sources(source, args.variant).values():
                conn.execute(text)
            conn.execute("CHECKPOINT")
        snapshot = cluster.base_dir / "snapshot"
        subprocess.run(["cp", "-a", str(cluster.base_dir / "data"), str(snapshot)], check=True)
        (snapshot / "postmaster.pid").unlink()
        dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        postgres = args.postgres or str(pg_bindir() / "postgres")
        scripts = {name: PGBENCH_SCRIPTS[name].read_text() for name in BREAKDOWN}
        scripts |= {name: contender(name).script for name, _old, _new in args.variant}
        per_call = {}
        for name, script in scripts.items():
            warm = counted(postgres, snapshot, dbname, script, args.warm, args.cache_sim)
            total = counted(postgres, snapshot, dbname, script, args.warm + args.calls, args.cache_sim)
            events = {event: (total[event] - warm[event]) / args.calls for event in total}
            per_call[name] = events["Ir"]
            change = f" ({per_call[name] - per_call['record_delivery']:+,.0f})" if name not in BREAKDOWN else ""
            misses = (f"; L1 misses: instructions {events['I1mr']:,.0f}, data {events['D1mr'] + events['D1mw']:,.0f}"
                      if args.cache_sim else "")
            print(f"  {name:32} {per_call[name]:>9,.0f} instructions per call{change}{misses}", flush=True)
    print("Ratios as throughputs compare: the baseline's instructions per call over the measured one's")
    for measured, baseline in RATIOS:
        print(f"  {measured} / {baseline}: {per_call[baseline] / per_call[measured]:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
