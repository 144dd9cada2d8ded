"""Monthly partitions of every table of schema teams_obs partitioned BY RANGE on a timestamptz column.

:func:`maintain` asks the database which months each such table needs
(``teams_obs.missing_month_partitions()``: the current UTC month, the next ``months_ahead``, and every
month that has rows sitting in the DEFAULT partition, past months included) and has
``teams_obs.attach_month_partition()`` create each one, moving that month's rows out of DEFAULT in the
same transaction. That function runs ``templates/partition.sql.j2`` with the owner's rights, so
teams_obs_maintainer runs maintain; a dry run renders the same template here. Each month is one short
transaction behind the per-table maintenance lock, so concurrent runs and retention never race; a lock not
granted within ``lock_timeout`` rolls the month back and it is retried with growing pauses while writers
go on.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import errors

from teams_obs.connect import connect
from teams_obs.render import environment, sql_literal, statements

SCHEMA = "teams_obs"
TEMPLATE = "partition.sql.j2"
# The partition template's defaults, which the deploy scripts and procedures rendered from it share.
_DEFAULTS = environment().get_template(TEMPLATE).module
DEFAULT_MONTHS_AHEAD: int = _DEFAULTS.default_months_ahead
DEFAULT_LOCK_TIMEOUT: str = _DEFAULTS.default_lock_timeout
DEFAULT_MAX_ATTEMPTS = 8
_RETRYABLE = (errors.LockNotAvailable, errors.DeadlockDetected)
# A PostgreSQL duration as lock_timeout takes it. Checked before rendering: the rendered statements are
# run one by one, split at ';' + newline, which a literal must therefore never hold.
_DURATION = re.compile(r"(?P<number>[0-9]+(\.[0-9]+)?) ?(?P<unit>us|ms|s|min|h|d)?")
_MILLISECONDS = {"us": 0.001, "ms": 1, None: 1, "s": 1_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def check_lock_timeout(value: str) -> str:
    """``value`` if it is a duration of at least 1ms such as ``500ms`` or ``2s``, else ValueError naming
    the field. PostgreSQL rounds lock_timeout to whole milliseconds, and 0 waits for a lock without end:
    the very wait that maintenance must not hold writers up for."""
    duration = _DURATION.fullmatch(value)
    if not duration:
        raise ValueError(f"lock_timeout: expected a duration such as 500ms or 2s, got {value!r}")
    if float(duration["number"]) * _MILLISECONDS[duration["unit"]] < 1:
        raise ValueError(f"lock_timeout: must be at least 1ms (0 waits for locks without end), got {value!r}")
    return value


class NotDeployed(RuntimeError):
    """The database lacks the change a command needs (nothing deployed, or a deploy --to an earlier one)."""


_TABLES_QUERY = """
SELECT parent, key_column, default_partition, column_names
  FROM teams_obs.month_partitioned_tables()
"""

_MISSING_QUERY = """
SELECT month_start, partition_name, default_rows, overlapping
  FROM teams_obs.missing_month_partitions(%s::pg_catalog.regclass, %s)
"""


class MaintenanceError(RuntimeError):
    """Some month could not be created; ``actions`` holds everything done and the failures."""

    def __init__(self, actions: list[Action]):
        self.actions = actions
        failed = [f"{a.partition}: {a.error}" for a in actions if a.status == "failed"]
        super().__init__("partition maintenance incomplete: " + "; ".join(failed))


@dataclass(frozen=True)
class Action:
    """One month of one table: created (or, in a dry run, planned) or failed."""

    table: str
    partition: str
    lower: datetime
    upper: datetime
    status: str  # "created", "planned" (dry run) or "failed"
    rows_moved: int  # rows taken out of DEFAULT (planned: sitting there now)
    attempts: int
    sql: str
    error: str | None = None


@dataclass(frozen=True)
class PartitionedTable:
    qualified: str  # quoted schema.name
    key: str  # quoted partition key column
    default: str | None  # quoted schema.name of the DEFAULT partition
    columns: tuple[str, ...]  # quoted, in table order


def add_months(month: datetime, count: int) -> datetime:
    index = month.year * 12 + month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def utc_literal(instant: datetime) -> str:
    """An instant as PostgreSQL reads it in any session time zone: '2026-11-01 00:00:00+00'."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def partitioned_tables(conn: psycopg.Connection) -> list[PartitionedTable]:
    rows = conn.execute(_TABLES_QUERY).fetchall()
    return [PartitionedTable(qualified, key, default, tuple(columns))
            for qualified, key, default, columns in rows]


def current_month(conn: psycopg.Connection) -> datetime:
    """The database clock's UTC month: created_at comes from that clock, not from this host's."""
    month = conn.execute("SELECT pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC')").fetchone()[0]
    return month.astimezone(UTC)  # psycopg gives it in the session's zone, where it may be another month


@dataclass(frozen=True)
class _Month:
    table: PartitionedTable
    lower: datetime
    partition: str  # quoted schema.name
    stuck_rows: int

    @property
    def upper(self) -> datetime:
        return add_months(self.lower, 1)


