"""Purging a tenant table by table, in ``teams_obs.tenant_deletion_order()``, inside one transaction.

``teams_obs.purge_tenant()`` does the same in one call; this drives ``purge_tenant_table()`` per table so
that a caller can report progress. The transaction is REPEATABLE READ: every table is read with the same
snapshot, so a delivery recorded while the purge runs is either deleted with its reservation or kept
with it, never split (READ COMMITTED would take a new snapshot per table). A serialization failure (a
row of the tenant changed meanwhile) rolls everything back and the purge starts again.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import psycopg
from psycopg import errors

MAX_ATTEMPTS = 5


def deletion_order(conn: psycopg.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT table_name FROM teams_obs.tenant_deletion_order() ORDER BY step").fetchall()]


def purge_tenant(conn: psycopg.Connection, tenant: UUID,
                 on_table: Callable[[str, int], None] = lambda _table, _rows: None,
                 on_retry: Callable[[], None] = lambda: None) -> list[tuple[str, int]]:
    """Delete every row of ``tenant``; returns (table, rows deleted) per table, in deletion order.

    ``conn`` must be in autocommit mode (each attempt is its own transaction). ``on_table`` is called
    after each table; ``on_retry`` before an attempt that starts again from the first table.
    """
    attempt = 1
    while True:
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                done = []
                for table in deletion_order(conn):
                    (rows,) = conn.execute("SELECT teams_obs.purge_tenant_table(%s, %s)", (tenant, table)).fetchone()
                    done.append((table, rows))
                    on_table(table, rows)
                return done
        except errors.SerializationFailure:
            if attempt == MAX_ATTEMPTS:
                raise
        attempt += 1
        on_retry()
