"""The typed client: sync and async calls, pages, and never_raise on the hot path."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import socket
import threading
import time
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

import psycopg
import pytest
from click.testing import CliRunner
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolClosed, PoolTimeout

from teams_obs import jcs
from teams_obs.cli import main
from teams_obs.client import (
    CALLS,
    NEVER_RAISE_POOL_TIMEOUT,
    AsyncClient,
    Client,
    InvalidArgument,
    Page,
    RecordedDelivery,
)
from teams_obs.infinity import EARLIEST, LATEST
from teams_obs.sql_function import NAIVE_DATE, NAIVE_DATETIME
from tests.tenant_data import activity

TENANT = str(uuid.uuid4())


@pytest.fixture
def client(db_url):
    client = Client.connect(db_url, min_size=1, max_size=2)
    yield client
    client.close()


def test_record_and_list_roundtrip(client):
    first = client.record_delivery(TENANT, "user_activity", "aad-1", "delivered", attempt_number=1)
    again = client.record_delivery(TENANT, "user_activity", "aad-1", "delivered", attempt_number=1)
    assert isinstance(first, RecordedDelivery) and first.inserted and not again.inserted
    assert again.delivery_id == first.delivery_id
    for n in range(3):
        client.record_delivery(TENANT, "bot_dm", f"aad-{n + 2}", "failed", error_code="transient")
    page = client.list_deliveries(TENANT, limit=2)
    assert isinstance(page, Page) and len(page.rows) == 2 and page.next_cursor
    rest = client.list_deliveries(TENANT, limit=10, cursor=page.next_cursor)
    assert len(rest.rows) == 2 and rest.next_cursor is None
    batch = client.record_deliveries(TENANT, [{"destination_type": "chat", "destination_id": "c", "status": "sent"}])
    assert batch[0]["inserted"] is True


def test_a_clients_own_pool_runs_each_call_in_autocommit_unless_told_otherwise(db_url):
    """No BEGIN and COMMIT round trips around a one-statement call; on Citus only a call outside a
    transaction block is delegated to the tenant's worker."""
    with Client.connect(db_url, min_size=1, max_size=1) as client, client.pool.connection() as conn:
        assert conn.autocommit
    with Client.connect(db_url, min_size=1, max_size=1, kwargs={"autocommit": False}) as client, \
            client.pool.connection() as conn:
        assert not conn.autocommit
    with Client.connect(db_url, min_size=1, max_size=1, kwargs=None) as client, client.pool.connection() as conn:
        assert conn.autocommit  # psycopg_pool's own default of kwargs

    async def asynchronous() -> bool:
        async with await AsyncClient.connect(db_url, min_size=1, max_size=1) as client, \
                client.pool.connection() as conn:
            return conn.autocommit
    assert asyncio.run(asynchronous())


def test_maintenance_status_reads_every_partitioned_table(client):
    """The SPEC §8 reader the CLI's health check calls through the same declaration."""
    tables = {row["table_name"]: row for row in client.maintenance_status()}
    assert set(tables) == {"teams_obs.audit_events", "teams_obs.notification_deliveries"}
    assert tables["teams_obs.notification_deliveries"]["default_partition"] is not None


def test_audit_event_hashes_payload(client, db):
    payload = {"b": 1, "a": [1.0, "x"], "big": 2**60, "é": None}
    event = client.record_audit_event(TENANT, "bot", "add_note", "success", payload=payload)
    assert event.payload_hash == db.execute("SELECT teams_obs.payload_hash(%s::json)",
                                            [json.dumps(payload)]).fetchone()[0]


def test_the_payload_is_never_sent_only_its_hash():
    """A server that logs bind parameters (log_min_duration_statement) must not get the payload to log."""
    call = CALLS["record_audit_event"](TENANT, "bot", "add_note", "success", payload={"note": "secret"})
    assert "payload" not in call.params
    assert call.params["payload_hash"] == jcs.payload_hash('{"note": "secret"}')


@pytest.mark.parametrize(("payload", "content"), [
    ({"note": "a\ud800"}, "note"), ({"note": "a\x00"}, "note"),
    ({7: "a", "7": "b"}, '"7"'),  # keys that json.dumps makes equal, at the top level
])
def test_a_payload_the_database_would_refuse_is_refused_without_its_content(payload, content):
    with pytest.raises(InvalidArgument, match=r"^payload: refused, RFC 8785 or PostgreSQL cannot take it") as raised:
        CALLS["record_audit_event"](TENANT, "bot", "add_note", "success", payload=payload)
    assert content not in str(raised.value)


