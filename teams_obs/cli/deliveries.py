"""`teams-obs deliveries list`: a page of one tenant's delivery outcomes (teams_obs.list_deliveries)."""

from __future__ import annotations

from uuid import UUID

import click

from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.listing import Column, fetch, page_options, show_rows
from teams_obs.client import CALLS
from teams_obs.taxonomy import DELIVERY_DESTINATION_TYPES, DELIVERY_ERROR_CODES, DELIVERY_STATUSES

_COLUMNS = (
    Column("created_at"),
    Column("delivery_id"),
    Column("status", lambda row: row["status"] + (f" ({row['error_code']})" if row["error_code"] else "")),
    Column("destination", lambda row: f"{row['destination_type']}:{row['destination_id']}"),
    Column("category"),
    Column("attempt", lambda row: row["attempt_number"]),
    Column("retryable"),
    Column("internal_notification_id"),
    Column("error_message"),
)


@click.group()
def deliveries() -> None:
    """Outcomes of Teams notification delivery attempts."""


# The choices come from the taxonomy source and only serve help and completion: the database checks
# every value again (22023 on a bad one).
@deliveries.command("list")
@click.option("--tenant", type=click.UUID, required=True, help="Tenant whose deliveries to list.")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES))
@click.option("--category", metavar="CATEGORY", help="e.g. assignment, customer_reply, approval_request.")
@click.option("--destination-type", type=click.Choice(DELIVERY_DESTINATION_TYPES))
@click.option("--error-code", type=click.Choice(DELIVERY_ERROR_CODES))
@click.option("--notification-id", "internal_notification_id", type=click.UUID,
              help="Only the attempts of this internal notification.")
@page_options
@pass_session
def list_(session: Session, tenant: UUID, as_json: bool, **filters: object) -> None:
    """List one tenant's deliveries, newest first, one page at a time."""
    with session.connect() as conn:
        rows = fetch(conn, CALLS["list_deliveries"](tenant, **filters))
    show_rows(session.console, rows, _COLUMNS, as_json=as_json, title=f"Deliveries of tenant {tenant}", paged=True)
