"""Rows of one tenant in every table, recorded through the public record functions, and counts of them."""

from __future__ import annotations

from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

DELIVERY_STATUSES = ("delivered", "failed", "skipped", "sent")


def record_deliveries(conn: psycopg.Connection, tenant: UUID, count: int, *, prefix: str = "user") -> None:
    for n in range(count):
        conn.execute("SELECT teams_obs.record_delivery(p_tenant => %s, p_destination_type => 'user_activity', "
                     "p_destination_id => %s, p_status => %s)",
                     (tenant, f"{prefix}-{n}", DELIVERY_STATUSES[n % len(DELIVERY_STATUSES)]))


def record_audit_events(conn: psycopg.Connection, tenant: UUID, count: int) -> None:
    for n in range(count):
        conn.execute("SELECT teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', "
                     "p_action_id => 'add_note', p_result_status => 'success', p_target_type => 'ticket', "
                     "p_target_id => %s, p_payload => %s::json)", (tenant, f"T-{n}", f'{{"n": {n}}}'))


def activity(user: str, conversation: str) -> Jsonb:
    return Jsonb({"from": {"id": f"29:{user}", "aadObjectId": user},
                  "conversation": {"id": conversation, "conversationType": "personal"},
                  "serviceUrl": "https://smba.trafficmanager.net/emea/",
                  "channelData": {"tenant": {"id": "aad-tenant"}}})


def record_conversation_references(conn: psycopg.Connection, tenant: UUID, count: int) -> None:
    for n in range(count):
        conn.execute("SELECT teams_obs.record_conversation_reference(%s, %s)",
                     (tenant, activity(f"aad-{n}", f"a:conversation-{n}")))


def record_sample(conn: psycopg.Connection, tenant: UUID, deliveries: int = 5, audit_events: int = 3,
                  conversations: int = 2) -> dict[str, int]:
    """Records rows of ``tenant`` in every table; returns the rows expected per table."""
    record_deliveries(conn, tenant, deliveries)
    record_deliveries(conn, tenant, 1)  # a duplicate of the first: stores nothing
    record_audit_events(conn, tenant, audit_events)
    record_conversation_references(conn, tenant, conversations)
    return {
        "teams_obs.notification_delivery_idempotency": deliveries,
        "teams_obs.notification_deliveries": deliveries,
        "teams_obs.audit_events": audit_events,
        "teams_obs.conversation_references": conversations,
    }


def tenant_tables(conn: psycopg.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT table_name FROM teams_obs.tenant_deletion_order() ORDER BY step").fetchall()]


def counts(conn: psycopg.Connection, tenant: UUID) -> dict[str, int]:
    """Rows of ``tenant`` per table (read as the owner, so row level security does not apply)."""
    return {table: conn.execute(f"SELECT count(*) FROM {table} WHERE tenant = %s", (tenant,)).fetchone()[0]
            for table in tenant_tables(conn)}


def snapshot(conn: psycopg.Connection, tenant: UUID) -> dict[str, list[tuple]]:
    """Every row of ``tenant`` in every table, sorted: equal snapshots mean nothing was changed."""
    return {table: sorted(map(repr, conn.execute(f"SELECT t.* FROM {table} t WHERE tenant = %s",
                                                 (tenant,)).fetchall()))
            for table in tenant_tables(conn)}
