"""The typed client: sync and async calls, pages, and never_raise on the hot path."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from teams_obs.client import AsyncClient, Client, InvalidArgument, Page, RecordedDelivery
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


def test_audit_event_hashes_payload(client):
    event = client.record_audit_event(TENANT, "bot", "add_note", "success", payload={"b": 1, "a": [1.0, "x"]})
    assert len(event.payload_hash) == 64


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


def test_rows_may_hold_uuids_and_datetimes(client):
    """record_deliveries' rows are typed (uuid, timestamptz columns): Python's own values for them are sent."""
    notification, sent_at = uuid.uuid4(), datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    tenant = str(uuid.uuid4())
    batch = client.record_deliveries(tenant, [{"destination_type": "chat", "destination_id": "c", "status": "sent",
                                               "internal_notification_id": notification, "sent_at": sent_at}])
    assert batch[0]["inserted"] is True
    row = client.list_deliveries(tenant).rows[0]
    assert (row["internal_notification_id"], row["sent_at"]) == (notification, sent_at)


@pytest.mark.parametrize(("payload", "reason"), [
    ({"amount": float("nan")}, "Out of range float values are not JSON compliant"),
    ({"amount": float("inf")}, "Out of range float values are not JSON compliant"),
    ({"amount": Decimal("1.5")}, "Object of type Decimal is not JSON serializable"),
    ({"at": datetime(2026, 1, 1)}, "Object of type datetime is not JSON serializable"),
])
def test_payload_json_cannot_encode_is_refused_before_sending(client, db_url, payload, reason):
    """Nothing is sent (no row, no server-side parse error quoting the payload); the error names the field."""
    tenant = str(uuid.uuid4())
    with pytest.raises(InvalidArgument) as raised:
        client.record_audit_event(tenant, "bot", "add_note", "success", payload=payload)
    assert str(raised.value) == f"payload: {reason}" and raised.value.sqlstate == "22023"
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
