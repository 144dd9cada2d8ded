"""pytest fixtures: one embedded cluster per session, the plan deployed once into a template database,
and a fresh clone of it for every test (fast: CREATE DATABASE ... TEMPLATE copies files).

The template's partitions are those of the UTC month it was built in (this month and the next 3), and
its COMMENT ON DATABASE is that month ('YYYY-MM'). A session that crosses a month boundary would clone
last month's partitions into every later test, so each clone first rebuilds the template when the
server's clock has moved on to another month.

Downstream applications get them by installing teams_obs (entry point ``pytest11``).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from teams_obs.deploy import deploy_and_maintain
from teams_obs.partitions import current_month

if TYPE_CHECKING:
    from teams_obs.embedded import EmbeddedPostgres

TEMPLATE_DB = "teams_obs_template"
_clone_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[EmbeddedPostgres]:
    # Imported here: the plugin loads in every pytest run of an environment that has teams_obs, with or
    # without the [embedded] extra; only a test that asks for a cluster needs it.
    from teams_obs.embedded import EmbeddedPostgres

    server = EmbeddedPostgres()
    try:
        yield server
    finally:
        server.stop()


def admin_execute(cluster: EmbeddedPostgres, statement: sql.Composable) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(statement)


def current_template(cluster: EmbeddedPostgres, admin: psycopg.Connection) -> str:
    """The template, (re)built first if it was not built in the server's current UTC month."""
    month = f"{current_month(admin):%Y-%m}"
    built_in = admin.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                             [TEMPLATE_DB]).fetchone()
    if built_in != (month,):
        template = sql.Identifier(TEMPLATE_DB)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(template))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(template))
        deploy_and_maintain(cluster.url(TEMPLATE_DB), echo=lambda _line: None)
        # Recorded last: a build that failed half-way has no month and is built again by the next clone.
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(template, sql.Literal(month)))
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def teams_obs_template(pg_cluster: EmbeddedPostgres) -> str:
    """Name of a database with the whole plan deployed (and partitions maintained) in the current month;
    ``db_url`` rebuilds it under the same name once the month has changed."""
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        return current_template(pg_cluster, admin)


@pytest.fixture
def db_url(pg_cluster: EmbeddedPostgres) -> Iterator[str]:
    """URL of a fresh database cloned from the deployed template, dropped after the test."""
    name = f"teams_obs_test_{next(_clone_numbers)}"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(current_template(pg_cluster, admin))))
    try:
        yield pg_cluster.url(name)
    finally:
        admin_execute(pg_cluster, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_db_url(pg_cluster: EmbeddedPostgres) -> Iterator[str]:
    """URL of a fresh database with nothing deployed."""
    name = f"teams_obs_empty_{next(_clone_numbers)}"
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield pg_cluster.url(name)
    finally:
        admin_execute(pg_cluster, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh deployed database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def sqitch_bin() -> str:
    """The real sqitch binary; skips only where it is not installed (CI installs it)."""
    path = shutil.which("sqitch")
    if path is None:
        pytest.skip("sqitch is not installed")
    return path
