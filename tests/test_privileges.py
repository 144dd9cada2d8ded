"""The privilege matrix of SPEC §5: each role x every function and every table of teams_obs.

EXPECTED declares who may execute each function. The catalog is compared with it both ways, so a
function added without a declaration (or granted to a role it is not declared for) fails here. Every
(role, function) pair is then tried for real under SET ROLE: allowed calls succeed, the others fail
with 42501; likewise every (role, table, operation).
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from teams_obs.partitions import maintain
from teams_obs.sqitch import Engine
from teams_obs.sqitch.registry import EngineError
from tests.function_roles import EXPECTED, EXPECTED_SQLSTATE, TENANT
from tests.security_helpers import (
    REPORTING,
    ROLES,
    as_role,
    cloned_database,
    create_role,
    grant_reporting_role,
)

MATRIX_ROLES = (*ROLES, REPORTING)
# The tables a host application sees (tenant_deletion_order) and the DEFAULT partitions; the monthly
# partitions are checked from the catalog by test_no_role_touches_a_monthly_partition.
TABLES = ("teams_obs.notification_delivery_idempotency", "teams_obs.notification_deliveries",
          "teams_obs.audit_events", "teams_obs.conversation_references",
          "teams_obs.notification_deliveries_default", "teams_obs.audit_events_default")
OPERATIONS = {
    "SELECT": "SELECT * FROM {} LIMIT 1",
    "INSERT": "INSERT INTO {} DEFAULT VALUES",
    "UPDATE": "UPDATE {} SET tenant = tenant",
    "DELETE": "DELETE FROM {}",
    "TRUNCATE": "TRUNCATE {}",
}
# Direct access: only the reporting role, and only SELECT on the tables (row level security filters it).
REPORTING_SELECTS = TABLES[:4]


@pytest.fixture(scope="module")
def matrix_db(pg_cluster, teams_obs_template) -> psycopg.Connection:
    with cloned_database(pg_cluster, teams_obs_template, "teams_obs_privilege_matrix") as conn:
        maintain(conn)
        grant_reporting_role(conn)
        yield conn


def catalog_functions(conn: psycopg.Connection) -> dict[str, tuple[str, ...]]:
    """name -> argument types of every function of teams_obs (overloads are refused: names are keys)."""
    rows = conn.execute("SELECT p.proname, array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t) "
                        "FROM pg_proc p WHERE p.pronamespace = 'teams_obs'::regnamespace").fetchall()
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "an overloaded function: give EXPECTED signatures instead of names"
    return {name: tuple(types) for name, types in rows}


def test_every_function_is_declared(matrix_db: psycopg.Connection) -> None:
    functions = set(catalog_functions(matrix_db))
    assert functions - set(EXPECTED) == set(), "functions missing from EXPECTED: declare who may execute them"
    assert set(EXPECTED) - functions == set(), "EXPECTED names functions that do not exist"


def test_catalog_grants_are_exactly_the_declared_ones(matrix_db: psycopg.Connection) -> None:
    granted = {name: frozenset(roles) for name, roles in matrix_db.execute(
        "SELECT p.proname, array(SELECT r.rolname FROM unnest(%s::text[]) AS r (rolname) "
        "                        WHERE has_function_privilege(r.rolname, p.oid, 'EXECUTE')) "
        "FROM pg_proc p WHERE p.pronamespace = 'teams_obs'::regnamespace", (list(MATRIX_ROLES),)).fetchall()}
    assert granted == {name: roles for name, (roles, _call) in EXPECTED.items() if name in granted}


def null_call(conn: psycopg.Connection, name: str) -> sql.Composed:
    """A call with NULL arguments. Each is a subquery, not a constant: the planner would fold a strict
    function of a NULL constant to NULL without ever checking the privilege."""
    types = catalog_functions(conn)[name]
    return sql.SQL("SELECT teams_obs.{}({})").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.SQL("(SELECT NULL::{})").format(sql.SQL(t)) for t in types))


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_function_privilege(matrix_db: psycopg.Connection, role: str, name: str) -> None:
    roles, call = EXPECTED[name]
    with as_role(matrix_db, role):
        if role not in roles:
            with pytest.raises(psycopg.errors.InsufficientPrivilege,
                               match=r"permission denied for (function|procedure)"):
                matrix_db.execute(call or null_call(matrix_db, name), {"t": TENANT})
        elif name in EXPECTED_SQLSTATE:
            with pytest.raises(psycopg.Error) as raised:
                matrix_db.execute(call, {"t": TENANT})
            assert raised.value.sqlstate == EXPECTED_SQLSTATE[name]
        else:
            matrix_db.execute(call or null_call(matrix_db, name), {"t": TENANT}).fetchall()


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_table_privilege(matrix_db: psycopg.Connection, role: str, table: str, operation: str) -> None:
    statement = OPERATIONS[operation].format(table)
    with as_role(matrix_db, role):
        if role == REPORTING and operation == "SELECT" and table in REPORTING_SELECTS:
            matrix_db.execute(statement).fetchall()
        else:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table"):
                matrix_db.execute(statement)


def test_no_role_touches_a_monthly_partition(matrix_db: psycopg.Connection) -> None:
    partitions = [name for (name,) in matrix_db.execute(
        "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'teams_obs'::regnamespace "
        "AND c.relkind IN ('r', 'p') AND c.relispartition AND c.oid::regclass::text NOT LIKE '%%\\_default'"
    ).fetchall()]
    assert len(partitions) >= 8  # maintain: this month and 3 ahead, for deliveries and audit events
    allowed = []
    for role in MATRIX_ROLES:
        for table in partitions:
            for statement in OPERATIONS.values():
                with as_role(matrix_db, role):
                    try:
                        matrix_db.execute(statement.format(table))
                        allowed.append((role, table, statement))
                    except psycopg.errors.InsufficientPrivilege:
                        pass
    assert allowed == []


@pytest.mark.parametrize("statement", [
    "CREATE TABLE teams_obs.planted (tenant uuid)",
    "CREATE VIEW teams_obs.planted AS SELECT 1 AS x",
    "CREATE FUNCTION teams_obs.planted() RETURNS int LANGUAGE sql RETURN 1",
])
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_no_role_creates_objects_in_the_schema(matrix_db: psycopg.Connection, role: str, statement: str) -> None:
    with as_role(matrix_db, role), pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                 match="permission denied for schema teams_obs"):
        matrix_db.execute(statement)


OWNER = "teams_obs_test_owner"


def test_a_dedicated_owner_role_deploys_and_its_later_functions_are_not_public(empty_db_url: str) -> None:
    """Deployed by a plain role (as docs/security.md advises), the privileges change also revokes PUBLIC's
    default EXECUTE for that role, so a function added later is executable by nobody until granted."""
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        for role in (*ROLES, OWNER):  # the function roles too: only a superuser may create them
            create_role(conn, role)
        conn.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), sql.Identifier(OWNER)))
    owner_url = psycopg.conninfo.make_conninfo(empty_db_url, options=f"-c role={OWNER}")
    Engine(owner_url, echo=lambda _line: None).deploy(verify=True)
    public_execute = ("SELECT count(*) FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a "
                      "WHERE p.oid = %s::regprocedure AND a.grantee = 0")
    with psycopg.connect(owner_url, autocommit=True) as conn:
        assert conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'teams_obs'"
                            ).fetchone() == (OWNER,)
        conn.execute("CREATE FUNCTION teams_obs.added_later() RETURNS int LANGUAGE sql RETURN 1")
        assert conn.execute(public_execute, ("teams_obs.added_later()",)).fetchone() == (0,)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:  # a superuser's functions keep the default
        conn.execute("CREATE FUNCTION public.by_superuser() RETURNS int LANGUAGE sql RETURN 1")
        assert conn.execute(public_execute, ("public.by_superuser()",)).fetchone() == (1,)
    with psycopg.connect(owner_url, autocommit=True) as conn:  # verify finds the default given back
        conn.execute("DROP FUNCTION teams_obs.added_later()")
        assert Engine(owner_url, echo=lambda _line: None).verify().errors == []
        conn.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC")
        assert any("functions the owner of teams_obs creates are executable by PUBLIC by default" in error
                   and f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;" in error
                   for error in Engine(owner_url, echo=lambda _line: None).verify().errors)


def test_an_owner_that_may_not_create_roles_is_told_to_create_them_first(empty_db_url: str) -> None:
    """The roles are cluster-wide and a dedicated owner usually lacks CREATEROLE: with one of them missing,
    its deploy stops at the first change with a hint that names the statements, and writes nothing."""
    away = "teams_obs_test_writer_away"
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        for role in (*ROLES, OWNER):
            create_role(conn, role)
        conn.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), sql.Identifier(OWNER)))
        conn.execute(sql.SQL("ALTER ROLE {} RENAME TO {}").format(sql.Identifier(ROLES[0]), sql.Identifier(away)))
        try:
            owner_url = psycopg.conninfo.make_conninfo(empty_db_url, options=f"-c role={OWNER}")
            with pytest.raises(EngineError) as refused:
                Engine(owner_url, echo=lambda _line: None).deploy()
        finally:
            conn.execute(sql.SQL("ALTER ROLE {} RENAME TO {}").format(sql.Identifier(away), sql.Identifier(ROLES[0])))
        cause = refused.value.__cause__
        assert f"role teams_obs_writer does not exist, and {OWNER} may not create roles" in str(cause)
        assert "HINT:  As a superuser (or a role with CREATEROLE), create the three roles" in str(cause)
        assert conn.execute("SELECT to_regnamespace('teams_obs')").fetchone() == (None,)


def test_an_owner_that_may_not_create_schemas_is_told_so(empty_db_url: str) -> None:
    """docs/security.md's GRANT CREATE ON DATABASE forgotten: the registry's script fails on it, and the failure
    is the one reported, not psycopg's refusal to leave the transaction it aborted."""
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        create_role(conn, OWNER)
    owner_url = psycopg.conninfo.make_conninfo(empty_db_url, options=f"-c role={OWNER}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for database"):
        Engine(owner_url, echo=lambda _line: None).deploy()
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regnamespace('sqitch')").fetchone() == (None,)