def test_a_payload_and_a_hash_are_refused_as_the_database_refuses_them(client):
    with pytest.raises(InvalidArgument, match=r"^payload_hash: give the payload or its precomputed hash, not both$"):
        client.record_audit_event(TENANT, "bot", "add_note", "success", payload={"a": 1}, payload_hash="0" * 64)


def test_conversation_references_are_looked_up_as_stored(client):
    """The reader's lookups give the stored rows as dicts, the conversation id trimmed as recording trims it;
    a user, type or tenant with none gives an empty list."""
    tenant = str(uuid.uuid4())
    assert client.record_conversation_reference(tenant, activity("aad-7", "a:conversation-7").obj) is True
    latest = client.latest_conversation_reference(tenant, "aad-7")
    assert [(row["microsoft_user_id"], row["conversation_id"], row["conversation_type"]) for row in latest] == [
        ("aad-7", "a:conversation-7", "personal")]
    assert client.find_conversation_reference(tenant, " a:conversation-7 ") == latest
    assert client.latest_conversation_reference(tenant, "aad-7", conversation_type="groupChat") == []
    assert client.latest_conversation_reference(str(uuid.uuid4()), "aad-7") == []
    assert client.find_conversation_reference(tenant, "a:conversation-8") == []


@pytest.mark.parametrize(("http_status", "error_code", "retryable"), [
    (None, "transient", True), (429, "graph_throttled", True), (403, "graph_unauthorized", False),
    (404, "graph_not_found", False), (503, "graph_server_error", True), (400, "unknown", False),
])
def test_graph_status_error_maps_a_status_to_one_outcome(client, http_status, error_code, retryable):
    assert client.graph_status_error(http_status) == {"error_code": error_code, "retryable": retryable}


def test_graph_status_error_refuses_what_is_no_http_status(client):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"^http_status: not an HTTP status code: 42;"):
        client.graph_status_error(42)


def test_never_raise_logs_and_returns_neutral(db_url, caplog):
    client = Client.connect(db_url, never_raise=True, min_size=1, max_size=1)
    try:
        with caplog.at_level(logging.WARNING, logger="teams_obs"):
            assert client.record_delivery(TENANT, "user_activity", "x", "bogus") is None
            assert client.record_conversation_reference(TENANT, {"from": {}}) is False
        assert "record_delivery failed [22023]" in caplog.text
        secret = "marker-7f3a-secret"
        with caplog.at_level(logging.WARNING, logger="teams_obs"):
            assert client.record_audit_event(TENANT, "bot", "nope", "success", payload={"k": secret}) is None
        assert secret not in caplog.text
    finally:
        client.close()
    strict = Client.connect(db_url, min_size=1, max_size=1)
    try:
        with pytest.raises(Exception) as raised:
            strict.record_delivery(TENANT, "user_activity", "x", "bogus")
        assert raised.value.sqlstate == "22023"
    finally:
        strict.close()


def test_never_raise_logs_one_line_of_a_multi_line_error(db_url, caplog):
    """The server's error text carries DETAIL/CONTEXT lines (here the row of the batch it refused): only its
    first line is logged, one log line per failed call."""
    rows = [{"destination_type": "chat", "destination_id": "c", "status": "sent"},
            {"destination_type": "chat", "destination_id": "d", "status": "bogus"}]
    with Client.connect(db_url, min_size=1, max_size=1) as strict, pytest.raises(psycopg.Error) as raised:
        strict.record_deliveries(TENANT, rows)
    assert raised.value.sqlstate == "22023" and "\n" in str(raised.value)  # the error itself has several lines
    with Client.connect(db_url, never_raise=True, min_size=1, max_size=1) as client, \
            caplog.at_level(logging.WARNING, logger="teams_obs"):
        assert client.record_deliveries(TENANT, rows) is None
    (record,) = [r for r in caplog.records if r.name == "teams_obs"]
    assert record.getMessage() == f"teams_obs.record_deliveries failed [22023]: {str(raised.value).splitlines()[0]}"
    assert "\n" not in record.getMessage()


def test_rows_may_hold_uuids_and_datetimes(client):
    """record_deliveries' rows are typed (uuid, timestamptz columns): Python's own values for them are sent."""
    notification, sent_at = uuid.uuid4(), datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    tenant = str(uuid.uuid4())
    batch = client.record_deliveries(tenant, [{"destination_type": "chat", "destination_id": "c", "status": "sent",
                                               "internal_notification_id": notification, "sent_at": sent_at}])
    assert batch[0]["inserted"] is True
    row = client.list_deliveries(tenant).rows[0]
    assert (row["internal_notification_id"], row["sent_at"]) == (notification, sent_at)


