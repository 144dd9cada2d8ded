"""`teams-obs audit list`: a page of one tenant's audit events (teams_obs.list_audit_events)."""

from __future__ import annotations

from uuid import UUID

import click

from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.listing import Column, fetch, page_options, show_rows
from teams_obs.client import CALLS
from teams_obs.taxonomy import AUDIT_ACTION_IDS, AUDIT_ERROR_CODES, AUDIT_RESULT_STATUSES, AUDIT_SURFACES

_COLUMNS = (
    Column("created_at"),
    Column("event_id"),
    Column("surface"),
    Column("action_id"),
    Column("result", lambda row: row["result_status"] + (f" ({row['error_code']})" if row["error_code"] else "")),
    Column("actor_user_id"),
    Column("microsoft_user_id"),
    Column("target", lambda row: ":".join(v for v in (row["target_type"], row["target_id"]) if v)),
    Column("idempotency_key"),
    Column("payload_hash", lambda row: row["payload_hash"] and row["payload_hash"][:12] + "…"),
)


@click.group()
def audit() -> None:
    """Audit trail of Teams-originated mutations (payload hashes, never payloads)."""


# The choices come from the taxonomy source and only serve help and completion: the database checks
# every value again (22023 on a bad one).
@audit.command("list")
@click.option("--tenant", type=click.UUID, required=True, help="Tenant whose events to list.")
@click.option("--surface", type=click.Choice(AUDIT_SURFACES))
@click.option("--action-id", type=click.Choice(AUDIT_ACTION_IDS))
@click.option("--actor-user-id", type=click.UUID, help="PSA user id of the actor.")
@click.option("--result-status", type=click.Choice(AUDIT_RESULT_STATUSES))
@click.option("--error-code", type=click.Choice(AUDIT_ERROR_CODES), help="Failures with this error code.")
@click.option("--target-type", metavar="TYPE", help="e.g. ticket, project_task, approval, time_entry, contact.")
@click.option("--target-id", metavar="ID")
@page_options
@pass_session
def list_(session: Session, tenant: UUID, as_json: bool, **filters: object) -> None:
    """List one tenant's audit events, newest first, one page at a time."""
    with session.connect() as conn:
        rows = fetch(conn, CALLS["list_audit_events"](tenant, **filters))
    show_rows(session.console, rows, _COLUMNS, as_json=as_json, title=f"Audit events of tenant {tenant}", paged=True)
