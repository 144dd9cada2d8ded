"""Realistic sample traffic for `teams-obs demo`: what a Teams integration records in a day, for a few tenants."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from teams_obs.client import Client

TENANTS = {
    "Contoso": uuid.UUID("6f1c1d2e-1111-4a5b-9c3d-000000000001"),
    "Fabrikam": uuid.UUID("6f1c1d2e-2222-4a5b-9c3d-000000000002"),
    "Northwind": uuid.UUID("6f1c1d2e-3333-4a5b-9c3d-000000000003"),
}
CATEGORIES = ("assignment", "customer_reply", "approval_request", "escalation", "sla_risk")
# Graph answers for the attempts that reached Graph: mostly 201, some throttling and failures.
GRAPH_STATUSES = (201, 201, 201, 201, 201, 201, 429, 503, 403, 404, None)
SKIPS = ("user_not_mapped", "addon_inactive", "integration_inactive", "package_misconfigured")


def record_deliveries(client: Client, tenant: uuid.UUID, count: int) -> Counter:
    """Record ``count`` notification outcomes for one tenant, then replay a few (duplicates)."""
    outcomes: Counter = Counter()
    sent_at = datetime.now(UTC) - timedelta(minutes=5)
    calls = []
    for n in range(count):
        call = {"internal_notification_id": uuid.uuid5(tenant, f"notification-{n}"),
                "category": CATEGORIES[n % len(CATEGORIES)], "attempt_number": 1}
        if n % 9 == 8:
            call.update(destination_type="user_activity", destination_id=f"psa-user-{n}", status="skipped",
                        error_code=SKIPS[n % len(SKIPS)], retryable=False)
        else:
            http_status = GRAPH_STATUSES[n % len(GRAPH_STATUSES)]
            destination = ("bot_dm", f"29:bot-conversation-{n}") if n % 4 == 0 else ("user_activity", f"aad-{n}")
            call.update(destination_type=destination[0], destination_id=destination[1], sent_at=sent_at)
            if http_status == 201 and destination[0] == "bot_dm":  # accepted by the Bot Framework, unconfirmed
                call.update(status="sent", provider_request_id=f"request-{n}")
            elif http_status == 201:
                call.update(status="delivered", delivered_at=sent_at + timedelta(milliseconds=300 + 37 * n),
                            provider_request_id=f"request-{n}")
            else:
                mapped = client.graph_status_error(http_status)
                call.update(status="failed", error_code=mapped["error_code"], retryable=mapped["retryable"],
                            error_message=f"Graph answered {http_status or 'nothing (timeout)'}")
        calls.append(call)
    for call in calls + calls[:3]:  # the last three are retried deliveries of already recorded outcomes
        recorded = client.record_delivery(tenant, **call)
        outcomes["recorded" if recorded.inserted else "duplicates"] += 1
        outcomes[call["status"]] += recorded.inserted
    return outcomes


def record_audit_events(client: Client, tenant: uuid.UUID) -> int:
    actions = [("bot", "assign_ticket", "success", None), ("message_extension", "create_ticket_from_message",
                "success", None), ("quick_action", "add_note", "failure", "forbidden"),
               ("bot", "log_time", "failure", "validation_error"), ("tab", "approval_response", "success", None)]
    for n, (surface, action, result, error) in enumerate(actions):
        client.record_audit_event(tenant, surface, action, result, error_code=error,
                                  actor_user_id=uuid.uuid5(tenant, "actor"), target_type="ticket",
                                  target_id=f"T-{1000 + n}",
                                  payload={"ticketId": f"T-{1000 + n}", "note": "Customer called back ✓",
                                           "minutes": 15 * n, "billable": n % 2 == 0})
    return len(actions)


def conversation_user(tenant: uuid.UUID) -> str:
    return f"aad-user-{tenant.hex[:8]}"


def record_conversations(client: Client, tenant: uuid.UUID) -> None:
    user = conversation_user(tenant)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    for conversation, kind, at in (("a:personal-chat", "personal", earlier),
                                   ("19:team-channel@thread.tacv2", "channel", earlier),
                                   ("a:personal-chat", "personal", datetime.now(UTC))):
        client.record_conversation_reference(tenant, {
            "from": {"id": "29:bot-framework-id", "aadObjectId": user},
            "conversation": {"id": conversation, "conversationType": kind},
            "serviceUrl": "https://smba.trafficmanager.net/emea/", "channelId": "msteams",
            "channelData": {"tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}},
        }, at)