@pytest.mark.parametrize(("value", "reason"), [
    (float("nan"), "Out of range float values are not JSON compliant"),
    (float("inf"), "Out of range float values are not JSON compliant"),
    (Decimal("1.5"), "Object of type Decimal is not JSON serializable"),
    (datetime(2026, 1, 1), "Object of type datetime is not JSON serializable"),
])
def test_payload_json_cannot_encode_is_refused_before_sending(client, db_url, value, reason):
    """Nothing is sent (no row, no server-side parse error quoting the payload); the error names the field."""
    tenant = str(uuid.uuid4())
    with pytest.raises(InvalidArgument) as raised:
        client.record_audit_event(tenant, "bot", "add_note", "success", payload={"secret-7f3a": value})
    # Python 3.12 appends the float itself (": nan"); the key, payload content, is never shown.
    assert str(raised.value).startswith(f"payload: {reason}") and "secret-7f3a" not in str(raised.value)
    assert raised.value.sqlstate == "22023"
    assert client.list_audit_events(tenant).rows == []


@pytest.mark.parametrize(("call", "field"), [
    (lambda c, t: c.record_delivery("tenant-1", "chat", "c", "sent"), "tenant"),
    (lambda c, t: c.record_delivery(t, "chat", "c", "sent", internal_notification_id="n-1"),
     "internal_notification_id"),
    (lambda c, t: c.record_audit_event(t, "bot", "add_note", "success", actor_user_id="n-1"), "actor_user_id"),
    (lambda c, t: c.list_deliveries(t, internal_notification_id="n-1"), "internal_notification_id"),
    (lambda c, t: c.list_audit_events(t, actor_user_id="n-1"), "actor_user_id"),
])
def test_text_that_is_no_uuid_is_refused_naming_the_field(client, call, field):
    """PostgreSQL's uuid input would refuse it (22P02) naming no parameter; nothing is written."""
    tenant = str(uuid.uuid4())
    with pytest.raises(InvalidArgument) as raised:
        call(client, tenant)
    value = "tenant-1" if field == "tenant" else "n-1"
    assert str(raised.value) == f'{field}: invalid value "{value}"; expected a UUID'
    assert raised.value.sqlstate == "22023"
    assert client.list_deliveries(tenant).rows == [] and client.list_audit_events(tenant).rows == []


def test_uuid_text_in_any_form_python_reads_is_sent_as_the_uuid(client):
    tenant, notification = uuid.uuid4(), uuid.uuid4()
    recorded = client.record_delivery(str(tenant).upper(), "chat", "c", "sent",
                                      internal_notification_id="{" + notification.hex + "}")
    row = client.list_deliveries(tenant, internal_notification_id=str(notification)).rows[0]
    assert (row["delivery_id"], row["internal_notification_id"]) == (recorded.delivery_id, notification)


def test_never_raise_covers_arguments_the_client_cannot_send(db_url, caplog):
    client = Client.connect(db_url, never_raise=True, min_size=1, max_size=1)
    try:
        with caplog.at_level(logging.WARNING, logger="teams_obs"):
            assert client.record_audit_event(TENANT, "bot", "add_note", "success",
                                             payload={"secret-7f3a": float("nan")}) is None
            assert client.record_deliveries(TENANT, [{"status": Decimal(1)}]) is None
            assert client.record_conversation_reference(TENANT, ["not", "an", "object"]) is False
            assert client.record_conversation_reference(TENANT, {"when": object()}) is False
            assert client.record_delivery("tenant-1", "chat", "c", "sent") is None
            deep: list = []
            for _level in range(5000):  # deeper than Python walks; the database would hash it
                deep = [deep]
            assert client.record_audit_event(TENANT, "bot", "add_note", "success", payload=deep) is None
            # Refused by json.dumps (RecursionError) or, where Python 3.13's C encoder goes deeper, by teams_obs.jcs.
            assert caplog.records[-1].getMessage().startswith("teams_obs.record_audit_event failed [22023]: payload: ")
        assert "record_audit_event failed [22023]: payload: Out of range float values" in caplog.text
        assert "record_deliveries failed [22023]: rows: Object of type Decimal" in caplog.text
        assert "record_conversation_reference failed [22023]: activity: Object of type object" in caplog.text
        assert 'record_delivery failed [22023]: tenant: invalid value "tenant-1"; expected a UUID' in caplog.text
        assert "secret-7f3a" not in caplog.text
    finally:
        client.close()