@pytest.mark.parametrize(("drift", "said"), [
    ("REVOKE EXECUTE ON FUNCTION teams_obs.record_delivery FROM teams_obs_writer",
     ["executable by no role, declared for teams_obs_writer", "GRANT EXECUTE ON ROUTINE teams_obs.record_delivery("]),
    ("REVOKE EXECUTE ON PROCEDURE teams_obs.maintain_partitions FROM teams_obs_maintainer",
     ["executable by no role, declared for teams_obs_maintainer",
      "GRANT EXECUTE ON ROUTINE teams_obs.maintain_partitions("]),
    ("GRANT EXECUTE ON FUNCTION teams_obs.purge_tenant(uuid) TO teams_obs_writer",
     ["teams_obs.purge_tenant(uuid) executable by teams_obs_maintainer, teams_obs_writer, declared for "
      "teams_obs_maintainer", "REVOKE EXECUTE ON ROUTINE teams_obs.purge_tenant(uuid) FROM teams_obs_writer CASCADE;"]),
    ("GRANT EXECUTE ON FUNCTION teams_obs.purge_tenant(uuid) TO PUBLIC",
     ["teams_obs.purge_tenant(uuid) executable by PUBLIC, teams_obs_maintainer",
      "REVOKE EXECUTE ON ROUTINE teams_obs.purge_tenant(uuid) FROM PUBLIC CASCADE;"]),
    ("CREATE FUNCTION teams_obs.undeclared() RETURNS integer LANGUAGE sql RETURN 1",
     ["teams_obs.undeclared() executable by PUBLIC, declared for no role (not declared)",
      "REVOKE EXECUTE ON ROUTINE teams_obs.undeclared() FROM PUBLIC CASCADE;",
      "Declare each routine that is not declared in function_roles.toml, or drop it: teams_obs.undeclared()"]),
    ("GRANT SELECT, DELETE ON teams_obs.audit_events TO teams_obs_writer",
     ["teams_obs_writer has DELETE, SELECT on teams_obs.audit_events",
      "REVOKE ALL ON teams_obs.audit_events FROM teams_obs_writer CASCADE;"]),
    ("GRANT SELECT ON teams_obs.conversation_references TO PUBLIC; "
     "GRANT INSERT ON teams_obs.audit_events_default TO teams_obs_maintainer",
     ["PUBLIC has SELECT on teams_obs.conversation_references", "teams_obs_maintainer has INSERT on "
      "teams_obs.audit_events_default", "REVOKE ALL ON teams_obs.conversation_references FROM PUBLIC CASCADE;"]),
    ("GRANT SELECT (tenant) ON teams_obs.audit_events TO teams_obs_writer",
     ["teams_obs_writer has SELECT (tenant) on teams_obs.audit_events"]),
    ("GRANT CREATE ON SCHEMA teams_obs TO teams_obs_writer",
     ["CREATE on schema teams_obs for teams_obs_writer", "REVOKE CREATE ON SCHEMA teams_obs FROM teams_obs_writer;"]),
    ("ALTER ROLE teams_obs_reader LOGIN; GRANT teams_obs_writer TO teams_obs_reader",
     ["more than a bare NOLOGIN role (LOGIN, SUPERUSER, BYPASSRLS, CREATEROLE, CREATEDB, REPLICATION or a "
      "membership): teams_obs_reader", "REVOKE teams_obs_writer FROM teams_obs_reader;"]),
    ("REVOKE USAGE ON SCHEMA teams_obs FROM teams_obs_reader",
     ["no USAGE on schema teams_obs for teams_obs_reader", "GRANT USAGE ON SCHEMA teams_obs TO teams_obs_reader;"]),
    ("REVOKE USAGE ON SCHEMA teams_obs FROM teams_obs_writer, teams_obs_maintainer",
     ["no USAGE on schema teams_obs for teams_obs_maintainer, teams_obs_writer",
      "GRANT USAGE ON SCHEMA teams_obs TO teams_obs_maintainer, teams_obs_writer;"]),
    ("GRANT SELECT ON teams_obs.audit_events TO teams_obs_reader; "
     "GRANT EXECUTE ON FUNCTION teams_obs.purge_tenant(uuid) TO teams_obs_writer",
     ["teams_obs.purge_tenant(uuid) executable by teams_obs_maintainer, teams_obs_writer",
      "; and tables of teams_obs are granted to roles that reach them through functions only: teams_obs_reader has "
      "SELECT on teams_obs.audit_events", "REVOKE EXECUTE ON ROUTINE teams_obs.purge_tenant(uuid) FROM "
      "teams_obs_writer CASCADE; REVOKE ALL ON teams_obs.audit_events FROM teams_obs_reader CASCADE;"]),
    ("REVOKE USAGE ON SCHEMA teams_obs FROM teams_obs_reader; GRANT CREATE ON SCHEMA teams_obs TO teams_obs_writer",
     ["no USAGE on schema teams_obs for teams_obs_reader; and CREATE on schema teams_obs for teams_obs_writer",
      "GRANT USAGE ON SCHEMA teams_obs TO teams_obs_reader; REVOKE CREATE ON SCHEMA teams_obs FROM teams_obs_writer;"]),
], ids=["grant lost", "procedure grant lost", "grant added", "granted to PUBLIC", "function undeclared",
        "table granted", "table granted to PUBLIC or the maintainer", "column granted", "schema create granted",
        "role with more than NOLOGIN", "schema usage lost", "schema usage lost by two", "two kinds in one run",
        "two kinds of the schema's in one run"])
