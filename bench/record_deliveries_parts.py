"""Where a record_deliveries batch spends the server's time, beside the writes it cannot avoid.

The same 1,000-row batches as bench/record_delivery.py (its server's-work contenders, encoded before the
clock): the multi-row INSERT of the rows (the issue's baseline), the SPEC's two writes alone (the
reservations, then the rows, with nothing parsed, checked or hashed: the ceiling of any record_deliveries
that keeps the sidecar), and record_deliveries itself, taken apart by the plan of its statement. The
times are the server's, read from auto_explain (log_analyze, nested statements; its per-node timing adds a
little to every contender), so neither network nor commit is in them. Each batch is its own transaction;
the contenders alternate; the figures are medians over --batches batches of each.

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
from record_delivery import BATCH_SIZE, RESERVED_BASE, database, prepare_batch

# record_deliveries' statement, by the CTEs of deploy/record_deliveries.sql.
PARTS = [
    ("parsed", "elements read, fields converted and trimmed, their JSON types checked"),
    ("input", "the rules checked, the keys hashed, the ids drawn"),
    ("reserved", "the keys sorted and reserved in the sidecar"),
    ("stored", "the rows inserted"),
]
CALL = "the argument's JSON parsed, the call, its answer"
ANSWER = "the answer: joined to the reservations, in order"
CONTENDERS = ["multi-row INSERT", RESERVED_BASE, "record_deliveries"]


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
    parser.add_argument("--db", help="server URL (a scratch database is created there); the role must be a superuser "
                        "(LOAD 'auto_explain')")
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()

    plans: list[tuple[float, dict]] = []

    def on_notice(diagnostic: psycopg.errors.Diagnostic) -> None:
        duration, _, plan = (diagnostic.message_primary or "").partition("  plan:\n")
        if plan:
            plans.append((float(duration.split()[1]), json.loads(plan)))

    with database(args.db) as url, psycopg.connect(
            url, autocommit=True, options="-c plan_cache_mode=force_generic_plan") as conn:
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_analyze = on", "log_nested_statements = on",
                        "log_format = json", "log_timing = on"):
            conn.execute(f"SET auto_explain.{setting}")
        conn.execute("SET client_min_messages = log")
        conn.add_notice_handler(on_notice)
        rng = random.Random(7)
        tenant = str(uuid.UUID(int=7))
        for name in CONTENDERS:  # warm up: plans prepared, caches loaded
            prepare_batch(name, tenant, rng)(conn)
        server_ms: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        taken_apart: list[dict[str, float]] = []
        for _ in range(args.batches):
            for name in CONTENDERS:
                call: Callable[[psycopg.Connection], None] = prepare_batch(name, tenant, rng)
                plans.clear()
                call(conn)
                total_ms = plans[-1][0]  # the top-level statement ends last
                server_ms[name].append(total_ms)
                if name == "record_deliveries":
                    statement_ms, statement = next(entry for entry in plans if "CTE parsed" in json.dumps(entry[1]))
                    taken_apart.append(parts_ms(total_ms, statement_ms, statement))

    print(f"Server time per {BATCH_SIZE:,}-row batch, median of {args.batches} batches each (auto_explain)")
    floor = statistics.median(server_ms["multi-row INSERT"])
    for name in CONTENDERS:
        median = statistics.median(server_ms[name])
        print(f"  {name:<58} {median:7.2f} ms  {floor / median:.3f}x of the multi-row INSERT")
    print("  record_deliveries taken apart:")
    labels = {CALL: CALL, **{name: f"{name}: {what}" for name, what in PARTS}, ANSWER: ANSWER}
    for part, label in labels.items():
        print(f"    {label:<70} {statistics.median(row[part] for row in taken_apart):7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