def test_async_client(db_url):
    async def scenario():
        async with AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False) as pool:
            client = AsyncClient(pool)
            recorded = await client.record_delivery(TENANT, "channel", "19:abc", "sent")
            page = await client.list_deliveries(TENANT)
            refused = await AsyncClient(pool, never_raise=True).record_audit_event(
                TENANT, "bot", "add_note", "success", payload=[float("nan")])
            return recorded, page, refused

    recorded, page, refused = asyncio.run(scenario())
    assert recorded.inserted and page.rows[0]["delivery_id"] == recorded.delivery_id
    assert refused is None


@pytest.fixture(params=["Client", "AsyncClient"])
def call_never_raise(request, db_url):
    """``call(method, *args, **kwargs)``: one call through a never_raise Client or AsyncClient, its result."""
    if request.param == "Client":
        with Client.connect(db_url, never_raise=True, min_size=1, max_size=1) as client:
            yield lambda method, *args, **kwargs: getattr(client, method)(*args, **kwargs)
        return

    def call(method, *args, **kwargs):
        async def scenario():
            async with await AsyncClient.connect(db_url, never_raise=True, min_size=1, max_size=1) as client:
                return await getattr(client, method)(*args, **kwargs)

        return asyncio.run(scenario())

    yield call


def test_times_at_infinity_are_read_as_the_latest_and_earliest_datetimes(call_never_raise, db):
    """The owner may store them (a far-off clock's row lands in DEFAULT), where psycopg alone fails the page."""
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id,"
               " idempotency_key, status, created_at, sent_at) VALUES (%s, 'chat', 'far', 'k1', 'sent', 'infinity',"
               " '-infinity'), (%s, 'chat', 'near', 'k2', 'sent', now(), NULL),"
               " (%s, 'chat', 'long ago', 'k3', 'sent', '-infinity', NULL)", [TENANT, TENANT, TENANT])
    page = call_never_raise("list_deliveries", TENANT)
    assert page is not None
    rows = [(row["destination_id"], row["created_at"], row["sent_at"]) for row in page.rows]
    assert rows[0] == ("far", LATEST, EARLIEST) and rows[2] == ("long ago", EARLIEST, None)
    assert rows[1][1].tzinfo is not None and rows[1][1] < LATEST  # a finite time is read as before


def stored_rows(db) -> int:
    return db.execute("SELECT (SELECT count(*) FROM teams_obs.notification_deliveries)"
                      " + (SELECT count(*) FROM teams_obs.audit_events)"
                      " + (SELECT count(*) FROM teams_obs.conversation_references)").fetchone()[0]


RECORD = (TENANT, "bot_dm", "x", "sent")


@pytest.mark.parametrize(("method", "args", "keyword"), [
    ("record_delivery", RECORD, "interal_notification_id"),
    ("record_delivery", RECORD, "nonse"),
    ("record_audit_event", (TENANT, "bot", "add_note", "success"), "payload_hsh"),
    ("list_deliveries", (TENANT,), "stauts"),
])
def test_an_unknown_keyword_raises_even_under_never_raise(call_never_raise, db, method, args, keyword):
    """A misspelt keyword on the hot path would otherwise lose every record quietly; nothing is sent."""
    with pytest.raises(TypeError, match=rf"^{method}\(\) got an unexpected keyword argument '{keyword}'; "
                                        r"its parameters: tenant, "):
        call_never_raise(method, *args, **{keyword: "a"})
    assert stored_rows(db) == 0


def test_the_error_for_an_unknown_keyword_lists_the_spec_parameters(client):
    with pytest.raises(TypeError) as raised:
        client.list_deliveries(TENANT, stauts="failed")
    assert str(raised.value) == (
        "list_deliveries() got an unexpected keyword argument 'stauts'; its parameters: tenant, status, category, "
        "destination_type, error_code, internal_notification_id, since, until, limit, cursor")


