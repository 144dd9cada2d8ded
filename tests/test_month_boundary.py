"""A real UTC month boundary, crossed while writers write.

The other tests meet a month boundary through created_at values or partitions written by hand. Here the
server runs under libfaketime with its wall clock a few seconds before the next UTC month starts (the
host's clock is left alone), so now() itself passes midnight of the 1st while two writers record
deliveries and audit events: the partitions made ahead, the sidecar's idempotency, the keyset pages,
`maintain` and the pytest plugin's template all meet the boundary as production does once a month.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from teams_obs.embedded import embedded_postgres
from teams_obs.partitions import Action, add_months, current_month, maintain
from teams_obs.pytest_plugin import current_template
from tests.partition_helpers import PARENTS, months_of, this_month_and_the_next_3
from tests.tenant_data import record_audit_events

LIBFAKETIME = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
# Time for the server to start, the template to be deployed and cloned, and the first keys recorded
# before midnight; the writers fill what is left of it.
LEAD = timedelta(seconds=12)
AFTER = timedelta(seconds=1)  # how long the writers go on after midnight
TENANT = uuid.UUID("00000000-0000-4000-8000-00000000b0da")
RECORD = ("SELECT (r).inserted, (r).delivery_id, (r).created_at, pg_catalog.now()"
          " FROM (SELECT teams_obs.record_delivery(%s, 'user_activity', %s, 'sent') AS r) AS call")
PAGE = "SELECT delivery_id, created_at, next_cursor FROM teams_obs.list_deliveries(%s, p_limit => 50, p_cursor => %s)"


@dataclass(frozen=True)
class Recorded:
    inserted: bool
    delivery_id: uuid.UUID
    created_at: datetime
    called_at: datetime  # the server's now() in the call's transaction


@dataclass(frozen=True)
class Placed:
    """Where a table's rows were when the writers stopped, before maintain could move any."""

    rows: int
    before: int  # written before midnight, in the partition of the month ending then
    after: int  # written after it, in the partition of the month starting then
    in_default: int


@dataclass(frozen=True)
class Crossing:
    url: str
    midnight: datetime
    first: dict[str, Recorded]  # keys recorded before midnight
    repeated: dict[str, Recorded]  # the same keys recorded again after it
    placed: dict[str, Placed]
    template_months: dict[str, list[datetime]]  # the plugin's template as the first clone after midnight finds it
    maintained: list[Action]  # maintain after midnight
    maintained_again: list[Action]


def placed(conn: psycopg.Connection, parent: str, midnight: datetime) -> Placed:
    return Placed(*conn.execute(
        "SELECT count(*),"
        "       count(*) FILTER (WHERE r.created_at < %(midnight)s AND b.lower_bound = %(month)s),"
        "       count(*) FILTER (WHERE r.created_at >= %(midnight)s AND b.lower_bound = %(midnight)s),"
        "       count(*) FILTER (WHERE b.is_default)"
        f" FROM {parent} AS r JOIN teams_obs.partition_bounds(%(parent)s) AS b"
        "   ON b.partition_name::regclass = r.tableoid",
        {"midnight": midnight, "month": add_months(midnight, -1), "parent": parent}).fetchone())


def record(conn: psycopg.Connection, destination_id: str) -> Recorded:
    return Recorded(*conn.execute(RECORD, (TENANT, destination_id)).fetchone())


