"""Benchmark: record_audit_event with a realistic 1 KB payload, hashed in the database, against a plain
INSERT of the same row into audit_events with the hash computed on the client (no validation, no
hashing, no normalisation in the database). Target (issue 4): at least 0.6x of that client, which pays
for its hashing on every event (the end-to-end ratio below); the ratio to the INSERT alone, with a hash
computed once before the runs, is reported too: the database's share of the work.

pgbench with prepared statements, the payload and the hash sent as parameters on every call as an
application would; fsync on (a real commit per call); 1 and 2 clients; each round is one pgbench run
mixing the contenders (one picked at random per transaction, as for record_delivery, after a
CHECKPOINT) and the report gives medians and the ratio to the INSERT measured in the same run. Then the
server time of each statement inside one transaction (no commit, no network: the CPU each costs, which
the commit's fsync otherwise hides), --calls calls per contender and round, alternating.

The pgbench baseline sends a hash computed once, before the runs: the database's share of the work alone.
A client that hashes before it inserts (as the original recorders did) also spends its hashing time on
every event, so the report then gives the ratio to that client as well: per round, the INSERT's latency
per client plus the time to hash the payload in Python (rfc8785.dumps of the payload object, which the
client holds already, and hashlib.sha256: the cheapest client-side way, measured in this run).

    python3 bench/record_audit_event.py [--db URL] [--rounds 5] [--seconds 10] [--calls 200]

Without --db, an embedded cluster with fsync on (default settings otherwise) is started and dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import timeit

import psycopg
import rfc8785
from pgbench_runner import Contender, Results, mix
from psycopg import sql
from scratch_database import scratch_database, server_times_ms

from teams_obs.jcs import payload_hash

# What the original hashed for a note added from a message extension: {input, target}, about 1 KB.
PAYLOAD = {
    "input": {
        "ticketId": "3f0c2a9e-7b1d-4c6a-9e2f-58d1b7a4c301",
        "ticketNumber": "TK-104233",
        "note": ("Customer called back about the VPN outage at the Lyon office: the tunnel drops every "
                 "twenty minutes since the firmware update on the edge router. Rolled back to 7.2.4 "
                 "as a test; monitoring until tomorrow 09:00. Contact: Amélie Rousseau (IT lead), "
                 "prefers Teams over e-mail. Related tickets TK-104101 and TK-104187 closed as duplicates."),
        "isInternal": True,
        "notifyContact": False,
        "timeSpentMinutes": 25,
        "billable": True,
        "workType": "remote_support",
        "attachments": [
            {"name": "router-log-2026-11-28.txt", "size": 48213, "contentType": "text/plain"},
            {"name": "screenshot.png", "size": 231877, "contentType": "image/png"},
        ],
        "mentions": ["9b7e1d2c-0a4f-4e8b-b1c3-7d6e5f4a3b21"],
        "source": {"messageId": "1732787423117", "conversationId": "19:meeting_NzQ1ZTI4@thread.v2"},
    },
    "target": {"entityType": "ticket", "ticketId": "3f0c2a9e-7b1d-4c6a-9e2f-58d1b7a4c301"},
}
PAYLOAD_TEXT = json.dumps(PAYLOAD, ensure_ascii=False)
HASH = payload_hash(PAYLOAD_TEXT)  # computed on the client, for the contenders that take a hash

# Both contenders write the same columns with the same values; only the hash's origin differs.
TENANT = "('00000000-0000-4000-8000-' || lpad(:t::text, 12, '0'))::uuid"
ROW_VARIABLES = {"actor": "7c1e4b9a-2d3f-4a5b-8c6d-9e0f1a2b3c4d", "aad": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
                 "target": PAYLOAD["target"]["ticketId"], "key": "b0c7e0de-5a1f-4c2e-9d3b-1f2e3d4c5b6a"}

RECORD = Contender("record_audit_event", f"""\\set t random(1, 100)
SELECT * FROM teams_obs.record_audit_event(
    p_tenant => {TENANT}, p_surface => 'message_extension', p_action_id => 'add_note',
    p_result_status => 'success', p_actor_user_id => :actor::uuid, p_microsoft_user_id => :aad,
    p_target_type => 'ticket', p_target_id => :target, p_idempotency_key => :key, p_payload => :payload::json);
