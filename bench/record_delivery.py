"""Benchmark of the delivery recorders against their baselines, measured in the same run.

Single rows (pgbench, scripts in bench/pgbench/): record_delivery vs a plain single-row INSERT of the same
row (no idempotency: the floor) and vs a client-side transaction doing the two inserts in separate
statements (what the original did); and, without targets, record_delivery taken apart
(bench/plpgsql_wrapper_function.sql): the plain INSERT inside a PL/pgSQL function with record_delivery's
calling convention (the price of the call, the floor any PL/pgSQL recorder starts from), and that function
reserving the key first (call plus reservation, without record_delivery's trimming, checks and key
hashing). Batches of 1,000 rows (psycopg): record_deliveries vs one plain multi-row INSERT of the same
rows and vs COPY of the same rows, twice: the server's work alone (each batch encoded before the clock:
JSON text, the INSERT's 15,000 parameters in text format, COPY's text), and end to end (each contender's
client-side encoding timed with it, psycopg's conversion of the INSERT's parameters included); and, without a
target, the SPEC's two writes alone (the reservations and the rows from the INSERT's parameters, nothing
parsed, checked or hashed: the ceiling of any record_deliveries that keeps the sidecar; taken further apart by
bench/record_deliveries_parts.py). Then the batch contenders but COPY (pgbench sends no COPY data) as the issue
measures every target: by pgbench, in its default (simple) query mode, each batch one statement of literals.

Contenders are interleaved as finely as possible, so that they share whatever the machine does meanwhile:
each pgbench round is one run of the issue's three single-row contenders, picked at random per transaction
(pgbench -f a@1 -f b@1 ...), then one run of the taken-apart scripts with the plain INSERT and
record_delivery; each client of a batch round writes the contenders' batches in turn, and one pgbench run
mixes the batch statements. A round's ratio compares the contenders' mean latencies in that round's run (for
one client, throughput = 1 / latency); the figures are medians over the rounds, for 1 and 2 clients. Default
PostgreSQL settings with fsync on: an embedded cluster started with fsync=True unless --db names one. Usage:

    python3 bench/record_delivery.py [--db URL] [--rounds 5] [--seconds 5] [--batches 10] [--clients 1,2]
                                     [--no-fsync]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import statistics
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from pgbench_runner import Contender, run_mixed
from psycopg import sql
from scratch_database import scratch_database

HERE = Path(__file__).resolve().parent
PGBENCH_SCRIPTS = {
    "plain INSERT": HERE / "pgbench/plain_insert.sql",
    "record_delivery": HERE / "pgbench/record_delivery.sql",
    "2-statement transaction": HERE / "pgbench/two_statements.sql",
    "PL/pgSQL wrapper": HERE / "pgbench/plpgsql_wrapper.sql",
    "PL/pgSQL wrapper + reservation": HERE / "pgbench/plpgsql_reservation.sql",
}
# Judged against the targets: its three contenders, alone in their pgbench run.
CONTENDERS = ["plain INSERT", "record_delivery", "2-statement transaction"]
# record_delivery taken apart (no targets), in a pgbench run of their own: the bench-only wrappers share
# record_delivery's PL/pgSQL and SECURITY DEFINER path, so beside it they would keep its code warm and lift
# its ratio to the plain INSERT by 1 to 3 points (docs/benchmarks.md, sessions 6 and 8).
BREAKDOWN = ["plain INSERT", "PL/pgSQL wrapper", "PL/pgSQL wrapper + reservation", "record_delivery"]
BREAKDOWN_RUN = " (breakdown run)"
BATCH_SIZE = 1000
BENCH_DB = "bench_record_delivery"
# A batch row's columns and their types (the reservation's INSERT ... SELECT needs the types stated).
COLUMN_TYPES = {"tenant": "uuid", "delivery_id": "uuid", "internal_notification_id": "uuid", "category": "text",
                "destination_type": "text", "destination_id": "text", "attempt_number": "integer",
                "idempotency_key": "text", "status": "text", "error_code": "text", "error_message": "text",
                "retryable": "boolean", "provider_request_id": "text", "sent_at": "timestamptz",
                "created_at": "timestamptz"}
COLUMNS = tuple(COLUMN_TYPES)


# ---------------------------------------------------------------------------------------------- set-up

@contextmanager
def database(url: str | None, *, fsync: bool = True, name: str = BENCH_DB) -> Iterator[str]:
    """A fresh database ``name`` with the whole plan and the breakdown's wrapper functions, on the server
    ``url`` names or, with none, on an embedded cluster started with ``fsync``."""
    with scratch_database(url, name, fsync=fsync) as bench_url:
        with psycopg.connect(bench_url, autocommit=True) as conn:
            conn.execute((HERE / "plpgsql_wrapper_function.sql").read_text())
        yield bench_url


def rotations(names: list[str], rounds: int) -> Iterator[list[str]]:
    """Each round runs every contender once; the starting contender rotates so none always goes first."""
    for number in range(rounds):
        shift = number % len(names)
        yield names[shift:] + names[:shift]


# ------------------------------------------------------------------------------------------ single rows

def single_rows(url: str, clients: int, rounds: int, seconds: int) -> list[dict[str, float]]:
    """Per round: each contender's throughput (transactions/s) in one pgbench run mixing them, then each
    breakdown script's (named with BREAKDOWN_RUN) in one run mixing those."""
    def scripts(names: list[str]) -> list[Contender]:
        return [Contender(name, PGBENCH_SCRIPTS[name].read_text()) for name in names]

    return [run_mixed(url, scripts(CONTENDERS), clients, seconds)
            | {name + BREAKDOWN_RUN: tps for name, tps in run_mixed(url, scripts(BREAKDOWN), clients, seconds).items()}
            for _ in range(rounds)]


