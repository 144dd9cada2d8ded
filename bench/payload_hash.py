"""Benchmark: teams_obs.payload_hash in the database against Python on the same ~1 KB documents.

Realistic payloads: Bot Framework activities of a Teams ticketing integration (message, invoke with an
Adaptive Card action, conversationUpdate), JSON as the bot receives it, about 1 KB each. Contenders, in
documents per second:

* SQL payload_hash: server time of one query hashing every stored document (json column), no network,
  JIT off;
* Python rfc8785 + hashlib: json.loads (numbers as floats), rfc8785.dumps, sha256: the baseline;
* Python teams_obs.jcs: the same plus the refusals of the SQL side (duplicate keys, \\u0000, ...).

Both sides must produce the same hashes (checked first). Rounds alternate the order; the report gives the
median rate of each contender, the ratio of medians to the baseline's and the median of the ratios within a
round (contenders of one round ran back to back, so the machine's drift cancels out of it).

    python3 bench/payload_hash.py [--db URL] [--documents 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg
import rfc8785
from scratch_database import scratch_database, server_times_ms

from teams_obs import jcs

TEXTS = ["Drucker im 3. OG druckt nicht — bitte prüfen", "VPN drops every 20 minutes since the firmware update",
         "Zoë can't open the shared mailbox 📬", "会议室投影仪无法连接", "Please reset my MFA device, thanks!"]
ACTIONS = ["assign_ticket", "add_note", "reply_to_contact", "log_time", "approval_response"]
BASELINE = "Python rfc8785 + hashlib"


def activity(number: int) -> dict:
    """One Teams activity, varied by its number (deterministic)."""
    draw = random.Random(number)

    def uid() -> str:
        return str(uuid.UUID(int=draw.getrandbits(128)))

    base = {
        "type": draw.choice(["message", "invoke", "conversationUpdate"]),
        "id": str(draw.getrandbits(60)),
        "timestamp": f"2026-11-29T10:{draw.randrange(60):02d}:{draw.randrange(60):02d}.{draw.randrange(1000):03d}Z",
        "localTimestamp": "2026-11-29T11:00:00.123+01:00",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {"id": f"29:1{draw.getrandbits(120):x}", "name": draw.choice(["Zoë Müller", "Amélie Rousseau",
                                                                              "Łukasz Wójcik", "Ana Núñez"]),
                 "aadObjectId": uid()},
        "conversation": {"conversationType": draw.choice(["personal", "groupChat", "channel"]), "tenantId": uid(),
                         "id": f"a:1{draw.getrandbits(120):x}"},
        "recipient": {"id": f"28:{uid()}", "name": "Helpdesk"},
        "locale": draw.choice(["de-DE", "en-US", "fr-FR", "zh-CN"]),
        "text": draw.choice(TEXTS),
        "entities": [{"type": "clientInfo", "locale": "de-DE", "country": "DE", "platform": "Web",
                      "timezone": "Europe/Berlin"}],
        "channelData": {"tenant": {"id": uid()}, "source": {"name": "message"}},
    }
    base["value"] = {"action": draw.choice(ACTIONS), "ticketId": draw.randrange(1, 10**6),
                     "priority": draw.randrange(1, 4), "estimateHours": round(draw.random() * 8, 2),
                     "tags": draw.sample(["printer", "vpn", "urgent", "3OG", "mailbox", "mfa"], 3),
                     "notify": draw.random() < 0.5, "note": None}
    return base


def python_baseline(texts: list[str]) -> list[str]:
    return [hashlib.sha256(rfc8785.dumps(json.loads(text, parse_int=float))).hexdigest() for text in texts]


def python_teams_obs(texts: list[str]) -> list[str]:
    return [jcs.payload_hash(text) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="server URL (default: an embedded cluster)")
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    texts = [json.dumps(activity(number), ensure_ascii=False) for number in range(args.documents)]
    size = statistics.median(len(text.encode()) for text in texts)
    print(f"{args.documents} documents, median {size:.0f} bytes of JSON", flush=True)
    with scratch_database(args.db, "bench_payload_hash") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.bench_payloads (n integer PRIMARY KEY, doc json NOT NULL)")
        with conn.cursor().copy("COPY public.bench_payloads (n, doc) FROM STDIN") as copy:
            for number, text in enumerate(texts):
                copy.write_row((number, text))
        conn.execute("VACUUM ANALYZE public.bench_payloads")
        # A statement hashing a whole table costs enough to be JIT-compiled, which only adds compile time
        # (the work is in PL/pgSQL); an application hashes one payload per call and is never JIT-compiled.
        conn.execute("SET jit = off")
        in_sql = [row[0] for row in conn.execute(
            "SELECT teams_obs.payload_hash(doc) FROM public.bench_payloads ORDER BY n")]
        if not in_sql == python_baseline(texts) == python_teams_obs(texts):
            raise SystemExit("the database and Python disagree on a payload hash")

        def sql_seconds() -> float:
            query = "SELECT count(teams_obs.payload_hash(doc)) FROM public.bench_payloads"
            return server_times_ms(conn, query, 1)[0] / 1000

        def client_seconds(hasher: Callable[[list[str]], list[str]]) -> Callable[[], float]:
            def run() -> float:
                start = time.perf_counter()
                hasher(texts)
                return time.perf_counter() - start
            return run

        contenders = {BASELINE: client_seconds(python_baseline),
                      "Python teams_obs.jcs.payload_hash": client_seconds(python_teams_obs),
                      "SQL teams_obs.payload_hash (server time)": sql_seconds}
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        for number in range(args.rounds):
            order = list(contenders) if number % 2 == 0 else list(reversed(contenders))
            for name in order:
                rates[name].append(args.documents / contenders[name]())
    baseline = rates[BASELINE]
    print(f"\n{args.rounds} alternating rounds of {args.documents} documents:\n")
    print(f"| contender | median docs/s | runs (docs/s) | ratio of medians to {BASELINE} | median per-round ratio |")
    print("|---|---|---|---|---|")
    for name, values in rates.items():
        runs = ", ".join(f"{value:.0f}" for value in values)
        of_medians = statistics.median(values) / statistics.median(baseline)
        per_round = statistics.median(value / base for value, base in zip(values, baseline, strict=True))
        print(f"| {name} | {statistics.median(values):.0f} | {runs} | {of_medians:.2f}x | {per_round:.2f}x |")


if __name__ == "__main__":
    main()
