"""No function returns, changes or deletes another tenant's rows, whatever cursor or filter it is given.

Tenants A and B share every identifier a caller can pass (destination ids, notification id, users,
conversations, targets); A also has rows marked "only-a" that must never show up in an answer for B.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.function_roles import EXPECTED
from tests.tenant_data import activity, counts, snapshot

A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
B = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
NOTIFICATION = uuid.UUID("00000000-0000-4000-8000-00000000000e")
SHARED = ("shared-1", "shared-2")
STATUSES = ("delivered", "failed", "skipped", "sent")


def record(db: psycopg.Connection, tenant: uuid.UUID, ids: tuple[str, ...]) -> None:
    for n, name in enumerate(ids):
        failed = STATUSES[n % 4] == "failed"
        db.execute("SELECT teams_obs.record_delivery(p_tenant => %s, p_destination_type => 'bot_dm', "
                   "p_destination_id => %s, p_status => %s, p_internal_notification_id => %s, "
                   "p_category => 'assignment', p_error_code => %s)",
                   (tenant, name, STATUSES[n % 4], NOTIFICATION, "graph_throttled" if failed else None))
        db.execute("SELECT teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', p_action_id => 'add_note', "
                   "p_result_status => 'success', p_microsoft_user_id => %s, p_target_type => 'ticket', "
                   "p_target_id => %s)", (tenant, name, name))
        db.execute("SELECT teams_obs.record_conversation_reference(%s, %s)", (tenant, activity(name, f"a:{name}")))


@pytest.fixture
def two_tenants(db: psycopg.Connection) -> psycopg.Connection:
    record(db, A, (*SHARED, "only-a-1", "only-a-2", "only-a-3"))
    record(db, B, SHARED)
    return db


def a_markers(db: psycopg.Connection) -> set[str]:
    """Values that exist only in tenant A's rows: its row ids and its own identifiers."""
    ids = db.execute("SELECT delivery_id::text FROM teams_obs.notification_deliveries WHERE tenant = %s "
                     "UNION ALL SELECT event_id::text FROM teams_obs.audit_events WHERE tenant = %s", (A, A)).fetchall()
    return {value for (value,) in ids} | {"only-a", str(A)}


def test_no_function_called_for_b_returns_or_changes_a_row(two_tenants: psycopg.Connection) -> None:
    """Every declared call that takes a tenant, made for B: A's rows stay as they were and none of A's
    values appears in any answer."""
    db = two_tenants
    before, markers = snapshot(db, A), a_markers(db)
    tenant_calls = {name: call for name, (_roles, call) in EXPECTED.items() if call and "%(t)s" in call}
    assert {"record_delivery", "list_deliveries", "list_audit_events", "delivery_health", "purge_tenant"} <= set(
        tenant_calls)
    for name, call in sorted(tenant_calls.items()):
        answer = repr(db.execute(call, {"t": B}).fetchall())
        assert not [marker for marker in markers if marker in answer], name
    assert snapshot(db, A) == before


@pytest.mark.parametrize(("function", "filters"), [
    ("list_deliveries", {}),
    ("list_deliveries", {"p_status": "failed"}),
    ("list_deliveries", {"p_category": "assignment"}),
    ("list_deliveries", {"p_destination_type": "bot_dm"}),
    ("list_deliveries", {"p_error_code": "graph_throttled"}),
    ("list_deliveries", {"p_internal_notification_id": NOTIFICATION}),
    ("list_deliveries", {"p_category": "assignment' OR tenant IS NOT NULL --"}),
    ("list_deliveries", {"p_since": "-infinity", "p_until": "infinity", "p_limit": 1000}),
    ("list_audit_events", {}),
    ("list_audit_events", {"p_surface": "bot", "p_action_id": "add_note", "p_result_status": "success"}),
    ("list_audit_events", {"p_target_type": "ticket", "p_target_id": "only-a-1"}),
    ("list_audit_events", {"p_target_id": "x' OR '1'='1"}),
])
def test_lists_answer_only_for_the_tenant_asked(two_tenants: psycopg.Connection, function: str,
                                                filters: dict) -> None:
    query = "SELECT tenant FROM teams_obs.{}(p_tenant => %(p_tenant)s{})".format(
        function, "".join(f", {name} => %({name})s" for name in filters))
    tenants = {tenant for (tenant,) in two_tenants.execute(query, {"p_tenant": B, **filters}).fetchall()}
    assert tenants <= {B}


