"""Row level security (SPEC §5): a role reading tables directly sees only the tenant named by the
transaction's teams_obs.tenant setting, nothing without it; the functions and cross-tenant maintenance
are not affected (the policy is not forced on the owner: docs/security.md)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from tests.security_helpers import MAINTAINER, READER, REPORTING, as_role, grant_reporting_role
from tests.tenant_data import counts, record_sample, tenant_tables

A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
B = uuid.UUID("00000000-0000-4000-8000-0000000000b2")


@pytest.fixture
def reporting(db: psycopg.Connection) -> psycopg.Connection:
    record_sample(db, A)
    record_sample(db, B, deliveries=2, audit_events=1, conversations=1)
    assert tuple(tenant_tables(db)) == TABLES
    grant_reporting_role(db)
    return db


# The tables of tenant_deletion_order(), which the reporting role may not execute.
TABLES = ("teams_obs.notification_delivery_idempotency", "teams_obs.notification_deliveries",
          "teams_obs.audit_events", "teams_obs.conversation_references")


def visible(db: psycopg.Connection) -> dict[str, dict[uuid.UUID, int]]:
    """Rows per table and tenant, as the current role sees them."""
    return {table: dict(db.execute(f"SELECT tenant, count(*) FROM {table} GROUP BY tenant").fetchall())
            for table in TABLES}


def only(db: psycopg.Connection, tenant: uuid.UUID) -> dict[str, dict[uuid.UUID, int]]:
    return {table: {tenant: rows} for table, rows in counts(db, tenant).items()}


def test_nothing_is_visible_without_a_tenant(reporting: psycopg.Connection) -> None:
    with as_role(reporting, REPORTING):
        assert visible(reporting) == {table: {} for table in TABLES}


@pytest.mark.parametrize("how", ["SET LOCAL teams_obs.tenant = '{}'",
                                 "SELECT set_config('teams_obs.tenant', '{}', true)",
                                 "SET teams_obs.tenant = '{}'"])
def test_the_transaction_sees_only_the_tenant_it_names(reporting: psycopg.Connection, how: str) -> None:
    expected = {tenant: only(reporting, tenant) for tenant in (A, B)}
    for tenant in (A, B):
        with as_role(reporting, REPORTING):
            reporting.execute(how.format(tenant))
            assert visible(reporting) == expected[tenant]
    reporting.execute("RESET teams_obs.tenant")


def test_a_local_setting_ends_with_its_transaction(reporting: psycopg.Connection) -> None:
    with as_role(reporting, REPORTING):
        reporting.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
    # The placeholder now reads '' in this session: still nothing.
    assert reporting.execute("SELECT current_setting('teams_obs.tenant', true)").fetchone()[0] == ""
    with as_role(reporting, REPORTING):
        assert all(rows == {} for rows in visible(reporting).values())


def test_a_setting_that_is_not_a_uuid_is_an_error_not_a_match(reporting: psycopg.Connection) -> None:
    with as_role(reporting, REPORTING), pytest.raises(psycopg.errors.InvalidTextRepresentation):
        reporting.execute("SET LOCAL teams_obs.tenant = 'x'' OR true --'")
        reporting.execute("SELECT count(*) FROM teams_obs.notification_deliveries")


def test_a_role_allowed_to_write_directly_cannot_write_another_tenants_rows(reporting: psycopg.Connection) -> None:
    table = "teams_obs.conversation_references"
    reporting.execute(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {REPORTING}")
    insert = (f"INSERT INTO {table} (tenant, microsoft_user_id, conversation_id, conversation_type, service_url, "
              "last_activity_at) VALUES (%s, 'u-direct', 'c-direct', 'personal', 'https://x.example/', now())")
    a_rows = counts(reporting, A)[table]
    try:
        with as_role(reporting, REPORTING):
            reporting.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
            reporting.execute(insert, (A,))
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                reporting.execute(insert, (B,))
        with as_role(reporting, REPORTING):
            reporting.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
            updated = reporting.execute(f"UPDATE {table} SET service_url = 'https://moved.example/'").rowcount
            assert updated == a_rows
            assert reporting.execute(f"DELETE FROM {table} WHERE tenant = %s", (B,)).rowcount == 0
    finally:
        reporting.execute(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {REPORTING}")
    assert counts(reporting, B)[table] == 1


def test_a_partition_read_directly_shows_nothing_even_when_granted(reporting: psycopg.Connection) -> None:
    partition = "teams_obs.notification_deliveries_default"
    reporting.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, "
                      "idempotency_key, status, created_at) VALUES (%s, 'bot_dm', 'old', 'k', 'sent', '2019-01-01Z')",
                      (A,))
    reporting.execute(f"GRANT SELECT ON {partition} TO {REPORTING}")
    with as_role(reporting, REPORTING):
        reporting.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
        assert reporting.execute(f"SELECT count(*) FROM {partition}").fetchone()[0] == 0
        assert reporting.execute("SELECT count(*) FROM teams_obs.notification_deliveries "
                                 "WHERE created_at < '2020-01-01Z'").fetchone()[0] == 1


def test_functions_and_cross_tenant_maintenance_ignore_the_setting(reporting: psycopg.Connection) -> None:
    """The owner's functions filter by their own tenant argument, whatever the session names."""
    db = reporting
    b_rows = counts(db, B)
    with as_role(db, READER):
        db.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
        assert db.execute("SELECT count(*) FROM teams_obs.list_deliveries(%s)", (B,)).fetchone()[0] == b_rows[
            "teams_obs.notification_deliveries"]
    with as_role(db, MAINTAINER):
        db.execute(sql.SQL("SET LOCAL teams_obs.tenant = {}").format(sql.Literal(str(A))))
        assert dict(db.execute("SELECT * FROM teams_obs.purge_tenant(%s)", (B,)).fetchall()) == b_rows
        db.execute("SELECT * FROM teams_obs.cleanup_notification_deliveries()").fetchall()


def test_reverted_and_deployed_again_quietly_and_whole(db: psycopg.Connection, db_url: str) -> None:
    """The revert drops the parents' policies and disables RLS everywhere without a NOTICE per partition
    (which have no policy); deployed again, every table has RLS and every parent its policy."""
    from teams_obs.sqitch import Engine

    said: list[str] = []
    engine = Engine(db_url, echo=said.append)
    engine.revert("maintenance_status")
    assert not [line for line in said if "NOTICE" in line], said
    assert db.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'teams_obs'::regnamespace"
                      " AND relrowsecurity").fetchone() == (0,)
    engine.deploy()
    assert db.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'teams_obs'::regnamespace"
                      " AND relkind IN ('r', 'p') AND NOT relrowsecurity").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM pg_policy WHERE polrelid::regclass::text LIKE 'teams_obs.%'"
                      ).fetchone() == (4,)
