"""The issue's single-row contenders against forms of the deployed schema that record_delivery writes to.

PostgreSQL 15 keeps a table's CHECK constraints as stored node trees and reads them back, and simplifies
them again, in every INSERT statement: for a single-row insert that is a large share of the work. Forms,
each a database cloned from the deployed plan:

- committed: as deployed (each taxonomy is one text[] constant: col = ANY ('{...}'::text[]));
- in_lists: the taxonomy CHECKs written col IN ('a', 'b', ...), the form before session 10 (one node per
  value);
- domains: every single-column CHECK of the table moved onto a domain over the column's type (a
  decision input: SPEC §3 asks for CHECK-constrained text columns). A domain's constraints are read
  once per backend into the type cache;
- key_collate_c: the sidecar's idempotency_key COLLATE "C" (its primary key then compares bytes, not by
  the database's collation).

Each round runs, for every form, one pgbench run of the three contenders of bench/record_delivery.py
(plain INSERT, record_delivery, 2-statement transaction), the order of the forms rotating. The report
gives each form's median tps per contender, its paired ratio to the committed form, and record_delivery
over the plain INSERT. Usage:

    python3 bench/schema_forms.py [--db URL] [--rounds 10] [--seconds 5] [--clients 1] [--forms a,b]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from pgbench_runner import Contender, run_mixed
from psycopg import sql
from record_delivery import BENCH_DB, CONTENDERS, PGBENCH_SCRIPTS, database, rotations

from teams_obs.render import sql_literal
from teams_obs.taxonomy import TAXONOMIES

TABLE = "notification_deliveries"
COMMITTED = "committed"

SINGLE_COLUMN_CHECKS = """
SELECT c.conname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       pg_catalog.pg_get_expr(c.conbin, c.conrelid)
  FROM pg_catalog.pg_constraint AS c
  JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.conrelid = 'teams_obs.notification_deliveries'::pg_catalog.regclass
   AND c.contype = 'c' AND pg_catalog.cardinality(c.conkey) = 1
 ORDER BY c.conname
"""


def replace_outside_literals(expression: str, column: str, by: str) -> str:
    """The column's name replaced by ``by`` wherever it stands outside a string literal."""
    parts = expression.split("'")  # even parts lie outside literals (an escaped '' adds an empty one)
    word = re.compile(rf"\b{re.escape(column)}\b")
    return "'".join(word.sub(by, part) if number % 2 == 0 else part for number, part in enumerate(parts))


def as_in_lists(conn: psycopg.Connection) -> None:
    for taxonomy in TAXONOMIES.values():
        if taxonomy.table != TABLE:
            continue
        listing = f"{taxonomy.column} IN ({', '.join(map(sql_literal, taxonomy.values))})"
        check = f"{taxonomy.column} IS NULL OR {listing}" if taxonomy.nullable else listing
        name = f"{TABLE}_{taxonomy.column}_check"
        conn.execute(f"ALTER TABLE teams_obs.{TABLE} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} CHECK ({check})")


def as_domains(conn: psycopg.Connection) -> None:
    for name, column, column_type, expression in conn.execute(SINGLE_COLUMN_CHECKS).fetchall():
        domain = sql.Identifier("teams_obs", f"{column}_domain")
        check = sql.SQL(replace_outside_literals(expression, column, "VALUE"))
        conn.execute(sql.SQL("CREATE DOMAIN {} AS {} CHECK ({})").format(domain, sql.SQL(column_type), check))
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}, ALTER COLUMN {} TYPE {}").format(
            sql.Identifier("teams_obs", TABLE), sql.Identifier(name), sql.Identifier(column), domain))


def key_collate_c(conn: psycopg.Connection) -> None:
    conn.execute('ALTER TABLE teams_obs.notification_delivery_idempotency'
                 ' ALTER COLUMN idempotency_key TYPE text COLLATE "C"')


# Each form but the committed one: how its clone of the deployed database is changed.
CHANGES = {"in_lists": as_in_lists, "domains": as_domains, "key_collate_c": key_collate_c}


@contextmanager
def form_databases(url: str, changed: list[str]) -> Iterator[dict[str, str]]:
    """Form -> URL: the committed one is ``url``, the ``changed`` ones clones of it, dropped afterwards."""
    urls = {COMMITTED: url}
    clones = {form: sql.Identifier(f"{BENCH_DB}_{form}") for form in changed}
    with psycopg.connect(url, autocommit=True) as conn:
        for form, clone in clones.items():
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(clone))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(clone, sql.Identifier(BENCH_DB)))
            urls[form] = psycopg.conninfo.make_conninfo(url, dbname=f"{BENCH_DB}_{form}")
    try:
        for form in changed:
            with psycopg.connect(urls[form], autocommit=True) as conn:
                CHANGES[form](conn)
        yield urls
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for clone in clones.values():
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(clone))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="server URL (databases named bench_record_delivery* are created there)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=5, help="length of one pgbench run")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--forms", type=lambda text: text.split(","), default=list(CHANGES),
                        help=f"the forms run beside {COMMITTED}, comma-separated (default: {','.join(CHANGES)})")
    args = parser.parse_args()
    if unknown := set(args.forms) - set(CHANGES):
        parser.error(f"--forms: no form {', '.join(sorted(unknown))}; the forms are {', '.join(CHANGES)}")
    forms = [COMMITTED, *dict.fromkeys(args.forms)]

    contenders = [Contender(name, PGBENCH_SCRIPTS[name].read_text()) for name in CONTENDERS]
    tps: dict[str, list[dict[str, float]]] = {form: [] for form in forms}
    with database(args.db, fsync=True) as url, form_databases(url, forms[1:]) as urls:
        for number, order in enumerate(rotations(forms, args.rounds)):
            for form in order:
                tps[form].append(run_mixed(urls[form], contenders, args.clients, args.seconds))
            print(f"round {number + 1}: " + "; ".join(
                f"{form} " + ", ".join(f"{tps[form][-1][name]:.0f}" for name in CONTENDERS) for form in forms),
                flush=True)
    print(f"\n{args.clients} client(s), {args.rounds} rounds; tps of {', '.join(CONTENDERS)}")
    for form in forms:
        medians = [statistics.median(r[name] for r in tps[form]) for name in CONTENDERS]
        line = f"  {form:<9} " + ", ".join(f"{median:,.0f}" for median in medians)
        ratio = statistics.median(r["record_delivery"] / r["plain INSERT"] for r in tps[form])
        line += f"; record_delivery / plain INSERT {ratio:.3f}x"
        if form != COMMITTED:
            paired = [statistics.median(r[name] / base[name] for r, base in zip(tps[form], tps[COMMITTED], strict=True))
                      for name in CONTENDERS]
            line += "; paired tps over committed: " + ", ".join(f"{p:.3f}x" for p in paired)
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
