"""`teams-obs demo`: the main job on an embedded throwaway PostgreSQL, each step printed."""

from __future__ import annotations

import click

from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.migrate import deploy, log, revert, status, verify


@click.command()
@pass_session
@click.pass_context
def demo(ctx: click.Context, session: Session) -> None:
    """Deploy, verify, show status and log, revert and deploy again; then record and read data."""
    steps = [
        ("deploy", lambda: ctx.invoke(deploy, verify=True)),
        ("verify", lambda: ctx.invoke(verify)),
        ("status", lambda: ctx.invoke(status)),
        ("log", lambda: ctx.invoke(log)),
        ("revert -y", lambda: ctx.invoke(revert, yes=True)),
        ("deploy", lambda: ctx.invoke(deploy)),
    ]
    for number, (title, step) in enumerate(steps, 1):
        session.console.rule(f"[bold]{number}. teams-obs {title}")
        step()