@pytest.mark.parametrize("function", ["list_deliveries", "list_audit_events"])
def test_a_cursor_of_another_tenant_or_list_is_refused(two_tenants: psycopg.Connection, function: str) -> None:
    db = two_tenants
    other = "list_audit_events" if function == "list_deliveries" else "list_deliveries"
    (a_cursor,) = db.execute(f"SELECT next_cursor FROM teams_obs.{function}(%s, p_limit => 1) "
                             "WHERE next_cursor IS NOT NULL", (A,)).fetchone()
    (other_cursor,) = db.execute(f"SELECT next_cursor FROM teams_obs.{other}(%s, p_limit => 1) "
                                 "WHERE next_cursor IS NOT NULL", (B,)).fetchone()
    for cursor in (a_cursor, other_cursor, a_cursor[:-2] + ("AA" if a_cursor[-2:] != "AA" else "BB")):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"^cursor: "):
            db.execute(f"SELECT * FROM teams_obs.{function}(%s, p_cursor => %s)", (B, cursor))


def test_lookups_never_find_another_tenants_reference(two_tenants: psycopg.Connection) -> None:
    db = two_tenants
    assert db.execute("SELECT * FROM teams_obs.latest_conversation_reference(%s, 'only-a-1')", (B,)).fetchall() == []
    assert db.execute("SELECT * FROM teams_obs.find_conversation_reference(%s, 'a:only-a-1')", (B,)).fetchall() == []
    shared = db.execute("SELECT tenant FROM teams_obs.latest_conversation_reference(%s, 'shared-1') "
                        "UNION ALL SELECT tenant FROM teams_obs.find_conversation_reference(%s, 'a:shared-1')",
                        (B, B)).fetchall()
    assert shared == [(B,), (B,)]


def test_recording_the_same_identifiers_for_b_never_reuses_or_moves_a_row(two_tenants: psycopg.Connection) -> None:
    """Same key inputs, same users and conversations, a newer activity: B gets rows of its own."""
    db = two_tenants
    before = snapshot(db, A)
    a_ids = {d for (d,) in db.execute("SELECT delivery_id FROM teams_obs.notification_deliveries WHERE tenant = %s",
                                      (A,)).fetchall()}
    inserted, delivery_id = db.execute(
        "SELECT inserted, delivery_id FROM teams_obs.record_delivery(p_tenant => %s, p_destination_type => 'bot_dm', "
        "p_destination_id => 'only-a-1', p_status => 'failed', p_internal_notification_id => %s, "
        "p_category => 'assignment')", (B, NOTIFICATION)).fetchone()
    assert inserted and delivery_id not in a_ids
    rows = db.execute("SELECT inserted, delivery_id FROM teams_obs.record_deliveries(%s, %s)", (B, Jsonb([
        {"destination_type": "bot_dm", "destination_id": "only-a-2", "status": "sent",
         "internal_notification_id": str(NOTIFICATION)}]))).fetchall()
    assert rows[0][0] and rows[0][1] not in a_ids
    newer = Jsonb({**activity("only-a-3", "a:only-a-3").obj, "serviceUrl": "https://evil.example/"})
    assert db.execute("SELECT teams_obs.record_conversation_reference(%s, %s, now() + interval '30 minutes')",
                      (B, newer)).fetchone()[0]
    assert snapshot(db, A) == before


def test_health_and_purge_count_only_their_tenant(two_tenants: psycopg.Connection) -> None:
    db = two_tenants
    b_deliveries = counts(db, B)["teams_obs.notification_deliveries"]
    window = db.execute("SELECT total FROM teams_obs.delivery_health(%s, now() - interval '1 hour', "
                        "now() + interval '1 hour') WHERE day IS NULL", (B,)).fetchone()[0]
    assert window == b_deliveries == len(SHARED)
    before = snapshot(db, A)
    assert dict(db.execute("SELECT * FROM teams_obs.purge_tenant(%s)", (B,)).fetchall()) == {
        "teams_obs.notification_delivery_idempotency": 2, "teams_obs.notification_deliveries": 2,
        "teams_obs.audit_events": 2, "teams_obs.conversation_references": 2}
    assert snapshot(db, A) == before