@pytest.mark.parametrize(("method", "args", "kwargs", "message"), [
    ("list_deliveries", (TENANT,), {"limit": "abc"}, "list_deliveries() argument limit must be int, not str"),
    ("list_audit_events", (TENANT,), {"limit": True}, "list_audit_events() argument limit must be int, not bool"),
    ("list_deliveries", (TENANT,), {"since": "2026-01-01"},
     "list_deliveries() argument since must be datetime, not str"),
    ("record_delivery", RECORD, {"attempt_number": 2.0}, "record_delivery() argument attempt_number must be int, "
                                                         "not float"),
    ("record_delivery", RECORD, {"retryable": 1}, "record_delivery() argument retryable must be bool, not int"),
    ("record_delivery", (TENANT, "bot_dm", 42, "sent"), {}, "record_delivery() argument destination_id must be "
                                                            "str, not int"),
    ("record_delivery", (1234, "bot_dm", "x", "sent"), {}, "record_delivery() argument tenant must be UUID or "
                                                           "str, not int"),
    ("record_delivery", ("tenant-1", "bot_dm", "x", "sent"), {"retryable": "no"},
     "record_delivery() argument retryable must be bool, not str"),
    ("graph_status_error", ("429",), {}, "graph_status_error() argument http_status must be int, not str"),
    ("record_deliveries", (TENANT, {"destination_type": "chat", "destination_id": "c", "status": "sent"}), {},
     "record_deliveries() argument rows must be Sequence, not dict"),
    ("record_deliveries", (TENANT, ({"destination_type": "chat"} for _ in range(2))), {},
     "record_deliveries() argument rows must be Sequence, not generator"),
])
def test_a_value_of_the_wrong_python_type_raises_even_under_never_raise(call_never_raise, db, method, args,
                                                                         kwargs, message):
    """Detected without the server, so never swallowed; checked before any value that cannot be sent (the
    bad tenant text of one case), which never_raise would swallow."""
    with pytest.raises(TypeError) as raised:
        call_never_raise(method, *args, **kwargs)
    assert str(raised.value) == message
    assert stored_rows(db) == 0


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), [
    ("record_audit_event", (TENANT, "bot", "add_note", "success"), {"payload": '{"ticketId": "T-1"}'}, "payload"),
    ("record_audit_event", (TENANT, "bot", "add_note", "success"), {"payload": b'{"ticketId": "T-1"}'}, "payload"),
    ("record_conversation_reference", (TENANT, json.dumps(activity("aad-7", "a:c-7").obj)), {}, "activity"),
    ("record_deliveries", (TENANT, '[{"destination_type": "chat", "destination_id": "c", "status": "sent"}]'), {},
     "rows"),
])
def test_json_text_is_refused_where_the_parsed_value_belongs(call_never_raise, db, method, args, kwargs, field):
    """Text would be sent as one JSON string value: hashed as that (a payload) or recording nothing."""
    with pytest.raises(TypeError) as raised:
        call_never_raise(method, *args, **kwargs)
    assert str(raised.value) == (f"{method}() argument {field} takes the parsed JSON value (dict, list, ...), "
                                 "not JSON text")
    assert stored_rows(db) == 0


def test_payload_text_is_hashed_as_teams_obs_jcs_hashes_it(client):
    """The text is refused as payload; its parsed value, or its hash from teams_obs.jcs, gives the same hash."""
    text = '{"b": 1, "a": [1.0, "x"], "note": "Customer called back"}'
    with pytest.raises(TypeError, match="not JSON text"):
        client.record_audit_event(TENANT, "bot", "add_note", "success", payload=text)
    parsed = client.record_audit_event(TENANT, "bot", "add_note", "success", payload=json.loads(text))
    hashed = client.record_audit_event(TENANT, "bot", "add_note", "success", payload_hash=jcs.payload_hash(text))
    assert parsed.payload_hash == hashed.payload_hash == jcs.payload_hash(text)


