"""The client and the CLI read the same values whatever the session's DateStyle and IntervalStyle.

psycopg parses timestamps and intervals sent as text only under DateStyle ISO and IntervalStyle postgres
(NotImplementedError, no psycopg.Error, on the others). A deployment may set other styles anywhere: in
postgresql.conf, ``ALTER DATABASE/ROLE ... SET``, ``PGDATESTYLE`` or the URL's ``options``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from teams_obs.cli import main
from teams_obs.client import AsyncClient, Client
from tests.tenant_data import activity

SENT = datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
LATENCY = timedelta(seconds=1, microseconds=500007)
# delivery_health's window, by created_at (now): from yesterday's UTC day to the end of tomorrow's.
SINCE = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
UNTIL = SINCE + timedelta(days=3)
# What psycopg reads in text, named in the URL so that no server, database or role setting applies.
READABLE = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres"

# How the session gets its styles: options in the URL, or settings of the database and the role.
STYLES = {
    "DateStyle SQL, DMY": {"options": "-c DateStyle=SQL,DMY"},
    "DateStyle German": {"options": "-c DateStyle=German"},
    "IntervalStyle iso_8601": {"options": "-c IntervalStyle=iso_8601"},
    "set on the database and the role": {"database": ("DateStyle", "SQL, DMY"), "role": ("IntervalStyle", "iso_8601")},
}


def with_options(url: str, options: str) -> str:
    assert "?" not in url
    return f"{url}?options={quote(options)}"


@pytest.fixture(params=list(STYLES))
def styled_url(request, db: psycopg.Connection, db_url: str) -> str:
    """The URL of a session with the style of ``request.param`` (checked to be in effect)."""
    style = STYLES[request.param]
    if "database" in style:
        name, value = style["database"]
        db.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
            sql.Identifier(db.info.dbname), sql.Identifier(name), sql.Literal(value)))
        name, value = style["role"]
        db.execute(sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET {} = {}").format(
            sql.Identifier(db.info.dbname), sql.Identifier(name), sql.Literal(value)))
        url = db_url
    else:
        url = with_options(db_url, style["options"])
    with psycopg.connect(url) as conn:
        styles = conn.execute("SELECT current_setting('DateStyle'), current_setting('IntervalStyle')").fetchone()
    assert styles != ("ISO, MDY", "postgres"), "the style is in effect"
    return url


def record_and_read(obs, tenant: uuid.UUID) -> dict:
    """Every method once, through a sync client (an async one wrapped by ``Awaited``)."""
    recorded = obs.record_delivery(tenant, "user_activity", "aad-1", "delivered", sent_at=SENT,
                                   delivered_at=SENT + LATENCY, category="assignment")
    again = obs.record_delivery(tenant, "user_activity", "aad-1", "delivered", sent_at=SENT)
    batch = obs.record_deliveries(tenant, [{"destination_type": "chat", "destination_id": "c", "status": "failed",
                                            "error_code": "transient", "retryable": True, "sent_at": SENT}])
    event = obs.record_audit_event(tenant, "bot", "add_note", "success", payload={"note": 1})
    referenced = obs.record_conversation_reference(tenant, activity("aad-7", "a:c-7").obj, activity_at=SENT)
    first = obs.list_deliveries(tenant, limit=1)
    second = obs.list_deliveries(tenant, limit=1, cursor=first.next_cursor)
    return {"recorded": recorded, "again": again, "batch": batch, "event": event, "referenced": referenced,
            "pages": (first, second), "audit": obs.list_audit_events(tenant),
            "latest": obs.latest_conversation_reference(tenant, "aad-7"),
            "found": obs.find_conversation_reference(tenant, "a:c-7"), "graph": obs.graph_status_error(429),
            "health": obs.delivery_health(tenant, SINCE, UNTIL)}


def read(obs, tenant: uuid.UUID) -> dict:
    return {"deliveries": obs.list_deliveries(tenant, limit=10), "audit": obs.list_audit_events(tenant),
            "latest": obs.latest_conversation_reference(tenant, "aad-7"),
            "health": obs.delivery_health(tenant, SINCE, UNTIL)}


def kinds(rows: list[dict]) -> list[dict]:
    """Each value's Python type and time zone: equal values may differ in them (a Decimal equals an int)."""
    return [{key: (type(value), getattr(value, "tzinfo", None)) for key, value in row.items()} for row in rows]


