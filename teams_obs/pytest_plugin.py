"""pytest fixtures: one embedded cluster per session, the plan deployed once into a template database,
and a fresh clone of it for every test (fast: CREATE DATABASE ... TEMPLATE copies files).

Downstream applications get them by installing teams_obs (entry point ``pytest11``).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from teams_obs.deploy import deploy_and_maintain
from teams_obs.embedded import EmbeddedPostgres

TEMPLATE_DB = "teams_obs_template"
_clone_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres()
    try:
        yield server
    finally:
        server.stop()


def admin_execute(cluster: EmbeddedPostgres, statement: sql.Composable) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def teams_obs_template(pg_cluster: EmbeddedPostgres) -> str:
    """Name of a database with the whole plan deployed (and partitions maintained)."""
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    deploy_and_maintain(pg_cluster.url(TEMPLATE_DB), echo=lambda _line: None)
    return TEMPLATE_DB


@pytest.fixture
def db_url(pg_cluster: EmbeddedPostgres, teams_obs_template: str) -> Iterator[str]:
    """URL of a fresh database cloned from the deployed template, dropped after the test."""
    name = f"teams_obs_test_{next(_clone_numbers)}"
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(teams_obs_template)))
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
