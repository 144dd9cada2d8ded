"""Writers during reservation cleanup: does batched retention of the idempotency sidecar stall them?

--expired reservations older than the retention sit in notification_delivery_idempotency, beside --live
ones within it (added once: a steady state, where a daily run deletes one day of some 90 and reads all of
them, as the sidecar has no index on created_at: docs/maintenance.md). pgbench runs
--clients writers calling record_delivery (new keys) for --seconds, with per-transaction latency logs;
after --warmup seconds one cleanup runs on another connection. Contenders, alternating rep by rep:

- batched: SELECT * FROM teams_obs.cleanup_notification_deliveries('90 days', --batch) (one transaction);
- committed batches: CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days', --batch)
  (what `teams-obs cleanup` runs: a COMMIT after each batch);
- one DELETE: DELETE FROM notification_delivery_idempotency WHERE created_at < now() - '90 days'.

For each: the cleanup's duration, and writer latency (median, p99, max) of the transactions that overlap
the cleanup against those of the same run that do not (the baseline). Medians over --reps reps.

    python3 bench/sidecar_cleanup.py [--db URL] [--expired 300000] [--live 0] [--reps 3] [--clients 2]
                                     [--batch 10000] [--seconds 20] [--warmup 4]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pgbench_runner import pgbench_binary
from scratch_database import scratch_database

SIDECAR = "teams_obs.notification_delivery_idempotency"
WRITER = """\\set n random(1, 2000000000)
SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-000000000001', 'bot_dm',
                                        'writer-' || :client_id || '-' || :n, 'delivered');
"""
CONTENDERS = {
    "batched": "SELECT * FROM teams_obs.cleanup_notification_deliveries('90 days', {batch})",
    "committed batches": "CALL teams_obs.run_retention('teams_obs.notification_deliveries', '90 days', {batch})",
    "one DELETE": f"DELETE FROM {SIDECAR} WHERE created_at < now() - interval '90 days'",
}


@dataclass(frozen=True)
class Transaction:
    start: float
    end: float

    @property
    def latency_ms(self) -> float:
        return (self.end - self.start) * 1000


def add_reservations(conn: psycopg.Connection, count: int, *, expired: bool) -> None:
    """``count`` reservations over 100 tenants: expired ones 200 days old and more, live ones of the
    last 89 days."""
    age = "interval '200 days' + g * interval '1 second'" if expired else "random() * interval '89 days'"
    conn.execute(f"INSERT INTO {SIDECAR} (tenant, idempotency_key, delivery_id, created_at)"
                 " SELECT ('00000000-0000-4000-8000-' || lpad((g %% 100)::text, 12, '0'))::uuid, md5(random()::text),"
                 f"        gen_random_uuid(), now() - {age}"
                 "   FROM generate_series(1, %s) g", [count])
    conn.execute(f"VACUUM ANALYZE {SIDECAR}")


def writer_log(url: str, clients: int, seconds: int, directory: Path) -> subprocess.Popen:
    script = directory / "writer.sql"
    script.write_text(WRITER)
    return subprocess.Popen(
        [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-T", str(seconds),
         "-l", f"--log-prefix={directory / 'log'}", "-f", str(script), url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def transactions(directory: Path) -> list[Transaction]:
    """pgbench -l lines: client, number, latency (us), script, end epoch (s), end (us)."""
    found = []
    for path in directory.glob("log*"):
        for line in path.read_text().splitlines():
            _client, _number, latency, _script, epoch, micros = line.split()[:6]
            end = int(epoch) + int(micros) / 1e6
            found.append(Transaction(end - int(latency) / 1e6, end))
    return found


@dataclass
class Rep:
    cleanup_s: float
    during: list[float]
    outside: list[float]

    def figures(self) -> tuple[float, ...]:
        """Duration, writer transactions during the cleanup, then median/p99/max latency during and outside."""
        return (self.cleanup_s, len(self.during), *latency_figures(self.during), *latency_figures(self.outside))


def run_rep(url: str, statement: str, args: argparse.Namespace) -> Rep:
    with psycopg.connect(url, autocommit=True) as conn:
        add_reservations(conn, args.expired, expired=True)
    return writers_during(url, statement, args.clients, args.seconds, args.warmup)


def writers_during(url: str, statement: str, clients: int, seconds: int, warmup: int) -> Rep:
    """pgbench writers for ``seconds``; ``statement`` runs on another connection after ``warmup`` seconds."""
    window: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        writers = writer_log(url, clients, seconds, Path(tmp))

        def cleanup() -> None:
            time.sleep(warmup)
            with psycopg.connect(url, autocommit=True) as conn:
                window.append(time.time())
                conn.execute(statement)
                window.append(time.time())

        thread = threading.Thread(target=cleanup)
        thread.start()
        out, err = writers.communicate()
        thread.join()
        if writers.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{out}\n{err}")
        done = transactions(Path(tmp))
    start, end = window
    if end > max(t.end for t in done):
        raise RuntimeError("the statement outlasted the writers: raise --seconds")
    overlapping = [t.latency_ms for t in done if t.start < end and t.end > start]
    return Rep(end - start, overlapping, [t.latency_ms for t in done if t.end <= start or t.start >= end])


def latency_figures(values: list[float]) -> tuple[float, float, float]:
    p99 = statistics.quantiles(values, n=100, method="inclusive")[-1] if len(values) > 1 else values[0]
    return statistics.median(values), p99, max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster with fsync on)")
    parser.add_argument("--expired", type=int, default=300_000)
    parser.add_argument("--live", type=int, default=0, help="reservations within the retention, added once")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=4)
    args = parser.parse_args()

    reps: dict[str, list[Rep]] = {name: [] for name in CONTENDERS}
    with scratch_database(args.db, "bench_sidecar_cleanup") as url:
        if args.live:
            with psycopg.connect(url, autocommit=True) as conn:
                add_reservations(conn, args.live, expired=False)
                heap = conn.execute(f"SELECT pg_size_pretty(pg_relation_size('{SIDECAR}'))").fetchone()[0]
            print(f"{args.live:,} live reservations: {heap} of heap, every page of which each cleanup reads",
                  flush=True)
        for number in range(args.reps):
            for name in (CONTENDERS if number % 2 == 0 else reversed(CONTENDERS)):
                rep = run_rep(url, CONTENDERS[name].format(batch=args.batch), args)
                reps[name].append(rep)
                print(f"rep {number + 1}/{args.reps} {name}: cleanup {rep.cleanup_s:.2f}s, writers during it:"
                      f" {len(rep.during)} tx, max {max(rep.during):.1f} ms (outside: max {max(rep.outside):.1f} ms)",
                      flush=True)

    print(f"\n{args.expired:,} expired reservations beside {args.live:,} live ones, {args.clients} writers"
          f" (record_delivery), batches of {args.batch:,}; medians over {args.reps} reps\n")
    print("| cleanup | duration s | writer tx during | latency during: median / p99 / max ms"
          " | outside: median / p99 / max ms |\n|---|---|---|---|---|")
    for name, runs in reps.items():
        summary = [statistics.median(figures) for figures in zip(*(rep.figures() for rep in runs), strict=True)]
        duration, count, *latencies = summary
        during, outside = latencies[:3], latencies[3:]
        print(f"| {name} | {duration:.2f} | {count:.0f} | {' / '.join(f'{v:.2f}' for v in during)}"
              f" | {' / '.join(f'{v:.2f}' for v in outside)} |")

if __name__ == "__main__":
    main()