SQL_TYPES = {"uuid": {uuid.UUID, str}, "text": {str}, "integer": {int}, "boolean": {bool},
             "timestamp with time zone": {datetime}}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_method_declares_its_sql_function_s_parameters(db, name):
    """The deployed function's parameter names (in order, without p_), which of them have defaults, and their
    types: the client accepts exactly the SPEC §8 names, each as the Python type of its SQL type."""
    function = CALLS[name]
    [(names, modes, defaults, sql_types)] = db.execute(
        "SELECT proargnames, proargmodes::text[], pronargdefaults, proargtypes::oid[]::regtype[]::text[]"
        " FROM pg_proc WHERE pronamespace = 'teams_obs'::regnamespace AND proname = %s", [name]).fetchall()
    inputs = [arg.removeprefix("p_") for arg, mode in zip(names, modes or ["i"] * len(names), strict=True)
              if mode in ("i", "b")]
    parameters = function.signature.parameters
    assert list(parameters) == inputs
    assert [p for p in parameters if parameters[p].default is not inspect.Parameter.empty] == \
        inputs[len(inputs) - defaults:]
    hints = typing.get_type_hints(inspect.unwrap(function), include_extras=True)
    for parameter, sql_type in zip(parameters, sql_types, strict=True):
        hint = hints[parameter]
        if sql_type in ("json", "jsonb"):
            assert typing.get_origin(hint) is Annotated, parameter
        else:
            assert set(typing.get_args(hint) or (hint,)) - {type(None)} == SQL_TYPES[sql_type], parameter


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_a_bound_method_shows_its_sql_function_s_signature(client_class):
    """help() and IDEs show the parameters a call takes: tenant first, not dropped as if it were self."""
    client = client_class(None)
    for name, function in CALLS.items():
        assert inspect.signature(getattr(client, name)) == function.signature


def test_a_closed_pool_raises_even_under_never_raise(db_url):
    """Calling through a pool the caller closed (or never opened) is the caller's bug, not an outage."""
    client = Client.connect(db_url, never_raise=True, min_size=1, max_size=1)
    client.close()
    with pytest.raises(PoolClosed):
        client.record_delivery(*RECORD)

    async def scenario():
        never_opened = AsyncClient(AsyncConnectionPool(db_url, open=False), never_raise=True)
        with pytest.raises(PoolClosed):
            await never_opened.record_delivery(*RECORD)

    asyncio.run(scenario())


def test_clients_are_context_managers_owning_their_pool(db_url):
    with Client.connect(db_url, min_size=1, max_size=1) as client:
        assert client.record_delivery(*RECORD).inserted
    assert client.pool.closed
    with Client(ConnectionPool(db_url, open=False, min_size=1, max_size=1)) as opened_here:
        assert opened_here.list_deliveries(TENANT).rows[0]["destination_type"] == "bot_dm"
    assert opened_here.pool.closed

    async def scenario():
        async with await AsyncClient.connect(db_url, min_size=1, max_size=1) as client:
            page = await client.list_deliveries(TENANT)
        connected = await AsyncClient.connect(db_url, min_size=1, max_size=1)
        health = await connected.delivery_health(TENANT)
        await connected.close()
        return page, client.pool.closed, health, connected.pool.closed

    page, closed, health, connected_closed = asyncio.run(scenario())
    assert len(page.rows) == 1 and closed and health[-1]["total"] == 1 and connected_closed


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_never_raise_waits_briefly_for_a_database_it_cannot_reach(caplog):
    """psycopg_pool's own 30 s wait would hold every hot-path call that long during an outage."""
    url = f"postgresql://teams_obs@127.0.0.1:{unused_port()}/nowhere"
    clients = {"connect": lambda: Client.connect(url, never_raise=True, min_size=1, max_size=1),
               "a pool of the caller's": lambda: Client(ConnectionPool(url, open=False, min_size=1, max_size=1),
                                                        never_raise=True)}
    for how, make_client in clients.items():
        with make_client() as client, caplog.at_level(logging.WARNING, logger="teams_obs"):
            started = time.monotonic()
            assert client.record_delivery(*RECORD) is None
            waited = time.monotonic() - started
        # Seconds, not psycopg_pool's 30: bounded absolutely, so that a longer NEVER_RAISE_POOL_TIMEOUT fails here.
        assert NEVER_RAISE_POOL_TIMEOUT * 0.9 <= waited < 5, how  # a loaded machine is slow
        assert "teams_obs.record_delivery failed [PoolTimeout]: " in caplog.text
    with Client.connect(url, timeout=0.2, min_size=1, max_size=1) as strict, pytest.raises(PoolTimeout):
        strict.record_delivery(*RECORD)
    strict_pool = ConnectionPool(url, open=False, min_size=1, max_size=1)
    with Client(strict_pool, timeout=0.2) as strict, pytest.raises(PoolTimeout):
        strict.record_delivery(*RECORD)

    async def scenario():
        async with await AsyncClient.connect(url, never_raise=True, min_size=1, max_size=1) as client:
            started = time.monotonic()
            return await client.record_delivery(*RECORD), time.monotonic() - started

    result, waited = asyncio.run(scenario())
    assert result is None and NEVER_RAISE_POOL_TIMEOUT * 0.9 <= waited < 5