class Awaited:
    """An AsyncClient's methods called from sync code, each on its own event loop run."""

    def __init__(self, make_client):
        self._make_client = make_client

    def close(self) -> None:
        """Nothing to close: each call closes the client it made."""

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            async def scenario():
                client = await self._make_client()
                try:
                    return await getattr(client, name)(*args, **kwargs)
                finally:
                    await client.close()

            return asyncio.run(scenario())

        return call


def sync_client(url: str, *, own_pool: bool, never_raise: bool) -> Client:
    if own_pool:
        return Client.connect(url, never_raise=never_raise, min_size=1, max_size=1)
    return Client(ConnectionPool(url, open=True, min_size=1, max_size=1), never_raise=never_raise)


def async_client(url: str, *, own_pool: bool, never_raise: bool) -> Awaited:
    async def make() -> AsyncClient:
        if own_pool:
            return await AsyncClient.connect(url, never_raise=never_raise, min_size=1, max_size=1)
        pool = AsyncConnectionPool(url, open=False, min_size=1, max_size=1)
        await pool.open()
        return AsyncClient(pool, never_raise=never_raise)

    return Awaited(make)


# Sync and async, strict and never_raise, on a pool the client made and on one of the caller's.
CLIENTS = {
    "Client.connect, never_raise": lambda url: sync_client(url, own_pool=True, never_raise=True),
    "Client(pool)": lambda url: sync_client(url, own_pool=False, never_raise=False),
    "AsyncClient(pool), never_raise": lambda url: async_client(url, own_pool=False, never_raise=True),
    "AsyncClient.connect": lambda url: async_client(url, own_pool=True, never_raise=False),
}


@pytest.mark.parametrize("how", list(CLIENTS))
def test_the_client_records_and_reads_the_same_under_any_style(styled_url: str, db_url: str, how: str) -> None:
    """What a client records and reads under the style is what a client reads under DateStyle ISO and
    IntervalStyle postgres, and what was sent."""
    tenant = uuid.uuid4()
    obs = CLIENTS[how](styled_url)
    try:
        got = record_and_read(obs, tenant)
        reread = read(obs, tenant)
    finally:
        obs.close()
    with Client.connect(with_options(db_url, READABLE), min_size=1, max_size=1) as reference:
        with reference.pool.connection() as conn:
            assert conn.execute("SELECT current_setting('DateStyle'), current_setting('IntervalStyle')"
                                ).fetchone() == ("ISO, MDY", "postgres")
        expected = read(reference, tenant)
    assert reread == expected
    for rows in ("deliveries", "audit"):
        assert kinds(reread[rows].rows) == kinds(expected[rows].rows)
    assert kinds(reread["latest"]) == kinds(expected["latest"])
    assert kinds(reread["health"]) == kinds(expected["health"])
    deliveries = expected["deliveries"].rows
    assert got["recorded"].inserted and not got["again"].inserted
    assert (got["again"].delivery_id, got["again"].created_at) == \
        (got["recorded"].delivery_id, got["recorded"].created_at)
    by_id = {row["delivery_id"]: row for row in deliveries}
    assert by_id[got["recorded"].delivery_id]["created_at"] == got["recorded"].created_at
    assert by_id[got["recorded"].delivery_id]["sent_at"] == SENT
    assert by_id[got["recorded"].delivery_id]["delivered_at"] == SENT + LATENCY
    assert by_id[got["batch"][0]["delivery_id"]]["created_at"] == got["batch"][0]["created_at"]
    assert by_id[got["batch"][0]["delivery_id"]]["sent_at"] == SENT
    assert [row for page in got["pages"] for row in page.rows] == deliveries
    assert got["pages"][1].next_cursor is None
    assert expected["audit"].rows[0]["created_at"] == got["event"].created_at
    assert got["audit"] == expected["audit"]
    assert got["referenced"] is True and got["latest"] == got["found"] == expected["latest"]
    assert got["latest"][0]["last_activity_at"] == SENT
    assert got["graph"] == {"error_code": "graph_throttled", "retryable": True}
    assert got["health"] == expected["health"]
    window = got["health"][-1]
    assert (window["day"], window["total"], window["latency_p50"]) == (None, 2, LATENCY)