def server_clock(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT pg_catalog.clock_timestamp()").fetchone()[0]


def write_until(url: str, writer: int, until: datetime, errors: list[BaseException]) -> None:
    """Records a delivery and an audit event, each in its own transaction, until the server's clock reads
    ``until``."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for n in itertools.count():
                record(conn, f"writer-{writer}-{n}")
                record_audit_events(conn, TENANT, 1)
                if server_clock(conn) >= until:
                    return
                time.sleep(0.005)
    except BaseException as error:  # re-raised in the fixture's thread
        errors.append(error)


@pytest.fixture(scope="module")
def crossing() -> Iterator[Crossing]:
    if not LIBFAKETIME:
        pytest.skip("libfaketime is not installed (scripts/install.sh installs it)")
    now = datetime.now(UTC)
    midnight = add_months(datetime(now.year, now.month, 1, tzinfo=UTC), 1)
    environment = {
        "LD_PRELOAD": str(LIBFAKETIME[0]),
        "FAKETIME": f"{round((midnight - LEAD - now).total_seconds()):+d}",  # -7 within LEAD of a real midnight
        # The wall clock alone: waits and timeouts keep real time; the server user cannot share root's
        # semaphores.
        "FAKETIME_DONT_FAKE_MONOTONIC": "1", "NO_FAKE_STAT": "1", "FAKETIME_DISABLE_SHM": "1",
    }
    with embedded_postgres(server_environment=environment) as cluster, \
            psycopg.connect(cluster.url(), autocommit=True) as admin:
        started = server_clock(admin)
        # Seconds off from the rounding of FAKETIME and the start-up, not the days a clock left alone is.
        assert midnight - 2 * LEAD < started < midnight, f"the server's clock reads {started}: libfaketime did not take"
        template = current_template(cluster, admin)
        admin.execute(sql.SQL("CREATE DATABASE crossing TEMPLATE {}").format(sql.Identifier(template)))
        url = cluster.url("crossing")
        with psycopg.connect(url, autocommit=True) as conn:
            first = {f"early-{n}": record(conn, f"early-{n}") for n in range(20)}
            assert max(r.called_at for r in first.values()) < midnight, f"LEAD ({LEAD}) ran out before midnight"
            errors: list[BaseException] = []
            writers = [threading.Thread(target=write_until, args=(url, n, midnight + AFTER, errors))
                       for n in range(2)]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join(timeout=120)
            if errors:
                raise errors[0]
            repeated = {key: record(conn, key) for key in first}
            placements = {parent: placed(conn, parent, midnight) for parent in PARENTS}
            maintained = maintain(conn)
            maintained_again = maintain(conn)
        template = current_template(cluster, admin)
        with psycopg.connect(cluster.url(template)) as rebuilt:
            template_months = months_of(rebuilt)
        yield Crossing(url, midnight, first, repeated, placements, template_months, maintained, maintained_again)


@pytest.fixture
def crossed(crossing: Crossing) -> Iterator[psycopg.Connection]:
    with psycopg.connect(crossing.url, autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize("parent", PARENTS)
def test_rows_written_either_side_of_midnight_land_in_their_months_partitions(crossing, parent) -> None:
    placed = crossing.placed[parent]
    assert placed.in_default == 0
    assert placed.before + placed.after == placed.rows
    assert placed.before > 0 and placed.after > 0, "the writers did not write on both sides of midnight"


def test_a_key_recorded_before_midnight_and_again_after_it_returns_the_first_row(crossing, crossed) -> None:
    for key, first in crossing.first.items():
        again = crossing.repeated[key]
        assert first.inserted and not again.inserted
        assert again.called_at >= crossing.midnight > first.created_at
        assert (again.delivery_id, again.created_at) == (first.delivery_id, first.created_at), key
    assert crossed.execute(
        "SELECT count(*) FROM teams_obs.notification_deliveries WHERE destination_id LIKE 'early-%'"
    ).fetchone()[0] == len(crossing.first)


def test_the_pages_walk_across_midnight_returning_every_row_once_newest_first(crossed) -> None:
    stored = crossed.execute("SELECT delivery_id, created_at FROM teams_obs.notification_deliveries"
                             " ORDER BY created_at DESC, delivery_id DESC").fetchall()
    walked: list[tuple[uuid.UUID, datetime]] = []
    cursor = None
    while True:
        page = crossed.execute(PAGE, (TENANT, cursor)).fetchall()
        walked += [(delivery_id, created_at) for delivery_id, created_at, _ in page]
        assert len(walked) <= len(stored), "a cursor that does not move on"
        cursor = page[-1][2]
        if cursor is None:
            break
    assert walked == stored


def test_maintain_after_midnight_adds_the_month_that_is_now_3_ahead_once(crossing) -> None:
    new_month = add_months(crossing.midnight, 3)
    assert sorted((a.table, a.lower, a.status) for a in crossing.maintained) == [
        (parent, new_month, "created") for parent in PARENTS]
    assert crossing.maintained_again == []


def test_the_plugins_template_is_rebuilt_for_the_new_month_after_midnight(crossing, crossed) -> None:
    assert current_month(crossed) == crossing.midnight
    assert crossing.template_months == this_month_and_the_next_3(crossing.midnight)


def test_health_counts_each_side_of_midnight_on_its_own_utc_day(crossing, crossed) -> None:
    placed = crossing.placed["teams_obs.notification_deliveries"]
    crossed.execute("SET TimeZone = 'Pacific/Kiritimati'")  # UTC+14: both sides are New Year's Day here
    totals = dict(crossed.execute("SELECT day, total FROM teams_obs.delivery_health(%s) WHERE total > 0",
                                  [TENANT]).fetchall())
    assert totals == {(crossing.midnight - timedelta(days=1)).date(): placed.before,
                      crossing.midnight.date(): placed.after, None: placed.rows}
