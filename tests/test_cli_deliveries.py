"""`teams-obs maintain`, `teams-obs cleanup` and `teams-obs deliveries list` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import psycopg
from click.testing import CliRunner, Result

from teams_obs import partitions
from teams_obs.cli import main
from teams_obs.partitions import add_months, current_month
from tests.cli_tables import table_row
from tests.partition_helpers import DEFAULT, create_partition_of, drop_partitions_from

TENANT = "00000000-0000-4000-8000-0000000000a1"
NEW_YORK = "options=-c%20TimeZone%3DAmerica/New_York"


def run(db_url: str, *args: str) -> Result:
    """Wide enough that rich tables keep every cell on one line."""
    return CliRunner(env={"COLUMNS": "300"}).invoke(main, ["--db", db_url, *args], catch_exceptions=False)


def partition_names(db: psycopg.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT partition_name FROM teams_obs.partition_bounds("
                                     "'teams_obs.notification_deliveries') ORDER BY 1")]


def test_maintain_dry_run_prints_sql_and_creates_nothing(db, db_url):
    next_month = add_months(current_month(db), 1)
    db.execute(f"DROP TABLE IF EXISTS teams_obs.notification_deliveries_p{next_month:%Y_%m}")
    before = partition_names(db)
    result = run(db_url, "maintain", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"ATTACH PARTITION teams_obs.notification_deliveries_p{next_month:%Y_%m}" in result.output
    assert "Dry run: nothing executed" in result.output
    assert partition_names(db) == before


def test_maintain_creates_then_has_nothing_to_do(db, db_url):
    next_month = add_months(current_month(db), 1)
    db.execute(f"DROP TABLE IF EXISTS teams_obs.notification_deliveries_p{next_month:%Y_%m}")
    first = run(db_url, "maintain", "--months-ahead", "2")
    assert first.exit_code == 0, first.output
    assert f"notification_deliveries_p{next_month:%Y_%m}" in first.output and "created" in first.output
    assert f"teams_obs.notification_deliveries_p{next_month:%Y_%m}" in partition_names(db)
    second = run(db_url, "maintain", "--months-ahead", "2")
    assert second.exit_code == 0 and "Nothing to do" in second.output


def test_maintain_refuses_more_than_ten_years_ahead_before_making_anything(db, db_url):
    before = partition_names(db)
    result = run(db_url, "maintain", "--months-ahead", "100000")
    assert result.exit_code == 2
    assert "months_ahead: must be between 0 and 120, got 100000 [22023]" in result.output
    assert partition_names(db) == before


def test_maintain_refuses_a_lock_timeout_that_is_no_duration(db_url):
    result = CliRunner().invoke(main, ["--db", db_url, "maintain", "--lock-timeout", "1s;\nDROP TABLE x"])
    assert result.exit_code == 2
    assert "lock_timeout: expected a duration such as 500ms or 2s" in result.output


def test_maintain_exits_1_and_shows_the_month_whose_locks_it_never_got(db, db_url, monkeypatch):
    """What a cron job or CronJob needs to alert on: a month left unattached is a failure, not a notice."""
    first = current_month(db)
    drop_partitions_from(db, first)
    monkeypatch.setattr(partitions, "_backoff", lambda _attempt: 0)
    with psycopg.connect(db_url) as reader:
        reader.execute(f"SELECT count(*) FROM {DEFAULT}")  # held until the end of the run
        result = run(db_url, "maintain", "--months-ahead", "0", "--lock-timeout", "20ms")
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.output.splitlines() if f"notification_deliveries_p{first:%Y_%m}" in line]
    assert "failed" in line and "locks not granted after 8 attempts" in line
    assert f"teams_obs.notification_deliveries_p{first:%Y_%m}" not in partition_names(db)


def test_deliveries_list_pages_through_json(db, db_url):
    for n in range(5):
        db.execute("SELECT teams_obs.record_delivery(%s, 'bot_dm', %s, 'failed', p_error_code => 'transient')",
                   [TENANT, f"user-{n}"])
    seen: list[str] = []
    cursor: list[str] = []
    for _page in range(5):
        result = run(db_url, "deliveries", "list", "--tenant", TENANT, "--limit", "2", "--status", "failed",
                     "--json", *cursor)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        seen += [row["destination_id"] for row in document["rows"]]
        if document["next_cursor"] is None:
            break
        cursor = ["--cursor", document["next_cursor"]]
    assert sorted(seen) == [f"user-{n}" for n in range(5)]


def test_deliveries_list_refuses_a_bad_cursor(db_url):
    result = run(db_url, "deliveries", "list", "--tenant", TENANT, "--cursor", "not-a-cursor!")
    assert result.exit_code == 2
    assert "cursor: malformed" in result.output and "[22023]" in result.output


def test_cleanup_reports_every_table(db, db_url):
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency"
               " VALUES (%s, 'k', %s, now() - interval '1 year')", [TENANT, uuid.uuid4()])
    result = run(db_url, "cleanup", "--deliveries-retention", "30 days")
    assert result.exit_code == 0, result.output
    for text in ("reservations_deleted", "notification_deliveries", "audit_events", "partitions_dropped"):
        assert text in result.output
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency").fetchone()[0] == 0


def test_cleanup_commits_batch_by_batch_and_reports_the_total(db, db_url):
    db.execute("INSERT INTO teams_obs.notification_delivery_idempotency"
               " SELECT %s, 'k' || i, gen_random_uuid(), now() - interval '1 year' FROM generate_series(1, 600) i",
               [TENANT])
    result = run(db_url, "cleanup", "--batch-size", "50")
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "reservations_deleted" in line]
    assert " 600 " in line


def test_cleanup_keeps_a_partition_in_use_says_so_and_succeeds(db, db_url):
    """A busy expired month is left to the next run by design: a warning, not a failed job."""
    expired = create_partition_of(db, add_months(current_month(db), -6))
    with psycopg.connect(db_url) as reader:
        reader.execute("SELECT count(*) FROM teams_obs.notification_deliveries")  # ACCESS SHARE until the end
        result = run(db_url, "cleanup")
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "partitions_busy" in line]
    assert expired.removeprefix("teams_obs.") in line
    assert "Some expired partitions were in use and are kept until the next run." in result.output
    assert expired in partition_names(db)


def test_maintain_and_cleanup_on_a_database_without_the_plan_exit_2(empty_db_url):
    """A cron job pointed at the wrong database, or one reverted, must fail, not report nothing to do."""
    for command in ("maintain", "cleanup"):
        result = run(empty_db_url, command)
        assert result.exit_code == 2, result.output
        assert "is not deployed in this database: run teams-obs deploy" in result.output


def test_maintain_refuses_a_lock_timeout_that_waits_without_end(db_url):
    for timeout in ("0", "0s", "500us"):
        result = CliRunner().invoke(main, ["--db", db_url, "maintain", "--lock-timeout", timeout])
        assert result.exit_code == 2 and "lock_timeout: must be at least 1ms" in result.output


def test_cleanup_checks_every_interval_before_it_deletes_anything(db, db_url):
    db.execute(f"INSERT INTO {DEFAULT} (tenant, destination_type, destination_id, idempotency_key, status, created_at)"
               " VALUES (%s, 'chat', 'old', 'k', 'sent', '2001-01-01')", [TENANT])
    result = CliRunner().invoke(main, ["--db", db_url, "cleanup", "--audit-retention", "0"])
    assert result.exit_code == 2 and "retention: must be a positive interval" in result.output
    assert db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 1


def test_integers_beyond_the_functions_range(db_url):
    """A --limit past int4 is clamped as the list clamps it; larger sizes are refused by click, not by a
    function lookup that finds no bigint version."""
    assert run(db_url, "deliveries", "list", "--tenant", TENANT, "--limit", "1000000000000").exit_code == 0
    assert run(db_url, "deliveries", "list", "--tenant", TENANT, "--limit", "-1000000000000").exit_code == 0
    limit_help = CliRunner().invoke(main, ["deliveries", "list", "--help"]).output.split("--limit", 1)[1]
    assert "clamped to 1..200" in limit_help and "2147483647" not in limit_help.split("--cursor", 1)[0]
    for args in (("cleanup", "--batch-size", "100000000000"), ("maintain", "--months-ahead", "100000000000")):
        result = CliRunner().invoke(main, ["--db", db_url, *args])
        assert result.exit_code == 2 and "is not in the range" in result.output, result.output


def test_json_output_is_one_document_with_an_embedded_cluster():
    run = subprocess.run([sys.executable, "-m", "teams_obs", "deliveries", "list", "--tenant", TENANT, "--json"],
                         capture_output=True, text=True, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "TEAMS_OBS_DATABASE_URL"})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"rows": [], "next_cursor": None}
    assert "starting an embedded throwaway PostgreSQL" in run.stderr


def test_maintain_shows_each_created_month_with_both_bounds(db, db_url):
    next_month = add_months(current_month(db), 1)
    db.execute(f"DROP TABLE teams_obs.notification_deliveries_p{next_month:%Y_%m}")
    result = run(db_url, "maintain")
    assert result.exit_code == 0, result.output
    row = table_row(result.output, f"notification_deliveries_p{next_month:%Y_%m}")
    assert (row["from (UTC)"], row["to (UTC)"], row["status"]) == (
        f"{next_month:%Y-%m-%d}", f"{add_months(next_month, 1):%Y-%m-%d}", "created")


def test_cleanup_prints_the_cutoff_in_utc_whatever_the_session_time_zone(db, db_url):
    result = run(f"{db_url}?{NEW_YORK}", "cleanup", "--deliveries-retention", "30 days")
    assert result.exit_code == 0, result.output
    (expected,) = db.execute("SELECT teams_obs.retention_cutoff('30 days')").fetchone()
    printed = datetime.strptime(table_row(result.output, "notification_deliveries")["cutoff (UTC)"],
                                "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs((printed - expected).total_seconds()) < 60, (printed, expected)


def insert_delivery(db, destination_id: str, created_at: str, status: str = "sent",
                    error_code: str | None = None) -> None:
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id,"
               " idempotency_key, status, error_code, created_at) VALUES (%s, 'chat', %s, %s, %s, %s, %s)",
               [TENANT, destination_id, destination_id, status, error_code, created_at])


def test_deliveries_list_reads_a_time_without_offset_as_utc_not_as_the_session_zone(db, db_url):
    for hour in ("09", "12", "16"):  # UTC; 10:00 in New York is 15:00 UTC
        insert_delivery(db, f"utc-{hour}", f"2026-11-30 {hour}:00:00+00")

    def listed(*window: str) -> list[str]:
        result = run(f"{db_url}?{NEW_YORK}", "deliveries", "list", "--tenant", TENANT, "--json", *window)
        assert result.exit_code == 0, result.output
        return sorted(row["destination_id"] for row in json.loads(result.output)["rows"])

    assert listed("--since", "2026-11-30T10:00:00") == ["utc-12", "utc-16"]
    assert listed("--until", "2026-11-30T13:00:00") == ["utc-09", "utc-12"]
    assert listed("--since", "2026-11-30T10:00:00-05:00") == ["utc-16"]  # an offset given is kept


def test_deliveries_list_shows_the_error_code_of_a_failed_delivery(db, db_url):
    insert_delivery(db, "failed-1", "2026-11-30 09:00:00+00", "failed", "graph_throttled")
    insert_delivery(db, "sent-1", "2026-11-30 08:00:00+00")
    result = run(db_url, "deliveries", "list", "--tenant", TENANT)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "chat:" in line]
    assert [[cell.strip() for cell in line.split("│")][3:5] for line in rows] == [
        ["failed (graph_throttled)", "chat:failed-1"], ["sent", "chat:sent-1"]]


def test_stored_text_is_listed_as_stored_not_read_as_markup(db, db_url):
    """An error message quoting a path such as [/v1.0/users] closes no rich tag: rich refused the whole page."""
    db.execute("SELECT teams_obs.record_delivery(%s, 'chat', '[/chat]', 'failed', p_error_code => 'unknown',"
               " p_error_message => E'[bold]GET [/v1.0/users] failed\\x1b[2J\\x1b]0;pwned\\x07')", [TENANT])
    result = run(db_url, "deliveries", "list", "--tenant", TENANT)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "chat:[/chat]" in line)
    # a control character is shown as its escape, never sent to the terminal to act on
    assert r"[bold]GET [/v1.0/users] failed\x1b[2J\x1b]0;pwned\x07" in row, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_json_escapes_every_control_character_and_keeps_the_text(db, db_url):
    """json.dumps writes DEL and the C1 controls (CSI among them) raw, which a terminal would act on."""
    message = "Graph \u00e9chec \u65e5\u672c \x7f\u009b31m\x1b[2J"
    db.execute("SELECT teams_obs.record_delivery(%s, 'chat', 'c', 'failed', p_error_code => 'unknown',"
               " p_error_message => %s)", [TENANT, message])
    result = run(db_url, "deliveries", "list", "--tenant", TENANT, "--json")
    assert result.exit_code == 0, result.output
    assert not any(0x7f <= ord(c) <= 0x9f or (ord(c) < 0x20 and c != "\n") for c in result.output), result.output
    assert "Graph \u00e9chec \u65e5\u672c" in result.output  # non-ASCII text stays readable
    assert json.loads(result.output)["rows"][0]["error_message"] == message


def test_cleanups_progress_bar_advances_once_per_batch(db, db_url, monkeypatch):
    """SPEC §7's progress bars: the bar counts the batches retention reports at DEBUG, so a reworded report
    would leave it standing still."""
    from rich.progress import Progress

    db.execute(f"INSERT INTO {DEFAULT} (tenant, destination_type, destination_id, idempotency_key, status, created_at)"
               " SELECT %s, 'chat', 'old-' || n, 'k' || n, 'sent', '2001-01-01' FROM generate_series(1, 3000) n",
               [TENANT])
    db.execute(f"ANALYZE {DEFAULT}")
    planned = db.execute("SELECT count(*) FROM teams_obs.retention_row_batches("
                         "'teams_obs.notification_deliveries', 500)").fetchone()[0]
    advanced = []
    advance = Progress.advance
    monkeypatch.setattr(Progress, "advance", lambda self, task, steps=1: advanced.append(steps) or advance(
        self, task, steps))
    result = run(db_url, "cleanup", "--batch-size", "500")
    assert result.exit_code == 0, result.output
    assert planned > 1 and len(advanced) == planned
    assert result.output.startswith("Retention")  # off a terminal, not even the bar's blank line
    assert db.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 0


def test_times_at_infinity_are_shown_as_the_server_writes_them(db, db_url):
    """The owner may store them; psycopg alone would fail the whole listing."""
    db.execute(f"INSERT INTO {DEFAULT} (tenant, destination_type, destination_id, idempotency_key, status, created_at,"
               " sent_at) VALUES (%s, 'chat', 'far', 'k1', 'sent', 'infinity', '-infinity')", [TENANT])
    listed = run(db_url, "deliveries", "list", "--tenant", TENANT, "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)["rows"]
    assert (row["created_at"], row["sent_at"]) == ("infinity", "-infinity")
    table = run(db_url, "deliveries", "list", "--tenant", TENANT)
    assert table.exit_code == 0 and table_row(table.output, "infinity")["destination"] == "chat:far"
