"""Should row level security be FORCEd on the owner? What it costs the deliveries performance goals.

Row level security is enabled on every table (deploy/row_level_security.sql); the owner, whose SECURITY
DEFINER functions do all the work, bypasses it unless the tables are FORCEd. FORCE only binds an owner
that is neither superuser nor BYPASSRLS, so both databases here are deployed by such a role (the
embedded cluster's superuser acts as it through `-c role=...`). Forcing means every function must name
its tenant first: the FORCE contenders set teams_obs.tenant in the same statement, as the functions
would themselves (set_config(..., true)), then call them.

- Server time per call (bench/scratch_database.py's timer: a loop inside one transaction, so no commit
  and no fsync, only the CPU each variant costs): plain INSERT, record_delivery, list_deliveries' first
  page and a page after --depth rows of the big tenant (bench/list_pages.py's data), each without and
  with FORCE, plus "tenant set": the FORCE statement where nothing is forced (setting the tenant alone).
  Contenders alternate by round; medians of all calls.
- record_delivery throughput (pgbench, bench/pgbench/ scripts of bench/record_delivery.py): plain
  single-row INSERT (the floor of the goal "record_delivery >= 0.8x plain INSERT"), record_delivery,
  record_delivery with FORCE; alternating round by round, 1 and 2 clients, medians, fsync on.

    python3 bench/rls_force.py [--db SUPERUSER_URL] [--rounds 5] [--seconds 5] [--clients 1,2]
                               [--rows 200000] [--tenants 50] [--big 20000] [--depth 10000] [--calls 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from list_pages import BIG, PAGE, cursor_after, load
from pgbench_runner import Contender, alternate
from scratch_database import scratch_database, server_times_ms

from teams_obs.embedded import embedded_postgres

HERE = Path(__file__).resolve().parent
OWNER = "teams_obs_bench_owner"
WRITER_TENANT = "00000000-0000-4000-8000-000000000001"  # the tenant of bench/pgbench/record_delivery.sql
FORCED = ("teams_obs.notification_deliveries", "teams_obs.notification_delivery_idempotency",
          "teams_obs.audit_events", "teams_obs.conversation_references")


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    with embedded_postgres(fsync=True) as cluster:
        yield cluster.url()


def become_owner(superuser_url: str) -> None:
    """Create the roles as the superuser, then act as a plain owner role in every later connection (ours
    and pgbench's) through PGOPTIONS."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for role in ("teams_obs_writer", "teams_obs_reader", "teams_obs_maintainer", OWNER):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone() is None:
                conn.execute(f"CREATE ROLE {role} NOLOGIN")
        conn.execute(f"ALTER ROLE {OWNER} NOSUPERUSER NOBYPASSRLS CREATEDB")
        # The owner drops its scratch databases WITH (FORCE), which must end every other session in them,
        # autovacuum's workers too: they run as no role, so only pg_signal_backend lets a role that is not
        # superuser end them (a CI run failed once when the drop met one).
        conn.execute(f"GRANT pg_signal_backend TO {OWNER}")
    os.environ["PGOPTIONS"] = f"-c role={OWNER}"


def with_tenant(call: str, tenant: str) -> str:
    """``SELECT * FROM teams_obs.f(p_tenant => '<tenant>', ...)`` as it runs under FORCE: the tenant setting
    set first in the same statement (set_config is evaluated before the function, which depends on it)."""
    prefix = "SELECT * FROM teams_obs."
    literal = f"p_tenant => '{tenant}'"
    assert call.count(prefix) == 1 and call.count(literal) == 1, call
    forced = call.replace(prefix, f"SELECT f.* FROM (SELECT set_config('teams_obs.tenant', '{tenant}', true)::uuid"
                                  " AS tenant) AS s, LATERAL teams_obs.").replace(literal, "p_tenant => s.tenant")
    return forced.rstrip().removesuffix(";") + " AS f;\n"


def force(url: str) -> None:
    """FORCE the tables, and check that it binds the functions: without the setting the owner sees nothing."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in FORCED:
            conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        page = conn.execute(f"SELECT count(*) FROM teams_obs.list_deliveries('{BIG}')").fetchone()[0]
        assert page == 0, "FORCE does not bind the owner's functions"


def record_contenders(plain_url: str, forced_url: str) -> list[Contender]:
    plain_insert = (HERE / "pgbench/plain_insert.sql").read_text()
    record = (HERE / "pgbench/record_delivery.sql").read_text()
    return [Contender("plain INSERT", plain_insert, url=plain_url),
            Contender("record_delivery", record, url=plain_url),
            Contender("record_delivery, FORCE", with_tenant(record, WRITER_TENANT), url=forced_url)]


def server_times(conns: dict[str, psycopg.Connection], contenders: dict[str, tuple[str, str]], rounds: int,
                 calls: int) -> dict[str, list[float]]:
    """Server time per call of each contender (database name, SQL), alternating the order by round."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for number in range(rounds):
        for name in list(contenders) if number % 2 == 0 else list(reversed(contenders)):
            database, call = contenders[name]
            times[name] += server_times_ms(conns[database], call, calls)
        print(f"server-time round {number + 1}/{rounds}: " + ", ".join(
            f"{name} {statistics.median(values):.3f} ms" for name, values in times.items()), flush=True)
    return times


def server_contenders(cursors: dict[str, str], depth: int) -> dict[str, tuple[str, str]]:
    """Per call, inside one transaction (no commit, so no fsync): the CPU cost of each variant. "tenant set"
    runs the FORCE statement where nothing is forced: the cost of setting the tenant alone."""
    insert = ("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, "
              f"idempotency_key, status) VALUES ('{WRITER_TENANT}', 'user_activity', gen_random_uuid()::text, "
              "md5(random()::text), 'delivered')")
    record = (f"SELECT * FROM teams_obs.record_delivery(p_tenant => '{WRITER_TENANT}', p_destination_type => "
              "'user_activity', p_destination_id => gen_random_uuid()::text, p_status => 'delivered')")

    def page(database: str, deep: bool = False) -> str:
        cursor = f", p_cursor => '{cursors[database]}'" if deep else ""
        return f"SELECT * FROM teams_obs.list_deliveries(p_tenant => '{BIG}', p_limit => {PAGE}{cursor})"

    deep = f"page after {depth:,} rows"
    return {
        "plain INSERT": ("plain", insert),
        "record_delivery": ("plain", record),
        "record_delivery, tenant set": ("plain", with_tenant(record, WRITER_TENANT)),
        "record_delivery, FORCE": ("forced", with_tenant(record, WRITER_TENANT)),
        "first page": ("plain", page("plain")),
        "first page, tenant set": ("plain", with_tenant(page("plain"), BIG)),
        "first page, FORCE": ("forced", with_tenant(page("forced"), BIG)),
        deep: ("plain", page("plain", deep=True)),
        f"{deep}, FORCE": ("forced", with_tenant(page("forced", deep=True), BIG)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="superuser URL of the server (default: an embedded cluster with fsync on)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--clients", default="1,2")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    clients = [int(value) for value in args.clients.split(",")]

    with server(args.db) as superuser_url:
        become_owner(superuser_url)
        owner_url = psycopg.conninfo.make_conninfo(superuser_url, dbname="postgres")
        with scratch_database(owner_url, "bench_rls_plain") as plain, \
                scratch_database(owner_url, "bench_rls_forced") as forced, ExitStack() as connections:
            urls, cursors = {"plain": plain, "forced": forced}, {}
            conns = {name: connections.enter_context(psycopg.connect(url, autocommit=True))
                     for name, url in urls.items()}
            for name, conn in conns.items():
                assert conn.execute("SELECT current_user, NOT rolsuper AND NOT rolbypassrls FROM pg_roles "
                                    "WHERE rolname = current_user").fetchone() == (OWNER, True)
                load(conn, args.rows, args.tenants, args.big)
                cursors[name] = cursor_after(conn, args.depth)  # read before FORCE hides the rows
            force(forced)
            times = server_times(conns, server_contenders(cursors, args.depth), args.rounds, args.calls)
            records = alternate(plain, record_contenders(plain, forced), clients, args.rounds, args.seconds)

    print(f"\nServer time per call (no commit); {args.rows:,} rows, {args.tenants} tenants, big tenant "
          f"{args.big:,} rows; {args.rounds} alternating rounds of {args.calls} calls\n")
    print("| contender | calls | median ms | p95 ms | ratio |\n|---|---|---|---|---|")
    for name, values in times.items():
        base = statistics.median(times["plain INSERT" if "record" in name or "INSERT" in name else "first page"])
        print(f"| {name} | {len(values)} | {statistics.median(values):.3f} | "
              f"{statistics.quantiles(values, n=20)[-1]:.3f} | {statistics.median(values) / base:.2f}x |")
    print(f"\nrecord_delivery, pgbench (prepared), {args.rounds} alternating rounds of {args.seconds} s, fsync on\n")
    print(records.markdown("plain INSERT", clients))


if __name__ == "__main__":
    main()
