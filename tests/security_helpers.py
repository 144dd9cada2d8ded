"""Roles, a reporting role with direct SELECT, and one database shared by a module's many small checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from teams_obs.embedded import EmbeddedPostgres
from teams_obs.pytest_plugin import admin_execute

WRITER = "teams_obs_writer"
READER = "teams_obs_reader"
MAINTAINER = "teams_obs_maintainer"
ROLES = (WRITER, READER, MAINTAINER)
# What a host application might create for dashboards: direct SELECT on the tables, left to row level
# security to keep tenants apart. Cluster-wide like every role, so created once and kept.
REPORTING = "teams_obs_test_reporting"


def create_role(conn: psycopg.Connection, role: str) -> None:
    """A NOLOGIN role, unless the cluster has it already (roles outlive the test databases)."""
    conn.execute(sql.SQL("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {0}) THEN "
                         "CREATE ROLE {1} NOLOGIN; END IF; END$$").format(sql.Literal(role), sql.Identifier(role)))


def grant_reporting_role(conn: psycopg.Connection) -> None:
    """Create the reporting role if missing; grant it SELECT on every table of tenant_deletion_order()."""
    create_role(conn, REPORTING)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA teams_obs TO {}").format(sql.Identifier(REPORTING)))
    for (table,) in conn.execute("SELECT table_name FROM teams_obs.tenant_deletion_order()").fetchall():
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.SQL(table), sql.Identifier(REPORTING)))


@contextmanager
def cloned_database(cluster: EmbeddedPostgres, template: str, name: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh clone of ``template``, dropped afterwards."""
    admin_execute(cluster, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                            sql.Identifier(template)))
    try:
        with psycopg.connect(cluster.url(name), autocommit=True) as conn:
            yield conn
    finally:
        admin_execute(cluster, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def as_role(conn: psycopg.Connection, role: str) -> Iterator[psycopg.Connection]:
    """A transaction under ``role`` (SET LOCAL ROLE), always rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        yield conn
