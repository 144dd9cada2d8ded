"""`teams-obs conversations show`: a tenant's stored Bot Framework conversation references."""

from __future__ import annotations

from uuid import UUID

import click

from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.listing import Column, fetch, json_option, show_rows
from teams_obs.client import CALLS
from teams_obs.taxonomy import CONVERSATION_TYPES

ANY_TYPE = "any"

_COLUMNS = tuple(Column(name) for name in (
    "microsoft_user_id", "conversation_id", "conversation_type", "service_url", "tenant_id_aad",
    "channel_id_bot_framework", "last_activity_at", "updated_at"))


@click.group()
def conversations() -> None:
    """Bot Framework conversation references (what proactive messages are sent through)."""


@conversations.command()
@click.option("--tenant", type=click.UUID, required=True)
@click.option("--user", "user_id", metavar="ID",
              help="Microsoft user id (AAD object id): show the user's most recently active conversation.")
@click.option("--type", "conversation_type", type=click.Choice((*CONVERSATION_TYPES, ANY_TYPE)),
              default="personal", show_default=True, help="With --user: the conversation type to pick.")
@click.option("--conversation", "conversation_id", metavar="ID",
              help="Conversation id: show its references, one per user, newest first.")
@json_option
@pass_session
def show(session: Session, tenant: UUID, user_id: str | None, conversation_type: str,
         conversation_id: str | None, as_json: bool) -> None:
    """Show the reference a proactive message would use: by user (--user) or by conversation (--conversation)."""
    if (user_id is None) == (conversation_id is None):
        raise click.UsageError("give exactly one of --user and --conversation")
    with session.connect() as conn:
        if user_id is not None:
            rows = fetch(conn, CALLS["latest_conversation_reference"](
                tenant, user_id, None if conversation_type == ANY_TYPE else conversation_type))
            title = f"Latest {conversation_type} conversation of user {user_id}"
        else:
            rows = fetch(conn, CALLS["find_conversation_reference"](tenant, conversation_id))
            title = f"Conversation {conversation_id}"
    show_rows(session.console, rows, _COLUMNS, as_json=as_json, title=f"{title} (tenant {tenant})")
