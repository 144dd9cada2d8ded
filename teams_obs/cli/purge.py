"""`teams-obs purge-tenant TENANT`: delete every row of a tenant, with confirmation and a progress bar."""

from __future__ import annotations

from uuid import UUID

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from teams_obs import purge
from teams_obs.cli.context import Session, pass_session


@click.command("purge-tenant")
@click.argument("tenant", type=click.UUID)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_session
def purge_tenant(session: Session, tenant: UUID, yes: bool) -> None:
    """Delete every row of TENANT from every table (tenant_deletion_order(), dependents first), in one
    transaction. Meant for a deleted tenant that no longer writes. Needs teams_obs_maintainer."""
    with session.connect(named=True) as conn:
        tables = purge.deletion_order(conn)
        if not yes and not click.confirm(f"Delete every row of tenant {tenant} from {len(tables)} tables "
                                         f"({', '.join(tables)})? This cannot be undone", default=False):
            session.console.print("Nothing deleted.")
            raise SystemExit(1)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=session.console, transient=True) as progress:
            task = progress.add_task("purging", total=len(tables))

            def advance(table: str, _rows: int) -> None:
                progress.update(task, advance=1, description=table)

            def restart() -> None:
                progress.reset(task, description="retrying")

            result = purge.purge_tenant(conn, tenant, on_table=advance, on_retry=restart)
    summary = Table(title=f"Purged tenant {tenant}", title_justify="left")
    summary.add_column("table")
    summary.add_column("rows deleted", justify="right")
    for table, rows in result:
        summary.add_row(table, str(rows))
    session.console.print(summary)
