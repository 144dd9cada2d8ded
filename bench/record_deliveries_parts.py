"""Where a record_deliveries batch spends the server's time, beside the writes it cannot avoid.

The same 1,000-row batches as bench/record_delivery.py (its server's-work contenders, encoded before the
clock): the multi-row INSERT of the rows (the issue's baseline), the SPEC's two writes alone (the
reservations, then the rows, with nothing parsed, checked or hashed: the ceiling of any record_deliveries
that keeps the sidecar), and record_deliveries itself. The times are auto_explain's, from the start of a
statement's executor to its end: the arguments' conversion at bind (record_deliveries' JSON text to jsonb,
the INSERTs' 15,000 text parameters), the network and the commit are in none of them, so the ratios printed
here are not the issue's (bench/record_delivery.py measures those); the conversion of record_deliveries'
argument is timed on its own. Each round runs every contender once,
in rotating order, each batch its own transaction, timed without instrumentation; then one more
record_deliveries batch runs instrumented (log_analyze, nested statements) to take it apart by the plan of
its statement: the parts are that batch's shares, in ms of its own, slower, run. Medians over --batches.

    python3 bench/record_deliveries_parts.py [--db URL] [--batches 30]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import uuid
from collections.abc import Callable

import psycopg
from record_delivery import BATCH_SIZE, RESERVATIONS_AND_INSERT, database, outcome, prepare_batch, rotations

BENCH_DB = "bench_record_deliveries_parts"
# record_deliveries' statement, by the CTEs of deploy/record_deliveries.sql.
PARTS = [
    ("parsed", "elements read, fields converted and trimmed, their JSON types checked"),
    ("input", "the rules checked, the keys hashed, the ids drawn"),
    ("reserved", "the keys sorted and reserved in the sidecar"),
    ("stored", "the rows inserted"),
]
CALL = "the call around its statement (set-up, the lock, its answer returned)"
ANSWER = "the answer: joined to the reservations, in order"
CONTENDERS = ["multi-row INSERT", RESERVATIONS_AND_INSERT, "record_deliveries"]
# What record_deliveries' figure leaves out: its argument's conversion to jsonb, done at bind.
JSONB_CONVERSION = "a batch's JSON text converted to jsonb"
TIMED_ALONE = {"log_analyze": "off", "log_nested_statements": "off"}
TAKEN_APART = {"log_analyze": "on", "log_nested_statements": "on"}


def jsonb_conversion(tenant: str, rng: random.Random) -> Callable[[psycopg.Connection], None]:
    """The conversion record_deliveries' argument gets at bind, run in the executor, where it is timed."""
    payload = json.dumps([outcome(tenant, rng) for _ in range(BATCH_SIZE)])

    def convert(conn: psycopg.Connection) -> None:
        conn.execute("SELECT pg_catalog.pg_column_size(%s::text::jsonb)", (payload,), prepare=True)
    return convert


def ctes(plan: dict) -> dict[str, dict]:
    """The nodes of a plan that compute its CTEs, by CTE name."""
    found = {}
    stack = [plan]
    while stack:
        node = stack.pop()
        if node.get("Subplan Name", "").startswith("CTE "):
            found[node["Subplan Name"].removeprefix("CTE ")] = node
        stack.extend(node.get("Plans", []))
    return found


def parts_ms(total_ms: float, statement_ms: float, statement: dict) -> dict[str, float]:
    """record_deliveries' top-level duration, and its statement's duration and plan, as parts (ms)."""
    nodes = ctes(statement["Plan"])
    # A CTE is computed where it is first read, inside its reader's node: parsed inside input, input inside
    # reserved (the answer's join reads reserved first); stored runs after the answer, on its own.
    computed = {name: nodes[name]["Actual Total Time"] for name, _ in PARTS}
    parts = {CALL: total_ms - statement_ms, "parsed": computed["parsed"],
             "input": computed["input"] - computed["parsed"], "reserved": computed["reserved"] - computed["input"],
             "stored": computed["stored"]}
    parts[ANSWER] = statement_ms - computed["reserved"] - computed["stored"]
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help=f"server URL (a database named {BENCH_DB} is created there); the role must be a "
                        "superuser (LOAD 'auto_explain')")
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()

    plans: list[tuple[float, dict]] = []

    def on_notice(diagnostic: psycopg.errors.Diagnostic) -> None:
        duration, _, plan = (diagnostic.message_primary or "").partition("  plan:\n")
        if plan:
            plans.append((float(duration.split()[1]), json.loads(plan)))

    def run(conn: psycopg.Connection, name: str, settings: dict[str, str]) -> None:
        for setting, value in settings.items():
            conn.execute(f"SET auto_explain.{setting} = {value}")
        call = jsonb_conversion(tenant, rng) if name == JSONB_CONVERSION else prepare_batch(name, tenant, rng)
        plans.clear()
        call(conn)

    with database(args.db, name=BENCH_DB) as url, psycopg.connect(
            url, autocommit=True, options="-c plan_cache_mode=force_generic_plan") as conn:
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_format = json", "log_timing = on"):
            conn.execute(f"SET auto_explain.{setting}")
        conn.execute("SET client_min_messages = log")
        conn.add_notice_handler(on_notice)
        rng = random.Random(7)
        tenant = str(uuid.UUID(int=7))
        timed = [*CONTENDERS, JSONB_CONVERSION]
        for name in timed:  # warm up: plans prepared, caches loaded
            run(conn, name, TIMED_ALONE)
        server_ms: dict[str, list[float]] = {name: [] for name in timed}
        taken_apart: list[dict[str, float]] = []
        for order in rotations(timed, args.batches):
            for name in order:
                run(conn, name, TIMED_ALONE)
                server_ms[name].append(plans[-1][0])
            run(conn, "record_deliveries", TAKEN_APART)
            statement_ms, statement = next(entry for entry in plans if "CTE parsed" in json.dumps(entry[1]))
            taken_apart.append(parts_ms(plans[-1][0], statement_ms, statement))  # the top level ends last

    print(f"Server time per {BATCH_SIZE:,}-row batch, executor start to end, median of {args.batches} batches each")
    floor = statistics.median(server_ms["multi-row INSERT"])
    for name in CONTENDERS:
        median = statistics.median(server_ms[name])
        print(f"  {name:<50} {median:7.2f} ms  {floor / median:.3f}x of the multi-row INSERT")
    print(f"  {JSONB_CONVERSION + ' (at bind)':<50} {statistics.median(server_ms[JSONB_CONVERSION]):7.2f} ms  outside "
          "record_deliveries' figure")
    print("  record_deliveries taken apart (an instrumented run, slower):")
    labels = {CALL: CALL, **{name: f"{name}: {what}" for name, what in PARTS}, ANSWER: ANSWER}
    for part, label in labels.items():
        print(f"    {label:<76} {statistics.median(row[part] for row in taken_apart):7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
