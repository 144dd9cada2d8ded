"""The typed client: sync and async calls, pages, and never_raise on the hot path."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from teams_obs.client import AsyncClient, Client, Page, RecordedDelivery

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


def test_async_client(db_url):
    async def scenario():
        async with AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False) as pool:
            client = AsyncClient(pool)
            recorded = await client.record_delivery(TENANT, "channel", "19:abc", "sent")
            page = await client.list_deliveries(TENANT)
            return recorded, page

    recorded, page = asyncio.run(scenario())
    assert recorded.inserted and page.rows[0]["delivery_id"] == recorded.delivery_id