def _needed_months(conn: psycopg.Connection, table: PartitionedTable, months_ahead: int
                   ) -> list[tuple[_Month, list[str]]]:
    """Months without a partition of exactly their bounds, each with the partitions it overlaps."""
    rows = conn.execute(_MISSING_QUERY, [table.qualified, months_ahead]).fetchall()
    return [(_Month(table, start.astimezone(UTC), name, stuck), overlapping)
            for start, name, stuck, overlapping in rows]


class _Renderer:
    """The partition template bound to one month: the transaction a dry run prints, and its prologue."""

    def __init__(self, month: _Month, lock_timeout: str, citus: bool):
        table = month.table
        self._module = environment().get_template(TEMPLATE).module
        self._month = {
            "parent": table.qualified,
            "partition": month.partition,
            "default": table.default,
            "key": table.key,
            "columns": table.columns,
            "lower": sql_literal(utc_literal(month.lower)),
            "upper": sql_literal(utc_literal(month.upper)),
            "lock_timeout": lock_timeout,
            "citus": citus,
        }

    @property
    def script(self) -> str:
        """The whole transaction, as a dry run shows it."""
        return str(self._module.transaction(self._month)).strip() + "\n"

    def prologue(self) -> list[str]:
        return statements(str(self._module.prologue(self._month)))


def _backoff(attempt: int) -> float:
    return min(0.05 * 2 ** attempt, 5.0) * random.uniform(0.5, 1.5)


def _attach(conn: psycopg.Connection, month: _Month, renderer: _Renderer, *, max_attempts: int,
            sleep: Callable[[float], None]) -> Action | None:
    """Create the month in its own transaction; None when it is no longer needed once the lock is held (a
    concurrent run created it, or retention emptied a past month's rows from DEFAULT meanwhile)."""
    error: Exception | None = None
    for attempt in range(1, max_attempts + 1):
        try:
            with conn.transaction():
                for statement in renderer.prologue():
                    conn.execute(statement)
                moved = conn.execute("SELECT teams_obs.attach_month_partition(%s::regclass, %s)",
                                     [month.table.qualified, month.lower]).fetchone()[0]
            if moved is None:
                return None
            return Action(month.table.qualified, month.partition, month.lower, month.upper, "created", moved,
                          attempt, renderer.script)
        except _RETRYABLE as exc:
            error = exc
            if attempt < max_attempts:
                sleep(_backoff(attempt))
        except psycopg.OperationalError:
            raise  # the connection, not this month
        except psycopg.Error as exc:  # this month alone (a table of its name left by a DETACH, say)
            return Action(month.table.qualified, month.partition, month.lower, month.upper, "failed", 0, attempt,
                          renderer.script, f"{exc.diag.message_primary or exc} [{exc.sqlstate}]")
    return Action(month.table.qualified, month.partition, month.lower, month.upper, "failed", 0, max_attempts,
                  renderer.script, f"locks not granted after {max_attempts} attempts: {error}")


@contextmanager
def _connection(conn_or_url: psycopg.Connection | str) -> Iterator[psycopg.Connection]:
    if isinstance(conn_or_url, psycopg.Connection):
        # Without autocommit the first query would open a transaction around every month, each then a mere
        # savepoint: nothing would be committed until the caller commits.
        if not conn_or_url.autocommit or conn_or_url.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise ValueError("maintain needs an autocommit connection outside any transaction: it commits month"
                             " by month")
        yield conn_or_url
    else:
        with connect(conn_or_url, autocommit=True) as conn:
            yield conn


def maintain(conn_or_url: psycopg.Connection | str, months_ahead: int = DEFAULT_MONTHS_AHEAD,
             dry_run: bool = False, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
             max_attempts: int = DEFAULT_MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep
             ) -> list[Action]:
    """Create the missing monthly partitions of every month-partitioned table of schema teams_obs.

    Returns one :class:`Action` per month created (``dry_run``: per month that would be, with its SQL,
    executing nothing). Idempotent: a second run, or a concurrent one, finds nothing to do. Raises
    :class:`MaintenanceError` (after doing everything else) if some month could not be created, and
    :class:`NotDeployed` where the change partition_maintenance is not deployed.
    """
    check_lock_timeout(lock_timeout)
    actions: list[Action] = []
    with _connection(conn_or_url) as conn:
        # The functions below come with the plan's change partition_maintenance.
        if conn.execute("SELECT to_regprocedure('teams_obs.attach_month_partition(regclass, timestamptz)')"
                        " IS NULL").fetchone()[0]:
            raise NotDeployed("partition maintenance is not deployed in this database: run teams-obs deploy")
        citus = conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus')"
                             ).fetchone()[0]
        for table in partitioned_tables(conn):
            for month, overlapping in _needed_months(conn, table, months_ahead):
                renderer = _Renderer(month, lock_timeout, citus)
                if overlapping:
                    names = ", ".join(overlapping)
                    actions.append(Action(table.qualified, month.partition, month.lower, month.upper, "failed",
                                          0, 0, renderer.script, f"overlaps existing partition(s) {names}"))
                elif dry_run:
                    actions.append(Action(table.qualified, month.partition, month.lower, month.upper, "planned",
                                          month.stuck_rows, 0, renderer.script))
                elif action := _attach(conn, month, renderer, max_attempts=max_attempts, sleep=sleep):
                    actions.append(action)
    if any(action.status == "failed" for action in actions):
        raise MaintenanceError(actions)
    return actions