def test_a_raising_client_waits_for_a_busy_pool_as_long_as_the_pool_waits(db_url):
    """NEVER_RAISE_POOL_TIMEOUT bounds never_raise's wait alone: a client that raises waits the pool's own
    timeout, here longer than that for the pool's only connection."""
    pool = ConnectionPool(db_url, open=False, min_size=1, max_size=1, timeout=30)
    with Client(pool) as client:
        held = pool.getconn()
        handed_back = threading.Timer(NEVER_RAISE_POOL_TIMEOUT + 1, pool.putconn, [held])
        handed_back.start()
        started = time.monotonic()
        recorded = client.record_delivery(*RECORD)
        waited = time.monotonic() - started
        handed_back.join()
    assert recorded.inserted and waited > NEVER_RAISE_POOL_TIMEOUT


NAIVE = datetime(2026, 12, 1, 10, 0)

NAIVE_CALLS = [
    ("record_delivery", RECORD, {"sent_at": NAIVE}, "record_delivery() argument sent_at"),
    ("record_delivery", RECORD, {"delivered_at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC), "responded_at": NAIVE},
     "record_delivery() argument responded_at"),
    ("record_deliveries", (TENANT, [{"destination_type": "chat", "destination_id": "c", "status": "sent"},
                                    {"destination_type": "chat", "destination_id": "d", "status": "sent",
                                     "sent_at": NAIVE}]), {}, "record_deliveries() argument rows[1]['sent_at']"),
    ("record_conversation_reference", (TENANT, activity("aad-7", "a:c-7").obj), {"activity_at": NAIVE},
     "record_conversation_reference() argument activity_at"),
    ("list_deliveries", (TENANT,), {"since": NAIVE}, "list_deliveries() argument since"),
    ("list_audit_events", (TENANT,), {"until": NAIVE}, "list_audit_events() argument until"),
    ("delivery_health", (TENANT, None, NAIVE), {}, "delivery_health() argument until"),
]


def test_a_naive_datetime_inside_an_activity_is_data(call_never_raise, db):
    """The database reads an activity's text fields only (its instant is activity_at): nothing to shift."""
    document = {**activity("aad-8", "a:c-8").obj, "localTimestamp": NAIVE}
    assert call_never_raise("record_conversation_reference", TENANT, document) is True


def test_a_date_in_a_row_raises_even_under_never_raise(call_never_raise, db):
    """A date is sent as an ISO date, which the server reads as midnight in its session's TimeZone."""
    row = {"destination_type": "chat", "destination_id": "d", "status": "sent", "sent_at": date(2026, 12, 1)}
    with pytest.raises(TypeError) as raised:
        call_never_raise("record_deliveries", TENANT, [row])
    assert str(raised.value) == f"record_deliveries() argument rows[0]['sent_at']: {NAIVE_DATE}"
    assert stored_rows(db) == 0


@pytest.mark.parametrize(("method", "args", "kwargs", "argument"), NAIVE_CALLS)
def test_a_datetime_without_tzinfo_raises_even_under_never_raise(call_never_raise, db, method, args, kwargs,
                                                                  argument):
    """Sent as it is, the server would read it in its session's TimeZone: a silently shifted instant."""
    with pytest.raises(TypeError) as raised:
        call_never_raise(method, *args, **kwargs)
    assert str(raised.value) == f"{argument}: {NAIVE_DATETIME}"
    assert stored_rows(db) == 0


def test_a_datetime_without_tzinfo_raises_in_the_strict_client_too(client, db):
    for method, args, kwargs, argument in NAIVE_CALLS:
        with pytest.raises(TypeError, match=rf"^{re.escape(argument)}: a datetime without tzinfo is ambiguous"):
            getattr(client, method)(*args, **kwargs)
    assert stored_rows(db) == 0


def test_an_aware_datetime_is_the_instant_it_names_whatever_the_session_time_zone(db_url):
    """The server session's TimeZone (here +05:30) changes nothing: naive values, which it would apply to,
    are refused."""
    tenant, sent_at = uuid.uuid4(), datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with Client.connect(f"{db_url}?options=-c%20TimeZone%3DAsia/Kolkata", min_size=1, max_size=1) as kolkata:
        with kolkata.pool.connection() as conn:
            assert str(conn.info.timezone) == "Asia/Kolkata"
        kolkata.record_delivery(tenant, "bot_dm", "x", "sent", sent_at=sent_at)
        kolkata.record_deliveries(tenant, [{"destination_type": "chat", "destination_id": "c", "status": "sent",
                                            "sent_at": sent_at.astimezone(timezone(timedelta(hours=-7)))}])
        with pytest.raises(TypeError, match="sent_at: a datetime without tzinfo"):
            kolkata.record_delivery(tenant, "bot_dm", "y", "sent", sent_at=sent_at.replace(tzinfo=None))
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT destination_id, sent_at AT TIME ZONE 'UTC' FROM teams_obs.notification_deliveries"
                              " WHERE tenant = %s ORDER BY 1", [tenant]).fetchall()
    assert stored == [("c", datetime(2026, 12, 1, 10, 0)), ("x", datetime(2026, 12, 1, 10, 0))]