# ---------------------------------------------------------------------------------------------- batches

def outcome(tenant: str, rng: random.Random) -> dict:
    """One realistic delivery outcome, as record_deliveries takes it."""
    status = rng.choices(["delivered", "failed", "skipped", "sent"], weights=[80, 10, 8, 2])[0]
    error_code = {"failed": rng.choice(["graph_throttled", "graph_server_error", "transient"]),
                  "skipped": rng.choice(["user_not_mapped", "addon_inactive", "unknown"])}.get(status)
    return {
        "destination_type": rng.choice(["user_activity", "user_activity", "bot_dm"]),
        "destination_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "status": status,
        "internal_notification_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "category": rng.choice(["assignment", "customer_reply", "approval_request", "escalation", "sla_risk"]),
        "attempt_number": 1,
        "error_code": error_code,
        "error_message": f"Teams activity notification delivery failed ({status})" if error_code else None,
        "retryable": status == "failed",
        "provider_request_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "sent_at": datetime.now(UTC).isoformat(),
    }


def key_of(tenant: str, row: dict) -> str:
    """SPEC §4 key, computed client-side for the baselines (which store it without checking it)."""
    text = "|".join([row["internal_notification_id"], tenant, row["destination_type"], row["destination_id"],
                     str(row["attempt_number"])])
    return hashlib.sha256(text.encode()).hexdigest()


def time_ordered_uuid() -> str:
    """A delivery_id as teams_obs.time_ordered_uuid() draws it: version 7, Unix milliseconds first."""
    value = (time.time_ns() // 1_000_000) << 80 | random.getrandbits(80)
    return str(uuid.UUID(int=value & ~(0xF << 76 | 0x3 << 62) | 0x7 << 76 | 0x2 << 62))


def table_row(tenant: str, row: dict) -> tuple:
    return (tenant, time_ordered_uuid(), row["internal_notification_id"], row["category"], row["destination_type"],
            row["destination_id"], row["attempt_number"], key_of(tenant, row), row["status"], row["error_code"],
            row["error_message"], row["retryable"], row["provider_request_id"], row["sent_at"],
            datetime.now(UTC).isoformat())


def text_value(value: object) -> str:
    """A value in PostgreSQL's text format, as COPY and text-format parameters take it."""
    return "t" if value is True else "f" if value is False else str(value)


def copy_text(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if value is None else text_value(value) for value in row))
        out.write("\n")
    return out.getvalue().encode()


