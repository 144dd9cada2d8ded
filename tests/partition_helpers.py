"""Helpers shared by the tests of partition maintenance, retention, what writers hold while they wait, and
the month boundary (the plugin's template, a real midnight of the 1st)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

import psycopg
import pytest

from teams_obs.partitions import add_months, utc_literal

DELIVERIES = "teams_obs.notification_deliveries"
DEFAULT = "teams_obs.notification_deliveries_default"
# One call of each recorder, for a tenant given as its parameter.
WAITING_CALLS = {
    "record_delivery": "SELECT * FROM teams_obs.record_delivery(%s, 'chat', 'waiting', 'sent')",
    "record_deliveries": "SELECT * FROM teams_obs.record_deliveries(%s, '[{\"destination_type\": \"chat\","
                         " \"destination_id\": \"waiting\", \"status\": \"sent\"}]')",
}
# The bounds of every month-partitioned table's partitions, DEFAULT left out.
MONTHS = """
SELECT t.parent, array_agg(b.lower_bound ORDER BY b.lower_bound) FILTER (WHERE NOT b.is_default)
  FROM teams_obs.month_partitioned_tables() t, teams_obs.partition_bounds(t.parent_oid::regclass) b
 GROUP BY t.parent ORDER BY t.parent
"""
PARENTS = ["teams_obs.audit_events", "teams_obs.notification_deliveries"]  # every month-partitioned table


def months_of(conn: psycopg.Connection) -> dict[str, list[datetime]]:
    return dict(conn.execute(MONTHS).fetchall())


def this_month_and_the_next_3(first: datetime) -> dict[str, list[datetime]]:
    return {parent: [add_months(first, ahead) for ahead in range(4)] for parent in PARENTS}


def create_partition_of(db: psycopg.Connection, month: datetime, parent: str = DELIVERIES) -> str:
    """A month's partition made the plain PostgreSQL way (CREATE TABLE ... PARTITION OF); returns its name."""
    name = f"{parent}_p{month:%Y_%m}"
    db.execute(f"CREATE TABLE {name} PARTITION OF {parent}"
               f" FOR VALUES FROM ('{utc_literal(month)}') TO ('{utc_literal(add_months(month, 1))}')")
    return name


def partitions(db: psycopg.Connection, parent: str = DELIVERIES) -> dict[str, tuple[datetime, datetime]]:
    rows = db.execute("SELECT partition_name, lower_bound, upper_bound FROM teams_obs.partition_bounds(%s)"
                      " WHERE NOT is_default", [parent]).fetchall()
    return {name: (lower, upper) for name, lower, upper in rows}


def fingerprint(db: psycopg.Connection, where: str = "true") -> tuple[int, str]:
    """Row count and a checksum over every column of every row."""
    return db.execute(f"SELECT count(*), md5(coalesce(string_agg(d::text, '|' ORDER BY d.tenant, d.delivery_id), ''))"
                      f" FROM {DELIVERIES} d WHERE {where}").fetchone()


def default_rows(db: psycopg.Connection) -> int:
    return db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0]


def drop_partitions_from(db: psycopg.Connection, first: datetime) -> None:
    """As if maintain had not run for months: no partition from ``first`` on, new rows land in DEFAULT."""
    for name, (lower, _upper) in partitions(db).items():
        if lower >= first:
            db.execute(f"DROP TABLE {name}")


def insert_rows(db: psycopg.Connection, months: list[datetime], per_month: int, tag: str = "bulk") -> None:
    for month in months:
        db.execute(
            f"INSERT INTO {DELIVERIES} (tenant, destination_type, destination_id, idempotency_key, status,"
            " error_code, created_at)"
            " SELECT md5(%s || (g %% 7))::uuid, 'bot_dm', 'dest-' || g, md5(%s || g), 'failed', 'transient',"
            "        %s + (g * interval '1 second')"
            "   FROM generate_series(1, %s) g",
            [tag, f"{tag}-{month:%Y-%m}", month, per_month])


def wait_until_blocked(db: psycopg.Connection, query_like: str, wait_event: str | None) -> None:
    """Until a session running a query LIKE ``query_like`` waits for a lock of kind ``wait_event`` (None:
    any kind)."""
    for _ in range(600):
        if db.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      " AND wait_event = coalesce(%s, wait_event) AND query LIKE %s",
                      [wait_event, query_like]).fetchone()[0]:
            return
        time.sleep(0.05)
    pytest.fail(f"no session running {query_like} waited for a lock of kind {wait_event or 'any'}")


def attempt(call: Callable[[], object]) -> object:
    """What ``call`` returns, or what it raised: from a thread to the test, which asserts on it."""
    try:
        return call()
    except BaseException as exc:  # handed to the test, which asserts on it
        return exc


def in_background(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """``call`` started in a thread of its own; the list receives what it returned or raised (``attempt``)."""
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(attempt(call)))
    thread.start()
    return thread, outcome


def executed_apart(url: str, statement: str, *settings: str) -> tuple[threading.Thread, list[object]]:
    """``statement`` run in the background on a connection of its own (autocommit, ``settings`` first); the
    list receives its rows, or what it raised."""
    def execute() -> list[tuple]:
        with psycopg.connect(url, autocommit=True) as conn:
            for setting in settings:
                conn.execute(setting)
            return conn.execute(statement).fetchall()

    return in_background(execute)


def written_while_waiting(observer: psycopg.Connection, release: Callable[[], None], url: str, recorder: str,
                          tenant: uuid.UUID | str) -> int:
    """Calls ``recorder`` (of WAITING_CALLS) for ``tenant`` through ``url`` while the deliveries table is
    locked by the caller, who lets go with ``release`` once the call waits: how many waiting calls
    ``observer`` (on the node the call waits on) saw holding a transaction id, i.e. having written."""
    def call() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(WAITING_CALLS[recorder], [tenant])

    thread = threading.Thread(target=call)
    thread.start()
    waiting = f"%{recorder}(%"
    wait_until_blocked(observer, waiting, "relation")
    written = observer.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s"
                               " AND wait_event = 'relation' AND backend_xid IS NOT NULL", [waiting]).fetchone()[0]
    release()
    thread.join()
    return written