# The first and last times the recorders accept (templates/macros.sql.j2), each a day inside the years Python
# reads; and times around them and around those years.
FIRST_TIME = datetime(1, 1, 2, tzinfo=UTC)
LAST_TIME = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
EDGES = (EARLIEST, FIRST_TIME - MICROSECOND, FIRST_TIME, LAST_TIME, LAST_TIME + MICROSECOND, LATEST)
DELIVERY_TIMES = ("sent_at", "delivered_at", "responded_at")
# Offsets at both ends of the years: Kiritimati is 14 hours ahead of UTC in 9999, 10:29:20 behind in year 1
# (local mean time); St John's 3:30 behind in 9999, 3:30:52 in year 1.
FAR_OFF_ZONES = ("Pacific/Kiritimati", "America/St_Johns")


def in_zone(db_url: str, zone: str) -> str:
    return f"{db_url}?options=-c%20TimeZone%3D{zone}"


@pytest.mark.parametrize("zone", FAR_OFF_ZONES)
def test_every_time_a_delivery_is_recorded_with_is_read_back_whatever_the_session_time_zone(db_url, zone):
    """psycopg gives a time in the session's TimeZone, where one within hours of the years 1 to 9999 in UTC
    would leave Python's datetime and fail the whole page, in the client and in the CLI. So the recorders
    refuse such times, and the first and last they accept read back as stored."""
    tenant = str(uuid.uuid4())
    refused = {}
    with Client.connect(in_zone(db_url, zone), min_size=1, max_size=1) as client:
        for n, at in enumerate(EDGES):
            try:
                client.record_delivery(tenant, "chat", str(n), "delivered", sent_at=at, delivered_at=at,
                                       responded_at=at)
            except psycopg.errors.InvalidParameterValue as error:
                refused[n] = error.diag.message_primary
        rows = client.list_deliveries(tenant).rows
    assert refused == {n: f"sent_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not {shown}"
                       for n, shown in ((0, "0001-01-01 00:00:00"), (1, "0001-01-01 23:59:59.999999"),
                                        (4, "9999-12-31 00:00:00"), (5, "9999-12-31 23:59:59.999999"))}
    stored = {"2": (FIRST_TIME,) * 3, "3": (LAST_TIME,) * 3}
    assert {row["destination_id"]: (row["sent_at"], row["delivered_at"], row["responded_at"])
            for row in rows} == stored
    listed = CliRunner().invoke(main, ["--db", in_zone(db_url, zone), "deliveries", "list", "--tenant", tenant,
                                       "--json"])
    assert listed.exit_code == 0, listed.output
    assert {row["destination_id"]: tuple(datetime.fromisoformat(row[f]) for f in DELIVERY_TIMES)
            for row in json.loads(listed.output)["rows"]} == stored


@pytest.mark.parametrize("zone", FAR_OFF_ZONES)
def test_the_first_activity_time_recorded_is_read_back_whatever_the_session_time_zone(db_url, zone):
    """The same rule for a conversation reference's activity time (no time after now() + 1 hour is taken)."""
    tenant = str(uuid.uuid4())
    with Client.connect(in_zone(db_url, zone), min_size=1, max_size=1) as client:
        with pytest.raises(psycopg.errors.InvalidParameterValue) as raised:
            client.record_conversation_reference(tenant, activity("aad-1", "a:1").obj, FIRST_TIME - MICROSECOND)
        assert raised.value.diag.message_primary == ("activity_at: must be a time from 0001-01-02 until 9999-12-31"
                                                     " (UTC), not 0001-01-01 23:59:59.999999")
        assert client.record_conversation_reference(tenant, activity("aad-1", "a:1").obj, FIRST_TIME) is True
        (latest,) = client.latest_conversation_reference(tenant, "aad-1")
    assert latest["last_activity_at"] == FIRST_TIME