def values_list(rows: Iterable[Iterable[str]]) -> str:
    """A VALUES list of the rows, each given as the SQL text of its values."""
    return "VALUES " + ", ".join("(" + ", ".join(row) + ")" for row in rows)


def batch_values_sql(placeholder: Callable[[int], str]) -> str:
    """A batch's rows as a VALUES list, parameter n (from 0) written as ``placeholder(n)``."""
    return values_list((placeholder(row * len(COLUMNS) + column) for column in range(len(COLUMNS)))
                       for row in range(BATCH_SIZE))


def insert_rows(columns: Iterable[str]) -> str:
    return f"INSERT INTO teams_obs.notification_deliveries ({', '.join(columns)}) "


def reservations_and_rows(batch: str, columns: list[str]) -> str:
    """The SPEC's two writes and nothing else, from ``batch``, a query of ``columns``: the rows' reservations,
    then the rows, in one statement, with no parsing, trimming, checks or hashing (the keys come computed).
    The ceiling of any record_deliveries that keeps the sidecar."""
    return (f"WITH batch ({', '.join(columns)}) AS MATERIALIZED ({batch}), "
            "reserved AS (INSERT INTO teams_obs.notification_delivery_idempotency"
            " (tenant, idempotency_key, delivery_id, created_at)"
            " SELECT tenant, idempotency_key, delivery_id, created_at FROM batch ON CONFLICT DO NOTHING) "
            + insert_rows(columns) + "SELECT * FROM batch")


INSERT_ROWS = insert_rows(COLUMNS)
MULTI_ROW_INSERT = INSERT_ROWS + batch_values_sql(lambda n: f"${n + 1}")
MULTI_ROW_INSERT_PSYCOPG = INSERT_ROWS + batch_values_sql(lambda _n: "%s")
# From the multi-row INSERT's own 15,000 parameters.
RESERVED_MULTI_ROW_INSERT = reservations_and_rows(
    batch_values_sql(lambda n: f"${n + 1}::{COLUMN_TYPES[COLUMNS[n % len(COLUMNS)]]}"), list(COLUMNS))
_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection, set[str]] = weakref.WeakKeyDictionary()
COPY = f"COPY teams_obs.notification_deliveries ({', '.join(COLUMNS)}) FROM STDIN"


def prepared_insert(statement: str, params: list[bytes | None]) -> Callable[[psycopg.Connection], None]:
    """A prepared 15,000-parameter statement, its parameters already in text format: psycopg's conversion
    of 15,000 Python values (20-35 ms a batch, more than the server's whole INSERT) stays out of the clock,
    as the JSON text of record_deliveries and the text of COPY do."""
    name = hashlib.sha256(statement.encode()).hexdigest()[:16].encode()

    def insert(conn: psycopg.Connection) -> None:
        prepared = _PREPARED.setdefault(conn, set())
        if statement not in prepared:  # the warm-up's call prepares it, before the clock
            result = conn.pgconn.prepare(name, statement.encode())
            if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
                raise RuntimeError(result.get_error_message())
            prepared.add(statement)
        result = conn.pgconn.exec_prepared(name, params)
        if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
            raise RuntimeError(result.get_error_message())
    return insert


RECORD_DELIVERIES = "SELECT count(*) FROM teams_obs.record_deliveries(%s, %s::jsonb)"
# A contender whose client-side encoding of the batch is timed with it: JSON text for record_deliveries,
# psycopg's conversion of 15,000 parameters for the multi-row INSERT, the text of COPY.
CLIENT_ENCODING = " + client encoding"


