"""`teams-obs demo`: the main job on an embedded throwaway PostgreSQL, each step printed."""

from __future__ import annotations

import click
from rich.table import Table

from teams_obs import demo_data
from teams_obs.cli.audit import audit
from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.conversations import conversations
from teams_obs.cli.deliveries import deliveries
from teams_obs.cli.health import health_command
from teams_obs.cli.maintain import maintain
from teams_obs.cli.migrate import deploy, log, revert, status, verify
from teams_obs.client import Client


@click.command()
@pass_session
@click.pass_context
def demo(ctx: click.Context, session: Session) -> None:
    """Deploy, verify, show status and log, revert and deploy again; then record and read data. Always on
    an embedded throwaway PostgreSQL: a database named by --db or TEAMS_OBS_DATABASE_URL is not touched."""
    if not session.embedded:  # the demo reverts everything: never on a database someone named
        click.echo("teams-obs demo runs on an embedded throwaway PostgreSQL; the database named by --db or "
                   "TEAMS_OBS_DATABASE_URL is not touched", err=True)
    session = ctx.obj = Session(None, throwaway=True)
    contoso = demo_data.TENANTS["Contoso"]
    user = demo_data.conversation_user(contoso)

    def record() -> None:
        table = Table("tenant", "recorded", "duplicates", "sent", "delivered", "failed", "skipped",
                      "audit events")
        with Client.connect(session.url(deployed=False), min_size=1, max_size=1) as client:
            for name, tenant in demo_data.TENANTS.items():
                counts = demo_data.record_deliveries(client, tenant, 40 if name == "Contoso" else 15)
                events = demo_data.record_audit_events(client, tenant)
                demo_data.record_conversations(client, tenant)
                table.add_row(name, *(str(counts[k]) for k in ("recorded", "duplicates", "sent", "delivered",
                                                              "failed", "skipped")), str(events))
        session.console.print(table)

    def health() -> None:
        try:
            ctx.invoke(health_command, tenant=contoso)
        except SystemExit as exited:  # exit status 1 flags attention for monitoring; the demo goes on
            if exited.code != 1:  # a signal (128 + its number) ends the demo
                raise
            session.console.print(f"(health exit status {exited.code}: failures above the threshold)")

    list_group = deliveries.get_command(ctx, "list")
    steps = [
        ("teams-obs deploy --verify", lambda: ctx.invoke(deploy, verify=True)),
        ("teams-obs verify", lambda: ctx.invoke(verify)),
        ("teams-obs status", lambda: ctx.invoke(status)),
        ("teams-obs log", lambda: ctx.invoke(log)),
        ("teams-obs revert -y", lambda: ctx.invoke(revert, yes=True)),
        ("teams-obs deploy", lambda: ctx.invoke(deploy)),
        ("teams-obs maintain --dry-run", lambda: ctx.invoke(maintain, dry_run=True)),
        ("the client records deliveries, audit events and conversation references", record),
        (f"teams-obs deliveries list --tenant {contoso} --limit 8",
         lambda: ctx.invoke(list_group, tenant=contoso, limit=8)),
        (f"teams-obs deliveries list --tenant {contoso} --status failed --limit 5",
         lambda: ctx.invoke(list_group, tenant=contoso, status="failed", limit=5)),
        (f"teams-obs audit list --tenant {contoso}",
         lambda: ctx.invoke(audit.get_command(ctx, "list"), tenant=contoso)),
        (f"teams-obs conversations show --tenant {contoso} --user {user}",
         lambda: ctx.invoke(conversations.get_command(ctx, "show"), tenant=contoso, user_id=user)),
        (f"teams-obs health --tenant {contoso}", health),
    ]
    session.url(deployed=False)  # the cluster first: a missing [embedded] extra is said before any step
    for number, (title, step) in enumerate(steps, 1):
        session.console.print(f"\n[bold]── {number}. {title}[/bold]")
        step()
