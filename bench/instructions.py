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
Usage:

    python3 bench/instructions.py [--calls 1000] [--warm 200] [--variant NAME OLD NEW ...] [--postgres PATH]
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
from record_delivery import BREAKDOWN, PGBENCH_SCRIPTS, fresh_database
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


def counted(postgres: str, snapshot: Path, dbname: str, script: str, calls: int) -> int:
    """Instructions callgrind counts for a single-user backend running the statements on a copy of snapshot."""
    with tempfile.TemporaryDirectory(dir=snapshot.parent) as scratch:
        os.chmod(scratch, 0o755)  # the server user reaches the copy, which keeps its owner and mode
        data = Path(scratch) / "data"
        subprocess.run(["cp", "-a", str(snapshot), str(data)], check=True)
        run = subprocess.run(
            as_server_user(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                            postgres, "--single", "-D", str(data), dbname]),
            input=statements(script, calls), capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None or "ERROR:" in run.stdout + run.stderr:
        raise RuntimeError(f"postgres --single under valgrind failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return int(found[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--variant", nargs=3, action="append", default=[], metavar=("NAME", "OLD", "NEW"))
    parser.add_argument("--postgres", help="the postgres binary to count (default: the embedded cluster's)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")

    with embedded_postgres() as cluster, fresh_database(cluster.url()) as url:
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
            warm = counted(postgres, snapshot, dbname, script, args.warm)
            per_call[name] = (counted(postgres, snapshot, dbname, script, args.warm + args.calls) - warm) / args.calls
            change = f" ({per_call[name] - per_call['record_delivery']:+,.0f})" if name not in BREAKDOWN else ""
            print(f"  {name:32} {per_call[name]:>9,.0f} instructions per call{change}", flush=True)
    print("Ratios as throughputs compare: the baseline's instructions per call over the measured one's")
    for measured, baseline in RATIOS:
        print(f"  {measured} / {baseline}: {per_call[baseline] / per_call[measured]:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