def copy_call(data: bytes) -> Callable[[psycopg.Connection], None]:
    def copy(conn: psycopg.Connection) -> None:
        with conn.cursor() as cur, cur.copy(COPY) as stream:
            stream.write(data)
    return copy


RESERVATIONS_AND_INSERT = "reservation + multi-row INSERT"
# The contenders that are one prepared statement of 15,000 text parameters.
PREPARED_INSERTS = {"multi-row INSERT": MULTI_ROW_INSERT, RESERVATIONS_AND_INSERT: RESERVED_MULTI_ROW_INSERT}


def prepare_batch(contender: str, tenant: str, rng: random.Random) -> Callable[[psycopg.Connection], None]:
    """The batch, made ready before the clock starts, and the call that writes it: the server's work alone,
    every contender's batch encoded beforehand; with CLIENT_ENCODING, the encoding is in the call too."""
    rows = [outcome(tenant, rng) for _ in range(BATCH_SIZE)]
    table_rows = [table_row(tenant, row) for row in rows]
    if contender in PREPARED_INSERTS:
        return prepared_insert(PREPARED_INSERTS[contender], [None if value is None else text_value(value).encode()
                                                            for row in table_rows for value in row])
    match contender:
        case "record_deliveries":
            payload = json.dumps(rows)
            return lambda conn: conn.execute(RECORD_DELIVERIES, (tenant, payload), prepare=True).fetchone()
        case "record_deliveries + client encoding":
            return lambda conn: conn.execute(RECORD_DELIVERIES, (tenant, json.dumps(rows)), prepare=True).fetchone()
        case "multi-row INSERT + client encoding":
            params = [value for row in table_rows for value in row]
            return lambda conn: conn.execute(MULTI_ROW_INSERT_PSYCOPG, params, prepare=True)
        case "COPY":
            return copy_call(copy_text(table_rows))
        case "COPY + client encoding":
            return lambda conn: copy_call(copy_text(table_rows))(conn)
    raise ValueError(contender)


BATCH_BASES = ["multi-row INSERT", "COPY", "record_deliveries"]
BATCH_CONTENDERS = [*BATCH_BASES, RESERVATIONS_AND_INSERT, *(name + CLIENT_ENCODING for name in BATCH_BASES)]


