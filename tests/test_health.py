"""`teams-obs health` (SPEC §4 Health). The SQL contracts of delivery_health and maintenance_status are
checked by tests/pgtap/delivery_health.sql and tests/pgtap/maintenance_status.sql."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs.cli import main
from teams_obs.partitions import add_months, current_month, maintain
from tests.cli_tables import table_row

A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
D0 = datetime(2026, 5, 10, tzinfo=UTC)
S = timedelta(seconds=1)


def insert(db: psycopg.Connection, tenant: uuid.UUID, at: datetime, status: str, error_code: str | None = None,
           latency: timedelta | None = None) -> None:
    sent = at - timedelta(minutes=1) if latency is not None else None
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, "
               "idempotency_key, status, error_code, sent_at, delivered_at, created_at) "
               "VALUES (%s, 'user_activity', 'u', md5(random()::text), %s, %s, %s, %s, %s)",
               (tenant, status, error_code, sent, sent + latency if sent else None, at))


def drop_partition_at(db: psycopg.Connection, table: str, lower: datetime) -> None:
    (name,) = db.execute("SELECT partition_name FROM teams_obs.partition_bounds(%s::regclass) WHERE lower_bound = %s",
                         (table, lower)).fetchone()
    db.execute(f"DROP TABLE {name}")


def run_health(db_url: str, *args: str):
    return CliRunner().invoke(main, ["--db", db_url, "health", *args], terminal_width=200)


def test_cli_exit_status_is_0_when_nothing_needs_attention(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    result = run_health(db_url)
    assert (result.exit_code, "Nothing needs attention." in result.output) == (0, True), result.output


def test_cli_says_when_the_sidecar_has_no_estimate_yet(db: psycopg.Connection, db_url: str) -> None:
    def sidecar_cell() -> str:
        line = next(line for line in run_health(db_url).output.splitlines() if "notification_deliveries " in line)
        return line.split("│")[-2].strip()

    assert sidecar_cell() == "not analyzed yet"  # a fresh database: no ANALYZE, no autovacuum yet
    db.execute("ANALYZE teams_obs.notification_delivery_idempotency")
    assert sidecar_cell() == "0"


def test_cli_exit_status_is_1_for_rows_in_default_and_too_few_months(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    drop_partition_at(db, "teams_obs.audit_events", add_months(current_month(db), 2))
    insert(db, A, add_months(current_month(db), 30), "sent")
    result = run_health(db_url)
    assert result.exit_code == 1, result.output
    assert "notification_deliveries: 1 rows wait in teams_obs.notification_deliveries_default" in result.output
    assert "audit_events: 1 months of partitions ahead (fewer than 2)" in result.output


def test_cli_flags_a_failure_rate_above_the_threshold(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    # At the server's now(): in the month that maintain just gave a partition (a minute earlier would be the
    # previous month, DEFAULT, in the first minute of a month), and inside health's default window.
    (now,) = db.execute("SELECT now()").fetchone()
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
    result = run_health(db_url, "--tenant", str(A), "--since", "2026-05-10T02:00:00+02:00",
                        "--until", "2026-05-11T00:00:00Z", "--json")  # offsets as the list commands take them
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


@pytest.mark.parametrize("window", ["--since", "--until"])
def test_cli_refuses_a_window_without_a_tenant(db_url: str, window: str) -> None:
    result = run_health(db_url, window, "2026-05-10")
    assert result.exit_code == 2 and "--since and --until need --tenant" in result.output


def test_cli_table_shows_the_success_rate_not_the_failure_rate(db: psycopg.Connection, db_url: str) -> None:
    maintain(db)
    (now,) = db.execute("SELECT now()").fetchone()
    for status_ in ("delivered", "delivered", "delivered", "failed"):
        insert(db, A, now, status_)
    result = run_health(db_url, "--tenant", str(A), "--failure-threshold", "0.5")
    assert result.exit_code == 0, result.output
    window = table_row(result.output, "window", first_header="day")
    assert (window["total"], window["delivered"], window["failed"], window["success"]) == ("4", "3", "1", "75.0%")


def test_cli_exactly_two_months_ahead_is_enough_one_is_not(db: psycopg.Connection, db_url: str) -> None:
    """MIN_MONTHS_AHEAD is the least that is fine: maintain keeps 3, one missed monthly run leaves 2."""
    maintain(db)
    for table in ("teams_obs.audit_events", "teams_obs.notification_deliveries"):
        drop_partition_at(db, table, add_months(current_month(db), 3))
    ahead = run_health(db_url, "--json")
    assert [row["months_ahead"] for row in json.loads(ahead.output)["maintenance"]] == [2, 2], ahead.output
    assert ahead.exit_code == 0, ahead.output
    drop_partition_at(db, "teams_obs.notification_deliveries", add_months(current_month(db), 2))
    result = run_health(db_url)
    assert result.exit_code == 1, result.output
    assert "notification_deliveries: 1 months of partitions ahead (fewer than 2)" in result.output
