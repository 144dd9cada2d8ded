# Rendered from templates/render/teams_obs/client_methods.pyi.j2 and the declarations in teams_obs/client.py
# by `teams-obs render`: edit those.
"""What Client and AsyncClient have, for static checkers only: _with_calls attaches the methods at import
time, from the same declarations, so nothing imports this stub at run time.

Both are generic in Neutral, what a failed call returns besides the declared type: None for a never_raise
client (Client[None], as Client.connect(url, never_raise=True) gives), so that its callers check for it,
and nothing (Never) for another (Client), whose callers need not. A neutral result of the declared type
(False for record_conversation_reference) is in the declared type already."""

from datetime import datetime
from typing import Generic, Never

from typing_extensions import TypeVar

from teams_obs.client import Activity, DeliveryRows, Payload, RecordedAuditEvent, RecordedDelivery
from teams_obs.sql_function import Page, Row, Uuid

# Covariant: a client that raises will do where a never_raise one is expected, not the other way round.
Neutral = TypeVar("Neutral", covariant=True, default=Never)

class SyncCalls(Generic[Neutral]):
    def record_delivery(
        self,
        tenant: Uuid,
        destination_type: str,
        destination_id: str,
        status: str,
        *,
        internal_notification_id: Uuid | None = None,
        category: str | None = None,
        attempt_number: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        retryable: bool | None = None,
        provider_message_id: str | None = None,
        provider_request_id: str | None = None,
        sent_at: datetime | None = None,
        delivered_at: datetime | None = None,
        responded_at: datetime | None = None,
        nonce: str | None = None,
    ) -> RecordedDelivery | Neutral:
        """Record one delivery outcome, idempotently: a repeat gives ``inserted=False`` and the original row."""

    def record_deliveries(
        self,
        tenant: Uuid,
        rows: DeliveryRows,
    ) -> list[Row] | Neutral:
        """Record many outcomes in one call; ``rows`` are dicts of record_delivery's parameters but tenant."""

    def record_audit_event(
        self,
        tenant: Uuid,
        surface: str,
        action_id: str,
        result_status: str,
        *,
        actor_user_id: Uuid | None = None,
        microsoft_user_id: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        idempotency_key: str | None = None,
        payload: Payload = None,
        payload_hash: str | None = None,
        error_code: str | None = None,
    ) -> RecordedAuditEvent | Neutral:
        """Record one executed Teams mutation. ``payload`` is the parsed JSON value (dict, list, ...): the client
        sends only its RFC 8785 hash, computed here. For raw JSON text pass
        ``payload_hash=teams_obs.jcs.payload_hash(text)``."""

    def record_conversation_reference(
        self,
        tenant: Uuid,
        activity: Activity,
        activity_at: datetime | None = None,
    ) -> bool:
        """Upsert the conversation reference of a parsed Bot Framework activity; False when it lacks one."""

    def list_deliveries(
        self,
        tenant: Uuid,
        *,
        status: str | None = None,
        category: str | None = None,
        destination_type: str | None = None,
        error_code: str | None = None,
        internal_notification_id: Uuid | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page | Neutral:
        """One page of the tenant's deliveries, newest first."""

    def list_audit_events(
        self,
        tenant: Uuid,
        *,
        surface: str | None = None,
        action_id: str | None = None,
        actor_user_id: Uuid | None = None,
        result_status: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        error_code: str | None = None,
    ) -> Page | Neutral:
        """One page of the tenant's audit events, newest first."""

    def latest_conversation_reference(
        self,
        tenant: Uuid,
        microsoft_user_id: str,
        conversation_type: str | None = 'personal',
    ) -> list[Row] | Neutral:
        """The user's most recently active conversation reference of that type (None: any); [] if none."""

    def find_conversation_reference(
        self,
        tenant: Uuid,
        conversation_id: str,
    ) -> list[Row] | Neutral:
        """The references of one conversation, newest activity first; [] if unknown."""

    def graph_status_error(
        self,
        http_status: int | None,
    ) -> Row | Neutral:
        """(error_code, retryable) for a Graph HTTP status; None for a request that threw."""

    def delivery_health(
        self,
        tenant: Uuid,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Row] | Neutral:
        """Per UTC day of [since, until) and then the whole window (``day`` None); default the last 7 days."""

    def maintenance_status(
        self,
    ) -> list[Row] | Neutral:
        """Per partitioned table: its monthly partitions, months of them ahead, rows waiting in DEFAULT."""

class AsyncCalls(Generic[Neutral]):
    async def record_delivery(
        self,
        tenant: Uuid,
        destination_type: str,
        destination_id: str,
        status: str,
        *,
        internal_notification_id: Uuid | None = None,
        category: str | None = None,
        attempt_number: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        retryable: bool | None = None,
        provider_message_id: str | None = None,
        provider_request_id: str | None = None,
        sent_at: datetime | None = None,
        delivered_at: datetime | None = None,
        responded_at: datetime | None = None,
        nonce: str | None = None,
    ) -> RecordedDelivery | Neutral:
        """Record one delivery outcome, idempotently: a repeat gives ``inserted=False`` and the original row."""

    async def record_deliveries(
        self,
        tenant: Uuid,
        rows: DeliveryRows,
    ) -> list[Row] | Neutral:
        """Record many outcomes in one call; ``rows`` are dicts of record_delivery's parameters but tenant."""

    async def record_audit_event(
        self,
        tenant: Uuid,
        surface: str,
        action_id: str,
        result_status: str,
        *,
        actor_user_id: Uuid | None = None,
        microsoft_user_id: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        idempotency_key: str | None = None,
        payload: Payload = None,
        payload_hash: str | None = None,
        error_code: str | None = None,
    ) -> RecordedAuditEvent | Neutral:
        """Record one executed Teams mutation. ``payload`` is the parsed JSON value (dict, list, ...): the client
        sends only its RFC 8785 hash, computed here. For raw JSON text pass
        ``payload_hash=teams_obs.jcs.payload_hash(text)``."""

    async def record_conversation_reference(
        self,
        tenant: Uuid,
        activity: Activity,
        activity_at: datetime | None = None,
    ) -> bool:
        """Upsert the conversation reference of a parsed Bot Framework activity; False when it lacks one."""

    async def list_deliveries(
        self,
        tenant: Uuid,
        *,
        status: str | None = None,
        category: str | None = None,
        destination_type: str | None = None,
        error_code: str | None = None,
        internal_notification_id: Uuid | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page | Neutral:
        """One page of the tenant's deliveries, newest first."""

    async def list_audit_events(
        self,
        tenant: Uuid,
        *,
        surface: str | None = None,
        action_id: str | None = None,
        actor_user_id: Uuid | None = None,
        result_status: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        error_code: str | None = None,
    ) -> Page | Neutral:
        """One page of the tenant's audit events, newest first."""

    async def latest_conversation_reference(
        self,
        tenant: Uuid,
        microsoft_user_id: str,
        conversation_type: str | None = 'personal',
    ) -> list[Row] | Neutral:
        """The user's most recently active conversation reference of that type (None: any); [] if none."""

    async def find_conversation_reference(
        self,
        tenant: Uuid,
        conversation_id: str,
    ) -> list[Row] | Neutral:
        """The references of one conversation, newest activity first; [] if unknown."""

    async def graph_status_error(
        self,
        http_status: int | None,
    ) -> Row | Neutral:
        """(error_code, retryable) for a Graph HTTP status; None for a request that threw."""

    async def delivery_health(
        self,
        tenant: Uuid,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Row] | Neutral:
        """Per UTC day of [since, until) and then the whole window (``day`` None); default the last 7 days."""

    async def maintenance_status(
        self,
    ) -> list[Row] | Neutral:
        """Per partitioned table: its monthly partitions, months of them ahead, rows waiting in DEFAULT."""
