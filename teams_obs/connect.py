"""Connections whose timestamps and intervals psycopg can read in text, whatever the session says.

psycopg parses timestamps and intervals in text only under DateStyle ISO and IntervalStyle postgres and
raises NotImplementedError (no psycopg.Error) under any other, which the server, the database, the role,
``PGDATESTYLE`` or the URL's ``options`` may set. The Python client reads binary results instead, since it
may be given a pool of the caller's.
"""

from __future__ import annotations

import psycopg

from teams_obs.infinity import InfinityTextLoader


def connect(conninfo: str, *, autocommit: bool) -> psycopg.Connection:
    """A new connection with DateStyle ISO and IntervalStyle postgres for its session (the input order of
    dates, DMY or MDY, is kept), which reads a stored 'infinity' or '-infinity' as that word."""
    conn = psycopg.connect(conninfo, autocommit=autocommit)
    conn.adapters.register_loader("timestamptz", InfinityTextLoader)
    conn.execute("SELECT pg_catalog.set_config('DateStyle', 'ISO', false),"
                 " pg_catalog.set_config('IntervalStyle', 'postgres', false)")
    if not autocommit:
        conn.commit()
    return conn