def test_verify_finds_privileges_that_drifted_from_the_declared_ones(db: psycopg.Connection, db_url: str,
                                                                      drift: str, said: list[str], request) -> None:
    """sqitch verify and teams-obs verify run the same scripts: an operator's drift check, whose HINT repairs."""
    assert Engine(db_url, echo=lambda _line: None).verify().errors == []
    if drift.startswith("ALTER ROLE"):  # cluster-wide: given back whatever happens, for the other tests
        request.addfinalizer(lambda: db.execute("ALTER ROLE teams_obs_reader NOLOGIN; "
                                                "REVOKE teams_obs_writer FROM teams_obs_reader"))
    db.execute(drift)
    errors = Engine(db_url, echo=lambda _line: None).verify().errors
    assert any(all(part in error for part in said) for error in errors), errors
    # the HINT's statements repair it (an undeclared function is the package's to declare: dropped here)
    script = next(path for path in ("verify/schema.sql", "verify/privileges.sql") if path in errors[0])
    with pytest.raises(psycopg.errors.RaiseException) as refused:
        db.execute((Engine(db_url).top_dir / script).read_text())
    db.execute("ROLLBACK")
    db.execute(refused.value.diag.message_hint.partition(" Declare each routine")[0])
    db.execute("DROP FUNCTION IF EXISTS teams_obs.undeclared()")
    assert Engine(db_url, echo=lambda _line: None).verify().errors == []
