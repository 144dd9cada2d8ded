"""Showing rows read from a list or lookup function: a rich table for people, JSON for scripts.

Shared by the data commands (``audit list``, ``conversations show``, ...) so that every command prints
alike: a page of a keyset-paged list ends with how to get the next page, ``--json`` prints one document
``{"rows": [...], "next_cursor": ...}`` with ISO timestamps and string UUIDs, and ``--since``/``--until``
take ISO 8601 times read as UTC when they carry no offset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import click
import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table

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

    def cell(self, row: Row) -> str:
        value = self.show(row) if self.show else row[self.header]
        if value is None:
            return ""
        return value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)


def page_options(command: Callable) -> Callable:
    """The options every keyset-paged list command shares, after its own filters: --since, --until,
    --limit, --cursor and --json."""
    for option in reversed((
        click.option("--since", type=IsoTime(), help="Inclusive lower bound."),
        click.option("--until", type=IsoTime(), help="Exclusive upper bound."),
        click.option("--limit", type=click.IntRange(-INT4_MAX - 1, INT4_MAX, clamp=True), default=50,
                     show_default=True, help="Rows per page (clamped to 1..200)."),
        click.option("--cursor", metavar="CURSOR", help="next_cursor of the previous page."),
        json_option,
    )):
        command = option(command)
    return command


def fetch(conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def fetch_page(conn: psycopg.Connection, function: str, tenant: UUID, options: dict[str, Any]) -> list[Row]:
    """One page of a list function (``teams_obs.list_...``), each given option as its ``p_`` parameter by
    name; options left at None are not passed, so the function's own defaults apply."""
    given = {f"p_{name}": value for name, value in options.items() if value is not None}
    named = "".join(f", {name} => %({name})s" for name in given)
    return fetch(conn, f"SELECT * FROM {function}(p_tenant => %(p_tenant)s{named})", {"p_tenant": tenant, **given})


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


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
        click.echo(json.dumps(document, default=_json_value, ensure_ascii=False, indent=2))
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
