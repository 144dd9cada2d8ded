"""delivery_health, maintenance_status (SPEC §4 Health) and `teams-obs health`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import dict_row

from teams_obs.cli import main
from teams_obs.partitions import maintain

A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
B = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
D0 = datetime(2026, 5, 10, tzinfo=UTC)
DAY = timedelta(days=1)
S = timedelta(seconds=1)


def insert(db: psycopg.Connection, tenant: uuid.UUID, at: datetime, status: str, error_code: str | None = None,
           latency: timedelta | None = None) -> None:
    sent = at - timedelta(minutes=1) if latency is not None else None
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, "
               "idempotency_key, status, error_code, sent_at, delivered_at, created_at) "
               "VALUES (%s, 'user_activity', 'u', md5(random()::text), %s, %s, %s, %s, %s)",
               (tenant, status, error_code, sent, sent + latency if sent else None, at))


def health(db: psycopg.Connection, tenant: uuid.UUID, since: datetime, until: datetime) -> list[dict]:
    with db.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("SELECT * FROM teams_obs.delivery_health(%s, %s, %s)", (tenant, since, until)).fetchall()


@pytest.fixture
def three_days(db: psycopg.Connection) -> psycopg.Connection:
    """Day 0: 3 delivered (1, 2, 3 s), 1 failed, 2 skipped; day 1: nothing; day 2: delivered (10 s),
    failed, sent. Outside the window or of tenant B: rows that must not count."""
    for latency in (1, 2, 3):
        insert(db, A, D0 + latency * timedelta(hours=1), "delivered", latency=latency * S)
    insert(db, A, D0 + timedelta(hours=5), "failed", "graph_throttled")
    insert(db, A, D0, "skipped", "user_not_mapped")  # exactly at since: inclusive
    insert(db, A, D0 + DAY - timedelta(microseconds=1), "skipped", "user_not_mapped")
    insert(db, A, D0 + 2 * DAY, "delivered", latency=10 * S)
    insert(db, A, D0 + 2 * DAY + S, "failed", "transient")
    insert(db, A, D0 + 2 * DAY + 2 * S, "sent")
    insert(db, A, D0 - timedelta(microseconds=1), "failed", "unknown")  # before since
    insert(db, A, D0 + 3 * DAY, "failed", "unknown")  # at until: exclusive
    insert(db, B, D0 + timedelta(hours=1), "failed", "unknown")  # another tenant
    return db


def counts(row: dict) -> tuple:
    return (row["total"], row["skipped"], row["sent"], row["delivered"], row["failed"])


def test_counts_rates_and_latencies_per_utc_day_and_for_the_window(three_days: psycopg.Connection) -> None:
    rows = health(three_days, A, D0, D0 + 3 * DAY)
    assert [row["day"] for row in rows] == [D0.date(), (D0 + DAY).date(), (D0 + 2 * DAY).date(), None]
    day0, day1, day2, window = rows

    assert counts(day0) == (6, 2, 0, 3, 1)
    assert day0["error_codes"] == {"graph_throttled": 1, "user_not_mapped": 2}
    assert day0["success_rate"] == Decimal("0.7500")
    assert (day0["latency_samples"], day0["latency_p50"], day0["latency_p95"]) == (3, 2 * S, 2.9 * S)

    assert counts(day1) == (0, 0, 0, 0, 0)
    assert (day1["error_codes"], day1["success_rate"], day1["latency_samples"], day1["latency_p50"]) == (
        {}, None, 0, None)

    assert counts(day2) == (3, 0, 1, 1, 1)
    assert (day2["error_codes"], day2["success_rate"], day2["latency_p50"], day2["latency_p95"]) == (
        {"transient": 1}, Decimal("0.5000"), 10 * S, 10 * S)

    assert counts(window) == (9, 2, 1, 4, 2)
    assert window["error_codes"] == {"graph_throttled": 1, "user_not_mapped": 2, "transient": 1}
    assert window["success_rate"] == Decimal("0.6667")
    assert (window["latency_samples"], window["latency_p50"], window["latency_p95"]) == (4, 2.5 * S, 8.95 * S)


def test_a_window_cutting_days_counts_only_their_covered_part(three_days: psycopg.Connection) -> None:
    rows = health(three_days, A, D0 + timedelta(hours=2), D0 + DAY + timedelta(hours=1))
    assert [(row["day"], row["total"]) for row in rows] == [(D0.date(), 4), ((D0 + DAY).date(), 0), (None, 4)]


def test_the_default_window_is_the_last_seven_days(db: psycopg.Connection) -> None:
    insert(db, A, datetime.now(UTC) - timedelta(minutes=1), "delivered")
    with db.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute("SELECT * FROM teams_obs.delivery_health(%s)", (A,)).fetchall()
    assert len(rows) == 9 and rows[-1]["total"] == 1  # 8 days touched by the 7 x 24 h window, then the window


@pytest.mark.parametrize(("tenant", "since", "until", "message"), [
    (None, D0, D0 + DAY, r"^tenant: required"),
    (A, None, D0 + DAY, r"^since: must be a finite timestamp, not NULL"),
    (A, D0, None, r"^until: must be a finite timestamp, not NULL"),
    (A, "-infinity", D0, r"^since: must be a finite timestamp"),
    (A, D0, "infinity", r"^until: must be a finite timestamp"),
    (A, D0, D0, r"^since: must be before until"),
    (A, D0 + DAY, D0, r"^since: must be before until"),
    (A, D0, D0 + 732 * DAY, r"^until: the window may span at most 731 days"),
])
def test_bad_windows_are_refused_naming_the_field(db: psycopg.Connection, tenant, since, until, message) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
        db.execute("SELECT * FROM teams_obs.delivery_health(%s, %s::timestamptz, %s::timestamptz)",
                   (tenant, since, until))


def status(db: psycopg.Connection) -> dict[str, dict]:
    with db.cursor(row_factory=dict_row) as cursor:
        return {row["table_name"]: row for row in cursor.execute("SELECT * FROM teams_obs.maintenance_status()")}


def month_start(months_from_now: int) -> datetime:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + months_from_now
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def drop_partition_at(db: psycopg.Connection, table: str, lower: datetime) -> None:
    (name,) = db.execute("SELECT partition_name FROM teams_obs.partition_bounds(%s::regclass) WHERE lower_bound = %s",
                         (table, lower)).fetchone()
    db.execute(f"DROP TABLE {name}")


def test_maintenance_status_after_maintain(db: psycopg.Connection) -> None:
    maintain(db)
    rows = status(db)
    assert set(rows) == {"teams_obs.notification_deliveries", "teams_obs.audit_events"}
    for table, row in rows.items():
        assert (row["partitions"], row["months_ahead"], row["covered_until"], row["default_rows"]) == (
            4, 3, month_start(4), 0), table
        assert (row["oldest_partition_start"], row["default_partition"]) == (month_start(0), f"{table}_default")
    assert rows["teams_obs.audit_events"]["sidecar_table"] is None
    assert rows["teams_obs.notification_deliveries"]["sidecar_table"] == "teams_obs.notification_delivery_idempotency"


def test_maintenance_status_sees_default_rows_gaps_and_old_partitions(db: psycopg.Connection) -> None:
    deliveries = "teams_obs.notification_deliveries"
    insert(db, A, month_start(-10), "sent")
    maintain(db)  # creates that old month too and moves its row out of DEFAULT
    insert(db, A, month_start(30), "sent")  # far ahead: DEFAULT
    drop_partition_at(db, deliveries, month_start(2))
    row = status(db)[deliveries]
    assert (row["default_rows"], row["months_ahead"], row["covered_until"]) == (1, 1, month_start(2))
    assert (row["oldest_partition"], row["oldest_partition_start"]) == (
        f"{deliveries}_p{month_start(-10):%Y_%m}", month_start(-10))
    assert row["partitions"] == 4

    drop_partition_at(db, deliveries, month_start(0))
    row = status(db)[deliveries]
    assert (row["months_ahead"], row["covered_until"]) == (0, None)


def test_sidecar_size_is_the_planner_estimate(db: psycopg.Connection) -> None:
    for n in range(3):
        db.execute("SELECT teams_obs.record_delivery(%s, 'bot_dm', %s, 'delivered')", (A, f"u{n}"))
    db.execute("ANALYZE teams_obs.notification_delivery_idempotency")
    row = status(db)["teams_obs.notification_deliveries"]
    assert row["sidecar_rows"] == 3


def run_health(db_url: str, *args: str):
    return CliRunner().invoke(main, ["--db", db_url, "health", *args], terminal_width=200)


def test_cli_exit_status_is_0_when_nothing_needs_attention(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    result = run_health(db_url)
    assert (result.exit_code, "Nothing needs attention." in result.output) == (0, True), result.output


def test_cli_exit_status_is_1_for_rows_in_default_and_too_few_months(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    drop_partition_at(db, "teams_obs.audit_events", month_start(2))
    insert(db, A, month_start(30), "sent")
    result = run_health(db_url)
    assert result.exit_code == 1, result.output
    assert "notification_deliveries: 1 rows wait in teams_obs.notification_deliveries_default" in result.output
    assert "audit_events: 1 months of partitions ahead (fewer than 2)" in result.output


def test_cli_flags_a_failure_rate_above_the_threshold(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    now = datetime.now(UTC) - timedelta(minutes=1)
    for status_ in ("delivered", "delivered", "delivered", "failed"):
        insert(db, A, now, status_)
    flagged = run_health(db_url, "--tenant", str(A))
    assert flagged.exit_code == 1, flagged.output
    assert "failure rate 25.0% (1 failed, 3 delivered) is above 5.0%" in flagged.output
    assert run_health(db_url, "--tenant", str(A), "--failure-threshold", "0.25").exit_code == 0


def test_cli_json_carries_both_reports_and_the_problems(db: psycopg.Connection, db_url: str) -> None:
    insert(db, A, D0 + timedelta(hours=1), "delivered", latency=2 * S)
    insert(db, A, D0 + timedelta(hours=2), "failed", "graph_throttled")
    maintain(db)  # also moves those rows out of DEFAULT into their month
    result = run_health(db_url, "--tenant", str(A), "--since", "2026-05-10", "--until", "2026-05-11", "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert [row["table_name"] for row in document["maintenance"]] == [
        "teams_obs.audit_events", "teams_obs.notification_deliveries"]
    (day, window) = document["deliveries"]
    assert (day["day"], day["success_rate"], day["latency_p50"], day["error_codes"]) == (
        "2026-05-10", 0.5, 2.0, {"graph_throttled": 1})
    assert window["day"] is None
    assert document["attention"] == [{"subject": "deliveries",
                                      "message": "failure rate 50.0% (1 failed, 1 delivered) is above 5.0%"}]


def test_cli_refuses_a_window_without_a_tenant(db_url: str) -> None:
    result = run_health(db_url, "--since", "2026-05-10")
    assert result.exit_code == 2 and "--since and --until need --tenant" in result.output
