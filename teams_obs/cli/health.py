"""`teams-obs health`: maintenance status and, for a tenant, delivery health; exit status 1 when
something needs attention (for monitoring), 0 otherwise (2: the check itself failed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from teams_obs import health
from teams_obs.cli.context import Session, pass_session
from teams_obs.cli.listing import IsoTime, cell_text, fetch, json_option, json_text, unqualified
from teams_obs.client import CALLS
from teams_obs.taxonomy import DELIVERY_STATUS


def _seconds(value: timedelta | None) -> str:
    return f"{value.total_seconds():.3g}s" if value is not None else ""


def _maintenance_table(rows: list[health.Row]) -> Table:
    table = Table(title="Maintenance (UTC)", title_justify="left")
    for header in ("table", "partitions", "months ahead", "oldest partition", "rows in DEFAULT",
                   "sidecar rows (est.)"):
        table.add_column(header, overflow="fold")
    for row in rows:
        months = row["months_ahead"]
        short = months is not None and months < health.MIN_MONTHS_AHEAD
        table.add_row(unqualified(row["table_name"]), str(row["partitions"]),
                      f"[red]{months}[/red]" if short else cell_text(months),
                      unqualified(row["oldest_partition"]),
                      f"[red]{row['default_rows']}[/red]" if row["default_rows"] else cell_text(row["default_rows"]),
                      _sidecar_rows(row))
    return table


def _sidecar_rows(row: health.Row) -> str:
    if row["sidecar_table"] is not None and row["sidecar_rows"] is None:
        return "not analyzed yet"  # the estimate is the planner's, made by ANALYZE or autovacuum
    return cell_text(row["sidecar_rows"])


def _deliveries_table(tenant: UUID, rows: list[health.Row], failure_threshold: float) -> Table:
    table = Table(title=f"Deliveries of tenant {tenant} (UTC days)", title_justify="left")
    for header in ("day", "total", *DELIVERY_STATUS.values, "success", "error codes", "p50", "p95"):
        table.add_column(header, overflow="fold")
    for row in rows:
        if row["day"] is None:
            table.add_section()
        rate = health.failure_rate(row)
        success = "" if rate is None else f"{1 - rate:.1%}"
        if rate is not None and rate > failure_threshold:
            success = f"[red]{success}[/red]"
        codes = "\n".join(f"{code} {count}" for code, count in sorted(row["error_codes"].items()))
        table.add_row("window" if row["day"] is None else str(row["day"]), str(row["total"]),
                      *(str(row[status]) for status in DELIVERY_STATUS.values), success, codes,
                      _seconds(row["latency_p50"]), _seconds(row["latency_p95"]))
    return table


def _show(console: Console, maintenance: list[health.Row], deliveries: list[health.Row] | None,
          tenant: UUID | None, failure_threshold: float, problems: list[health.Problem]) -> None:
    console.print(_maintenance_table(maintenance))
    if deliveries is not None and tenant is not None:
        console.print(_deliveries_table(tenant, deliveries, failure_threshold))
    if problems:
        console.print("[bold red]Needs attention:[/bold red]")
        for problem in problems:
            console.print(f"  - {problem}", soft_wrap=True)
    else:
        console.print("[green]Nothing needs attention.[/green]")


@click.command("health")
@click.option("--tenant", type=click.UUID, help="Also show this tenant's deliveries per day.")
@click.option("--since", type=IsoTime(),
              help="Start of the window (inclusive; ISO 8601, UTC without offset). Default: 7 days ago.")
@click.option("--until", type=IsoTime(), help="End of the window (exclusive). Default: now.")
@click.option("--failure-threshold", type=click.FloatRange(0, 1), default=health.DEFAULT_FAILURE_THRESHOLD,
              show_default=True, help="Failure rate (failed / (delivered + failed)) over the window that needs "
                                      "attention.")
@json_option
@pass_session
def health_command(session: Session, tenant: UUID | None, since: datetime | None, until: datetime | None,
                   failure_threshold: float, as_json: bool) -> None:
    """Is maintenance keeping up (rows in DEFAULT, months of partitions ahead) and, with --tenant, how did
    delivery go. Exit status 1 when something needs attention, 0 when nothing does."""
    if tenant is None and (since or until):
        raise click.UsageError("--since and --until need --tenant")
    with session.connect(named=True) as conn:
        maintenance = fetch(conn, CALLS["maintenance_status"]())
        deliveries = fetch(conn, CALLS["delivery_health"](tenant, since, until)) if tenant else None
    problems = health.problems(maintenance, deliveries, failure_threshold=failure_threshold)
    if as_json:
        document = {"maintenance": maintenance, "deliveries": deliveries,
                    "attention": [{"subject": p.subject, "message": p.message} for p in problems]}
        click.echo(json_text(document))
    else:
        _show(session.console, maintenance, deliveries, tenant, failure_threshold, problems)
    raise SystemExit(1 if problems else 0)
