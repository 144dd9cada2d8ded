"""Showing rows read from a list or lookup function: a rich table for people, JSON for scripts.

Shared by the data commands (``audit list``, ``conversations show``, ...) so that every command prints
alike: a page of a keyset-paged list ends with how to get the next page, ``--json`` prints one document
``{"rows": [...], "next_cursor": ...}`` with ISO timestamps and string UUIDs, and ``--since``/``--until``
take ISO 8601 times read as UTC when they carry no offset. Every read is a call of the client's
declarations (``teams_obs.client.CALLS``), so the CLI and the client name each function and parameter alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table
from rich.text import Text

from teams_obs.cli.context import printable
from teams_obs.partitions import SCHEMA
from teams_obs.sql_function import Call

Row = dict[str, Any]

# The largest value of the functions' integer parameters: a larger one would make the call a bigint and
# name no function.
INT4_MAX = 2**31 - 1

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


class IsoTime(click.ParamType):
    """An ISO 8601 instant (``2026-11-01``, ``2026-11-01T08:30:00.123456+01:00``, ``...Z``); naive is UTC,
    never the database session's time zone."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Column:
    """One table column: its header and how a row shows in it (default: the field of that name)."""

    header: str
    show: Callable[[Row], Any] | None = None

    def cell(self, row: Row) -> Text:
        """Stored text shown as stored, never read as rich markup: an error message quoting a path such as
        [/v1.0/users] would close no tag, and rich would refuse to print the page."""
        return Text(cell_text(self.show(row) if self.show else row[self.header]))


def cell_text(value: Any) -> str:
    """A value as a table cell shows it: empty for NULL, a timestamp without the ISO ``T``."""
    if value is None:
        return ""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else printable(str(value))


def unqualified(name: str | None) -> str:
    """An object's name without the schema, which every object a command shows shares."""
    return (name or "").removeprefix(f"{SCHEMA}.")


def _within_int4(_context: click.Context, _option: click.Parameter, value: int) -> int:
    """The list functions clamp their integer limit to 1..200; a value past integer's range would find no
    function to clamp it. Not a click.IntRange, whose help would show that range beside the real one."""
    return max(-INT4_MAX - 1, min(value, INT4_MAX))


def page_options(command: Callable) -> Callable:
    """The options every keyset-paged list command shares, after its own filters: --since, --until,
    --limit, --cursor and --json."""
    for option in reversed((
        click.option("--since", type=IsoTime(), help="Inclusive lower bound."),
        click.option("--until", type=IsoTime(), help="Exclusive upper bound."),
        click.option("--limit", type=int, callback=_within_int4, default=50, show_default=True,
                     help="Rows per page (clamped to 1..200)."),
        click.option("--cursor", metavar="CURSOR", help="next_cursor of the previous page."),
        json_option,
    )):
        command = option(command)
    return command


def fetch(conn: psycopg.Connection, call: Call) -> list[Row]:
    """The rows of ``call`` (``CALLS[name](...)``) as the function returns them: a list's ``next_cursor``
    stays on its row for show_rows. A plain cursor: the CLI's connections come from teams_obs.connect,
    whose output styles psycopg reads in text."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(call.query(), call.values()).fetchall()


def json_value(value: Any) -> Any:
    """``--json``'s form of what JSON has no type for: timestamps and days in ISO 8601, numerics (rates) as
    numbers, intervals (health's latencies) in seconds, anything else (UUIDs) as text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


# DEL and the C1 controls, which JSON may hold raw but a terminal would act on (CSI is one of them).
_RAW_IN_JSON = {code: f"\\u{code:04x}" for code in range(0x7f, 0xa0)}


def json_text(document: Any) -> str:
    """``--json``'s document: non-ASCII text as it is, every control character escaped (json escapes those
    below 0x20; the rest can only stand inside strings, so their escapes are the same JSON)."""
    return json.dumps(document, default=json_value, ensure_ascii=False, indent=2).translate(_RAW_IN_JSON)


def show_rows(console: Console, rows: list[Row], columns: Sequence[Column], *, as_json: bool, title: str,
              paged: bool = False) -> None:
    """Print ``rows``; a ``next_cursor`` field (list functions) is taken off the rows and shown once.

    ``paged``: the rows are one page of a keyset-paged list, so JSON always carries ``next_cursor``
    (null on the last page) and the table is followed by how to ask for the next page.
    """
    cursor = next((row["next_cursor"] for row in rows if row.get("next_cursor")), None)
    rows = [{key: value for key, value in row.items() if key != "next_cursor"} for row in rows]
    if as_json:
        document: dict[str, Any] = {"rows": rows}
        if paged:
            document["next_cursor"] = cursor
        click.echo(json_text(document))
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column.header, overflow="fold")
    for row in rows:
        table.add_row(*(column.cell(row) for column in columns))
    console.print(table)
    if not rows:
        console.print("[dim]No rows.[/dim]")
    elif cursor and paged:
        console.print(f"More rows: repeat the command with --cursor {cursor}", soft_wrap=True)