def batch_round(url: str, clients: int, count: int, seed: int) -> dict[str, float]:
    """Each client writes `count` batches of every contender, in turn (one transaction each).

    Returns each contender's rows per second at its median batch latency in this round.
    """
    # Generic plans: the baselines' 1,000-row statements are then planned once, not per batch.
    connections = [psycopg.connect(url, autocommit=True, options="-c plan_cache_mode=force_generic_plan")
                   for _ in range(clients)]
    try:
        work = []
        for client, conn in enumerate(connections):
            rng = random.Random(seed * 100 + client)
            tenant = str(uuid.UUID(int=seed * 100 + client + 1))
            for name in BATCH_CONTENDERS:  # warm up: plans prepared, caches loaded
                prepare_batch(name, tenant, rng)(conn)
            work.append([(name, prepare_batch(name, tenant, rng))
                         for order in rotations(BATCH_CONTENDERS, count) for name in order])
        durations: dict[str, list[float]] = {name: [] for name in BATCH_CONTENDERS}
        lock = threading.Lock()
        start = threading.Barrier(clients)

        def client(conn: psycopg.Connection, calls: list[tuple[str, Callable[[psycopg.Connection], None]]]) -> None:
            start.wait()
            for name, call in calls:
                began = time.perf_counter()
                call(conn)
                with lock:
                    durations[name].append(time.perf_counter() - began)

        threads = [threading.Thread(target=client, args=(conn, calls))
                   for conn, calls in zip(connections, work, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {name: clients * BATCH_SIZE / statistics.median(values) for name, values in durations.items()}
    finally:
        for conn in connections:
            conn.close()


def batches(url: str, clients: int, rounds: int, count: int) -> list[dict[str, float]]:
    return [batch_round(url, clients, count, seed=number * 1000 + clients) for number in range(rounds)]


# ------------------------------------------------------------------------------------ batches, by pgbench

# The issue's own method, applied to batches too: one pgbench run mixing the contenders, in pgbench's default
# (simple) query mode, so each batch's SQL text is sent and parsed per call, as by an application that
# prepares nothing. A transaction writes for a tenant of its own, which makes the same 1,000 rows new keys each
# time: pgbench draws it and writes it into the text in place (placeholder and value are equally long, so the
# 400 kB text is not moved once per row). Every contender lets the server draw delivery_id and created_at.
PGBENCH = " (pgbench)"
PGBENCH_BATCH_CONTENDERS = [name + PGBENCH for name in ("multi-row INSERT", RESERVATIONS_AND_INSERT,
                                                       "record_deliveries")]
PGBENCH_TENANT = "'00000000-0000-4000-8000-:batchtenant'"
# The tenant the keys stored by the plain INSERTs are computed for: any one, as nothing checks them.
EXAMPLE_TENANT = "00000000-0000-4000-8000-000000000001"
DRAW_PGBENCH_TENANT = "\\set batchtenant random(100000000000, 999999999999)\n"
SERVER_DRAWN = ("delivery_id", "created_at")
SENT_COLUMNS = [column for column in COLUMNS if column not in SERVER_DRAWN]


def literal_values(rows: list[dict], typed: bool) -> str:
    """The rows as a VALUES list of literals (the first row's cast to the column types when ``typed``: a
    VALUES list outside an INSERT takes its column types from them)."""
    def literal(column: str, value: object, first: bool) -> str:
        text = PGBENCH_TENANT if column == "tenant" else sql.Literal(value).as_string(None)
        return f"{text}::{COLUMN_TYPES[column]}" if typed and first else text

    return values_list((literal(column, value, number == 0)
                        for column, value in zip(COLUMNS, table_row(EXAMPLE_TENANT, row), strict=True)
                        if column in SENT_COLUMNS)
                       for number, row in enumerate(rows))


def pgbench_batch_contenders(rng: random.Random) -> list[Contender]:
    rows = [outcome(EXAMPLE_TENANT, rng) for _ in range(BATCH_SIZE)]
    insert = insert_rows(SENT_COLUMNS) + literal_values(rows, typed=False) + ";\n"
    reservation_and_insert = reservations_and_rows(
        f"SELECT v.*, teams_obs.time_ordered_uuid(), now() FROM ({literal_values(rows, typed=True)}) AS v",
        SENT_COLUMNS + list(SERVER_DRAWN)) + ";\n"
    record = (f"SELECT count(*) FROM teams_obs.record_deliveries({PGBENCH_TENANT}, "
              f"{sql.Literal(json.dumps(rows)).as_string(None)});\n")
    return [Contender(name, DRAW_PGBENCH_TENANT + script)
            for name, script in zip(PGBENCH_BATCH_CONTENDERS, (insert, reservation_and_insert, record), strict=True)]


def pgbench_batches(url: str, clients: int, rounds: int, seconds: int) -> list[dict[str, float]]:
    """Per round: each contender's rows per second at its mean latency in one pgbench run mixing them."""
    contenders = pgbench_batch_contenders(random.Random(clients))
    return [{name: BATCH_SIZE * tps for name, tps in run_mixed(url, contenders, clients, seconds, "simple").items()}
            for _ in range(rounds)]


# ----------------------------------------------------------------------------------------------- report

BATCH_TARGETS = [("multi-row INSERT", 0.75), ("COPY", 0.3)]
RATIOS = [
    # (measured, baseline, target, unit)
    ("record_delivery", "plain INSERT", 0.8, "tps"),
    ("record_delivery", "2-statement transaction", 1.2, "tps"),
    # No target: the machine's balance of per-statement work against per-transaction cost (round trips,
    # the commit's WAL flush). The slower the commit, the nearer 1 every single-row ratio above comes, so
    # this line is what to compare before comparing record_delivery's ratios across machines.
    ("plain INSERT", "2-statement transaction", None, "tps"),
    # The batch targets: on the server's work alone, end to end (client encoding included), and by
    # pgbench (against the multi-row INSERT only: pgbench sends no COPY data).
    *(("record_deliveries" + variant, baseline + variant, target, "rows/s")
      for variant, baselines in [("", BATCH_TARGETS), (CLIENT_ENCODING, BATCH_TARGETS), (PGBENCH, BATCH_TARGETS[:1])]
      for baseline, target in baselines),
    # No target: what the SPEC's two writes cost alone (the ceiling of record_deliveries on the server's
    # work), and what record_deliveries adds to them (parsing, trimming, checks, keys, the answer).
    *(ratio for variant in ("", PGBENCH) for ratio in [
        (RESERVATIONS_AND_INSERT + variant, "multi-row INSERT" + variant, None, "rows/s"),
        ("record_deliveries" + variant, RESERVATIONS_AND_INSERT + variant, None, "rows/s")]),
    # No target: what record_delivery's parts cost on this machine (the breakdown run). The call alone, then
    # the reservation added, then record_delivery's trimming, checks and key hashing added; and the whole.
    *((measured + BREAKDOWN_RUN, baseline + BREAKDOWN_RUN, None, "tps") for measured, baseline in [
        ("PL/pgSQL wrapper", "plain INSERT"),
        ("PL/pgSQL wrapper + reservation", "PL/pgSQL wrapper"),
        ("record_delivery", "PL/pgSQL wrapper + reservation"),
        ("record_delivery", "plain INSERT"),
    ]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help=f"server URL (a database named {BENCH_DB} is created there)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="length of one pgbench run")
    parser.add_argument("--batches", type=int, default=10, help="1,000-row batches per client per round")
    parser.add_argument("--clients", default="1,2")
    parser.add_argument("--no-fsync", action="store_true",
                        help="embedded cluster without fsync: shows the CPU cost alone (not the target setting)")
    args = parser.parse_args()

    failed = False
    with database(args.db, fsync=not args.no_fsync) as url:
        for clients in (int(c) for c in args.clients.split(",")):
            per_round = [single | batch | by_pgbench for single, batch, by_pgbench in zip(
                single_rows(url, clients, args.rounds, args.seconds),
                batches(url, clients, args.rounds, args.batches),
                pgbench_batches(url, clients, args.rounds, args.seconds), strict=True)]
            print(f"\n{clients} client(s), median of {args.rounds} rounds")
            for name in per_round[0]:
                unit = "rows/s" if name in BATCH_CONTENDERS + PGBENCH_BATCH_CONTENDERS else "tps"
                print(f"  {name:<46} {statistics.median(r[name] for r in per_round):>12,.0f} {unit}")
            for measured, baseline, target, unit in RATIOS:
                ratios = [r[measured] / r[baseline] for r in per_round]
                ratio = statistics.median(ratios)
                if target is None:
                    verdict = "(no target)"
                else:
                    verdict = f"(target >= {target}x) " + ("ok" if ratio >= target else "BELOW TARGET")
                    failed |= ratio < target
                label = f"{measured} / {baseline} ({unit})"
                if measured.endswith(BREAKDOWN_RUN):
                    names = (name.removesuffix(BREAKDOWN_RUN) for name in (measured, baseline))
                    label = "{} / {} ({}, breakdown run)".format(*names, unit)
                # Three decimals: at two, a ratio just under its target would print as the target itself.
                print(f"  {label}: {ratio:.3f}x  {verdict}; rounds {min(ratios):.3f}-{max(ratios):.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
