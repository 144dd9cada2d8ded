"""cleanup_audit_events: drops whole expired monthly partitions of audit_events and nothing else."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from teams_obs.partitions import maintain

TENANT = uuid.UUID("00000000-0000-4000-8000-0000000000e1")


def add_events(db: psycopg.Connection, months_back: int, count: int = 1) -> None:
    """``count`` events on the 2nd of the month ``months_back`` months before the current UTC month."""
    db.execute(
        "INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at) "
        "SELECT %s, 'bot', 'add_note', 'success', "
        "       date_trunc('month', now(), 'UTC') - make_interval(months => %s) + interval '1 day' "
        "  FROM generate_series(1, %s)",
        (TENANT, months_back, count))


def partitions(db: psycopg.Connection, table: str = "teams_obs.audit_events") -> set[str]:
    return {name for (name,) in db.execute(
        "SELECT partition_name FROM teams_obs.partition_bounds(%s::regclass)", (table,))}


def rows_by_month(db: psycopg.Connection) -> dict[int, int]:
    """Months back (0 = current month) -> rows."""
    return dict(db.execute(
        "SELECT (extract(year FROM a) * 12 + extract(month FROM a))::int, count(*)::int"
        "  FROM teams_obs.audit_events,"
        "       age(date_trunc('month', now(), 'UTC'), date_trunc('month', created_at, 'UTC')) AS a"
        " GROUP BY 1").fetchall())


def cleanup(db: psycopg.Connection, retention: str | None = None) -> dict[str, tuple]:
    """Runs as the maintainer role, which is what the grant is for."""
    db.execute("SET ROLE teams_obs_maintainer")
    try:
        args = "" if retention is None else "%s::interval"
        rows = db.execute(f"SELECT kind, partitions, rows_removed, names FROM teams_obs.cleanup_audit_events({args})",
                          () if retention is None else (retention,)).fetchall()
    finally:
        db.execute("RESET ROLE")
    return {kind: (count, removed, sorted(names)) for kind, count, removed, names in rows}


def test_default_retention_drops_only_partitions_past_365_days(db: psycopg.Connection) -> None:
    for months_back, count in ((14, 3), (12, 2), (2, 1), (0, 1)):
        add_events(db, months_back, count)
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, "
               "idempotency_key, status, created_at) VALUES (%s, 'bot_dm', 'x', 'k', 'sent', "
               "date_trunc('month', now(), 'UTC') - interval '14 months')", (TENANT,))
    maintain(db)
    # After maintain: an expired and a recent row in DEFAULT (months without a partition).
    add_events(db, 30)
    add_events(db, 6)
    before = partitions(db)
    deliveries_before = partitions(db, "teams_obs.notification_deliveries")
    expired = db.execute("SELECT partition_name FROM teams_obs.partition_bounds('teams_obs.audit_events') "
                         "WHERE lower_bound = date_trunc('month', now(), 'UTC') - interval '14 months'").fetchone()[0]

    report = cleanup(db)

    assert report["partitions_dropped"] == (1, 3, [expired])
    assert report["default_rows_deleted"] == (0, 1, ["teams_obs.audit_events_default"])
    assert "partitions_busy" not in report
    assert partitions(db) == before - {expired}
    assert rows_by_month(db) == {12: 2, 6: 1, 2: 1, 0: 1}
    assert partitions(db, "teams_obs.notification_deliveries") == deliveries_before, "deliveries are not audit events"


def test_short_retention_never_touches_default_current_or_future_partitions(db: psycopg.Connection) -> None:
    add_events(db, 2)
    add_events(db, 0, 2)
    maintain(db, months_ahead=3)
    add_events(db, -5)  # a clock far ahead: no partition yet, so DEFAULT
    before = partitions(db)

    report = cleanup(db, "1 microsecond")

    assert report["partitions_dropped"][:2] == (1, 1)
    assert partitions(db) == before - set(report["partitions_dropped"][2])
    assert "teams_obs.audit_events_default" in partitions(db)
    assert rows_by_month(db) == {0: 2, -5: 1}
    assert len([p for p in partitions(db) if p != "teams_obs.audit_events_default"]) == 4, "current + 3 ahead"


def test_second_run_removes_nothing(db: psycopg.Connection) -> None:
    add_events(db, 14)
    maintain(db)
    cleanup(db)
    report = cleanup(db)
    assert report["partitions_dropped"] == (0, 0, [])
    assert report["default_rows_deleted"][:2] == (0, 0)


@pytest.mark.parametrize("retention", ["0", "-1 day", None])
def test_retention_must_be_positive(db: psycopg.Connection, retention: str | None) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"^retention: must be a positive interval"):
        db.execute("SELECT * FROM teams_obs.cleanup_audit_events(%s::interval)", (retention,))
