"""purge_tenant / tenant_deletion_order (SPEC §4 Tenant purge) and `teams-obs purge-tenant`."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs import purge
from teams_obs.cli import main
from tests.checkout import documented_number
from tests.partition_helpers import wait_until_blocked
from tests.tenant_data import (
    counts,
    record_conversation_references,
    record_deliveries,
    record_sample,
    snapshot,
    tenant_tables,
)

A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")


def purge_rows(db: psycopg.Connection, tenant: uuid.UUID) -> list[tuple[str, int]]:
    return db.execute("SELECT table_name, rows_deleted FROM teams_obs.purge_tenant(%s)", (tenant,)).fetchall()


def test_python_purge_keeps_a_reservation_and_its_row_together_under_a_concurrent_writer(
        db: psycopg.Connection, db_url: str) -> None:
    """A delivery recorded after the sidecar was emptied but before deliveries are: REPEATABLE READ
    keeps both (a later purge takes them), where per-statement snapshots would delete the row only."""
    record_deliveries(db, A, 3)

    def write_meanwhile(table: str, _rows: int) -> None:
        if table == "teams_obs.notification_delivery_idempotency":
            with psycopg.connect(db_url, autocommit=True) as writer:
                record_deliveries(writer, A, 1, prefix="late")

    result = purge.purge_tenant(db, A, on_table=write_meanwhile)
    assert dict(result)["teams_obs.notification_deliveries"] == 3
    assert db.execute(
        "SELECT count(*) FROM teams_obs.notification_delivery_idempotency i JOIN teams_obs.notification_deliveries d "
        "USING (tenant, delivery_id, created_at) WHERE i.tenant = %s", (A,)).fetchone()[0] == 1
    assert counts(db, A)["teams_obs.notification_deliveries"] == 1
    assert dict(purge.purge_tenant(db, A))["teams_obs.notification_deliveries"] == 1


def test_python_purge_starts_again_when_a_row_of_the_tenant_changes_meanwhile(
        db: psycopg.Connection, db_url: str) -> None:
    """REPEATABLE READ cannot delete a row that another transaction changed after the purge's snapshot:
    the serialization failure rolls back what the attempt deleted, and the purge starts again."""
    expected = record_sample(db, A)
    first_table, last_table = tenant_tables(db)[0], tenant_tables(db)[-1]
    assert last_table == "teams_obs.conversation_references"
    retries = []

    def refresh_a_reference_once(table: str, _rows: int) -> None:
        if table == first_table and not retries:
            with psycopg.connect(db_url, autocommit=True) as writer:
                record_conversation_references(writer, A, 1)  # a newer activity: an UPDATE of a stored row

    result = purge.purge_tenant(db, A, on_table=refresh_a_reference_once, on_retry=lambda: retries.append(1))
    assert retries == [1]
    assert result == list(expected.items())
    assert counts(db, A) == dict.fromkeys(expected, 0)


def test_python_purge_gives_up_after_its_attempts_when_the_tenant_keeps_changing(
        db: psycopg.Connection, db_url: str) -> None:
    """A row changed during every attempt: as many attempts as docs/operating.md says, then the serialization
    failure is raised and every table keeps its rows."""
    expected = record_sample(db, A)
    first_table = tenant_tables(db)[0]
    retries = []

    def refresh_a_reference(table: str, _rows: int) -> None:
        if table == first_table:
            with psycopg.connect(db_url, autocommit=True) as writer:
                record_conversation_references(writer, A, 1)

    with pytest.raises(psycopg.errors.SerializationFailure):
        purge.purge_tenant(db, A, on_table=refresh_a_reference, on_retry=lambda: retries.append(1))
    attempts = documented_number("operating.md", r"after (\d+) attempts it gives up with SQLSTATE 40001")
    assert len(retries) + 1 == attempts
    assert counts(db, A) == expected


def test_sql_purge_keeps_a_reservation_and_its_row_together_under_read_committed(
        db: psycopg.Connection, db_url: str) -> None:
    """The sidecar DELETE waits on a row lock while a writer commits a new delivery; in READ COMMITTED a
    later statement with a fresh snapshot would then delete that delivery's row but not its reservation."""
    record_deliveries(db, A, 2)
    with psycopg.connect(db_url) as holder, psycopg.connect(db_url, autocommit=True) as purger:
        holder.execute("SELECT 1 FROM teams_obs.notification_delivery_idempotency WHERE tenant = %s LIMIT 1 FOR UPDATE",
                       (A,))
        purging = threading.Thread(target=lambda: purge_rows(purger, A))
        purging.start()
        wait_until_blocked(db, "%purge_tenant(%", "transactionid")  # on the held row
        with psycopg.connect(db_url, autocommit=True) as writer:
            record_deliveries(writer, A, 1, prefix="late")
        holder.commit()
        purging.join(timeout=30)
    assert not purging.is_alive()
    orphans = db.execute(
        "SELECT count(*) FROM teams_obs.notification_delivery_idempotency i WHERE i.tenant = %s AND NOT EXISTS ("
        " SELECT 1 FROM teams_obs.notification_deliveries d WHERE (d.tenant, d.delivery_id, d.created_at)"
        " = (i.tenant, i.delivery_id, i.created_at))", (A,)).fetchone()[0]
    assert orphans == 0
    assert counts(db, A) == {**dict.fromkeys(tenant_tables(db), 0),
                             "teams_obs.notification_delivery_idempotency": 1, "teams_obs.notification_deliveries": 1}


@pytest.mark.parametrize("answer", ["n\n", "\n"], ids=["no", "just Enter"])
def test_cli_asks_first_and_deletes_nothing_when_declined(db: psycopg.Connection, db_url: str, answer: str) -> None:
    record_sample(db, A)
    before = snapshot(db, A)
    result = CliRunner().invoke(main, ["--db", db_url, "purge-tenant", str(A)], input=answer)
    assert result.exit_code == 1, result.output
    assert "This cannot be undone" in result.output and "Nothing deleted." in result.output
    assert snapshot(db, A) == before


def test_cli_purges_with_yes_and_reports_each_table(db: psycopg.Connection, db_url: str) -> None:
    expected = record_sample(db, A)
    result = CliRunner().invoke(main, ["--db", db_url, "purge-tenant", "--yes", str(A)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for table, rows in expected.items():
        assert any(table in line and line.rstrip(" │").endswith(str(rows)) for line in result.output.splitlines())
    assert counts(db, A) == dict.fromkeys(expected, 0)
