"""`teams-obs maintain` (monthly partitions ahead, rows out of DEFAULT) and `teams-obs cleanup` (retention)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import click
from psycopg.types.composite import CompositeInfo, register_composite
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from teams_obs import partitions
from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.listing import INT4_MAX, unqualified


def _lock_timeout(_context: click.Context, _option: click.Parameter, value: str) -> str:
    try:
        return partitions.check_lock_timeout(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command()
@click.option("--months-ahead", type=click.IntRange(0, INT4_MAX), default=partitions.DEFAULT_MONTHS_AHEAD,
              show_default=True, help="Months after the current UTC month that must have a partition.")
@click.option("--dry-run", is_flag=True, help="Print the SQL of each month to create; execute nothing.")
@click.option("--lock-timeout", default=partitions.DEFAULT_LOCK_TIMEOUT, show_default=True, metavar="DURATION",
              callback=_lock_timeout,
              help="Longest wait for any one lock before the month is rolled back and retried.")
@pass_session
def maintain(session: Session, months_ahead: int, dry_run: bool, lock_timeout: str) -> None:
    """Create the missing monthly partitions of every partitioned table (this UTC month, the next
    --months-ahead, and every month with rows sitting in a DEFAULT partition, moving those rows)."""
    failed = False
    with session.connect(named=True) as conn:
        try:
            actions = partitions.maintain(conn, months_ahead, dry_run, lock_timeout=lock_timeout)
        except partitions.MaintenanceError as exc:
            actions, failed = exc.actions, True
    console = session.console
    if dry_run:
        for action in actions:
            console.rule(f"{action.partition}")
            console.print(action.sql, markup=False, highlight=False, soft_wrap=True)
    if actions:
        table = Table(title="Dry run: nothing executed" if dry_run else "Partition maintenance", title_justify="left")
        for header in ("partition", "from (UTC)", "to (UTC)", "status", "rows from DEFAULT", "attempts", "error"):
            table.add_column(header, overflow="fold")
        for a in actions:
            status = f"[red]{a.status}[/red]" if a.status == "failed" else a.status
            table.add_row(unqualified(a.partition), f"{a.lower:%Y-%m-%d}",
                          f"{a.upper:%Y-%m-%d}", status, str(a.rows_moved), str(a.attempts), Text(a.error or ""))
        console.print(table)
    else:
        console.print(f"Nothing to do: every partitioned table has its partitions through {months_ahead} "
                      "month(s) ahead and no rows in DEFAULT.")
    if failed:
        raise SystemExit(1)


@dataclass(frozen=True)
class Retention:
    """One partitioned table under retention and the option that sets its interval."""

    option: str
    table: str
    default: str

    @property
    def parameter(self) -> str:
        """The option's name as click passes it to the command."""
        return self.option.lstrip("-").replace("-", "_")


# The DEBUG message with which teams_obs.delete_retention_batch reports each batch it ran.
BATCH_DONE = "delete_retention_batch: "

RETENTIONS = (
    Retention("--deliveries-retention", "teams_obs.notification_deliveries", "90 days"),
    Retention("--audit-retention", "teams_obs.audit_events", "365 days"),
)


def _retention_options(command):
    for retention in reversed(RETENTIONS):
        command = click.option(retention.option, default=retention.default, show_default=True, metavar="INTERVAL",
                               help=f"Keep this much of {retention.table}.")(command)
    return command


@click.command()
@_retention_options
@click.option("--batch-size", type=click.IntRange(1, INT4_MAX), default=10_000, show_default=True,
              help="About this many rows per DELETE of expired DEFAULT rows and reservations.")
@pass_session
def cleanup(session: Session, batch_size: int, **intervals: str) -> None:
    """Apply retention: delete expired DEFAULT rows and idempotency reservations in batches, each batch
    committed (CALL teams_obs.run_retention), then drop expired monthly partitions (never DEFAULT, current or
    future ones), and show what was removed."""
    table = Table(title="Retention", title_justify="left")
    for header in ("table", "removed", "partitions", "rows", "names", "cutoff (UTC)"):
        table.add_column(header, overflow="fold")
    busy = False
    with session.connect(named=True) as conn, Progress(TextColumn("{task.description}"), BarColumn(),
                                                       MofNCompleteColumn(), console=session.console,
                                                       transient=True,
                                                       # a blank line in every cron mail otherwise
                                                       disable=not session.console.is_terminal) as progress:
        result_type = CompositeInfo.fetch(conn, "teams_obs.cleanup_result")
        if result_type is None:
            raise partitions.NotDeployed("retention is not deployed in this database: run teams-obs deploy")
        register_composite(result_type, conn)
        # Every interval is checked before the first batch deletes anything.
        for retention in RETENTIONS:
            conn.execute("SELECT teams_obs.retention_cutoff(%s::interval)", [intervals[retention.parameter]])
        planned = sum(conn.execute("SELECT count(*) FROM teams_obs.retention_row_batches(%s::regclass, %s)",
                                   [retention.table, batch_size]).fetchone()[0] for retention in RETENTIONS)
        task = progress.add_task("retention batches", total=planned)
        conn.execute("SET client_min_messages = debug1")  # delete_retention_batch reports each batch at DEBUG
        conn.add_notice_handler(lambda notice: progress.advance(task)
                                if notice.message_primary.startswith(BATCH_DONE) else None)
        for retention in RETENTIONS:
            interval = intervals[retention.parameter]
            progress.update(task, description=retention.table)
            (removed,) = conn.execute("CALL teams_obs.run_retention(%s::regclass, %s::interval, %s)",
                                      [retention.table, interval, batch_size]).fetchone()
            for row in removed:
                busy = busy or row.kind == "partitions_busy"
                table.add_row(unqualified(row.table_name),
                              f"[yellow]{row.kind}[/yellow]" if row.kind == "partitions_busy" else row.kind,
                              str(row.partitions), str(row.rows_removed),
                              ", ".join(unqualified(name) for name in row.names),
                              f"{row.cutoff.astimezone(UTC):%Y-%m-%d %H:%M:%S}")
    session.console.print(table)
    if busy:
        session.console.print("[yellow]Some expired partitions were in use and are kept until the next run.[/yellow]")