""", {**ROW_VARIABLES, "payload": PAYLOAD_TEXT})

# The same call with the hash computed on the client: what the function costs besides hashing.
RECORD_HASHED = Contender("record_audit_event, client-side hash", RECORD.script.replace(
    "p_payload => :payload::json", "p_payload_hash => :hash"), {**ROW_VARIABLES, "hash": HASH})

INSERT = Contender("plain INSERT, client-side hash", f"""\\set t random(1, 100)
INSERT INTO teams_obs.audit_events (tenant, actor_user_id, microsoft_user_id, surface, action_id, target_type,
                                    target_id, idempotency_key, payload_hash, result_status)
VALUES ({TENANT}, :actor::uuid, :aad, 'message_extension', 'add_note', 'ticket', :target, :key, :hash, 'success')
RETURNING event_id, payload_hash, created_at;
""", {**ROW_VARIABLES, "hash": HASH})

CONTENDERS = [RECORD, RECORD_HASHED, INSERT]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster with fsync on)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print(f"payload: {len(PAYLOAD_TEXT.encode())} bytes of JSON", flush=True)
    with scratch_database(args.db, "bench_record_audit_event") as url, psycopg.connect(url, autocommit=True) as conn:
        stored = conn.execute("SELECT payload_hash FROM teams_obs.record_audit_event("
                              "gen_random_uuid(), 'bot', 'add_note', 'success', p_payload => %s::json)",
                              (PAYLOAD_TEXT,)).fetchone()[0]
        if stored != HASH:
            raise SystemExit("the database and the client disagree on the payload hash")

        def checkpoint() -> None:
            conn.execute("CHECKPOINT")

        results = mix(url, CONTENDERS, (1, 2), args.rounds, args.seconds, before_each=checkpoint)
        times = server_times(conn, args.rounds, args.calls)
    hash_seconds = client_hash_seconds()
    print()
    print(results.markdown(INSERT.name, (1, 2)))
    print(f"\nWith the client's hashing ({hash_seconds * 1e6:.1f} us per payload) added to each INSERT:\n")
    print(end_to_end_markdown(results, hash_seconds, (1, 2)))
    print(f"\nServer time per call inside one transaction, {args.calls} calls x {args.rounds} alternating rounds:\n")
    print("| contender | median ms | ratio to plain INSERT |\n|---|---|---|")
    base = statistics.median(times[INSERT.name])
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.3f} | {statistics.median(values) / base:.2f}x |")


def client_hash_seconds(repeat: int = 7, number: int = 2000) -> float:
    """Median time a client takes to hash the payload it holds: RFC 8785 form, then SHA-256."""
    runs = timeit.repeat(lambda: hashlib.sha256(rfc8785.dumps(PAYLOAD)).hexdigest(), repeat=repeat, number=number)
    return statistics.median(runs) / number


def end_to_end_markdown(results: Results, hash_seconds: float, client_counts: tuple[int, ...]) -> str:
    """record_audit_event against a client that hashes and then INSERTs: in each round, the INSERT's latency
    per client (clients / tps) plus the hashing time gives that client's rate."""
    lines = ["| clients | INSERT + client-side hashing, median tps | record_audit_event / it, median per-round ratio |"
             " rounds |", "|---|---|---|---|"]
    for clients in client_counts:
        baseline = [clients / (clients / tps + hash_seconds) for tps in results.tps[INSERT.name, clients]]
        ratios = [tps / base for tps, base in zip(results.tps[RECORD.name, clients], baseline, strict=True)]
        lines.append(f"| {clients} | {statistics.median(baseline):.0f} | {statistics.median(ratios):.2f}x | "
                     f"{', '.join(f'{r:.2f}' for r in ratios)} |")
    return "\n".join(lines)


def inline(contender: Contender) -> str:
    """The contender's statement with its variables as literals (the server-time loop runs plain SQL)."""
    statement = contender.script.split("\n", 1)[1].rstrip().rstrip(";")
    statement = statement.replace(":t::text", "'1'")
    for name, value in sorted(contender.variables.items(), key=lambda item: -len(item[0])):
        statement = statement.replace(f":{name}", sql.Literal(value).as_string(None))
    return statement


def server_times(conn: psycopg.Connection, rounds: int, calls: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {contender.name: [] for contender in CONTENDERS}
    for number in range(rounds):
        for contender in CONTENDERS if number % 2 == 0 else reversed(CONTENDERS):
            times[contender.name] += server_times_ms(conn, inline(contender), calls)
    return times


if __name__ == "__main__":
    main()