def cli(url: str, *args: str, env: dict[str, str] | None = None):
    return CliRunner(env={"COLUMNS": "300", **(env or {})}).invoke(main, ["--db", url, *args], catch_exceptions=False)


TENANT = "00000000-0000-4000-8000-0000000000e1"
CLI_COMMANDS = (
    ("health",),
    ("health", "--tenant", TENANT, "--since", SINCE.date().isoformat(), "--until", UNTIL.isoformat(), "--json"),
    ("health", "--tenant", TENANT, "--since", SINCE.date().isoformat(), "--until", UNTIL.date().isoformat()),
    ("deliveries", "list", "--tenant", TENANT, "--json"),
    ("deliveries", "list", "--tenant", TENANT),
    ("audit", "list", "--tenant", TENANT, "--json"),
    ("conversations", "show", "--tenant", TENANT, "--user", "aad-7", "--json"),
)


def record_for_the_cli(url: str) -> None:
    with Client.connect(url, min_size=1, max_size=1) as obs:
        obs.record_delivery(TENANT, "user_activity", "aad-1", "delivered", sent_at=SENT, delivered_at=SENT + LATENCY)
        obs.record_delivery(TENANT, "bot_dm", "aad-2", "failed", error_code="transient", sent_at=SENT)
        obs.record_audit_event(TENANT, "bot", "add_note", "success", payload={"note": 1})
        obs.record_conversation_reference(TENANT, activity("aad-7", "a:c-7").obj, activity_at=SENT)


def test_the_cli_shows_the_same_under_any_style(styled_url: str, db_url: str) -> None:
    readable = with_options(db_url, READABLE)
    record_for_the_cli(readable)
    for command in CLI_COMMANDS:
        expected, got = cli(readable, *command), cli(styled_url, *command)
        assert (got.exit_code, got.output) == (expected.exit_code, expected.output), command
        assert "Traceback" not in got.output and expected.exit_code in (0, 1), command
    health = json.loads(cli(styled_url, *CLI_COMMANDS[1]).output)
    assert health["deliveries"][-1]["latency_p50"] == LATENCY.total_seconds()


def test_the_cli_works_under_pgdatestyle(db: psycopg.Connection, db_url: str) -> None:
    """libpq sends PGDATESTYLE at connection start: every command that reads timestamps works under it."""
    record_for_the_cli(db_url)
    (last,) = db.execute("SELECT partition_name FROM teams_obs.partition_bounds('teams_obs.audit_events')"
                         " WHERE lower_bound IS NOT NULL ORDER BY lower_bound DESC LIMIT 1").fetchone()
    db.execute(f"DROP TABLE {last}")  # so that maintain reads the bounds of a month to create
    for command in (*CLI_COMMANDS, ("maintain", "--dry-run"), ("status",), ("log",)):
        expected, got = cli(db_url, *command), cli(db_url, *command, env={"PGDATESTYLE": "German"})
        assert (got.exit_code, got.output) == (expected.exit_code, expected.output), command
        assert expected.exit_code in (0, 1), (command, expected.output)
    deploy = cli(db_url, "deploy", env={"PGDATESTYLE": "German"})  # up to date, then maintain(url)
    assert deploy.exit_code == 0 and last.removeprefix("teams_obs.") in deploy.output, deploy.output
    # cleanup shows its cutoffs (now() less the retention) to the second, so two runs may differ in them.
    cleanup = cli(db_url, "cleanup", env={"PGDATESTYLE": "German"})
    assert cleanup.exit_code == 0 and "partitions_dropped" in cleanup.output, cleanup.output
