"""The shipped pytest fixtures (teams_obs.pytest_plugin) across a UTC month boundary: the session-wide
template must not hand the partitions of the month it was built in to tests that run after midnight."""

from __future__ import annotations

import psycopg
from psycopg import sql

from teams_obs.partitions import add_months, current_month
from teams_obs.pytest_plugin import TEMPLATE_DB, admin_execute
from tests.partition_helpers import create_partition_of, months_of, this_month_and_the_next_3


def test_a_template_built_last_month_is_rebuilt_before_it_is_cloned(request, pg_cluster, teams_obs_template):
    # The template as a session started last month built it: that month and the 3 after it, and its
    # recorded month (its COMMENT, 'YYYY-MM') is last month.
    with psycopg.connect(pg_cluster.url(teams_obs_template), autocommit=True) as template:
        first = current_month(template)
        for parent in months_of(template):
            for (name,) in template.execute("SELECT partition_name FROM teams_obs.partition_bounds(%s)"
                                            " WHERE NOT is_default", [parent]).fetchall():
                template.execute(f"DROP TABLE {name}")
            for ahead in range(-1, 3):
                create_partition_of(template, add_months(first, ahead), parent)
    admin_execute(pg_cluster, sql.SQL("COMMENT ON DATABASE {} IS {}").format(
        sql.Identifier(teams_obs_template), sql.Literal(f"{add_months(first, -1):%Y-%m}")))

    db = request.getfixturevalue("db")

    assert months_of(db) == this_month_and_the_next_3(first)


def test_a_template_whose_build_stopped_half_way_is_built_again(request, pg_cluster):
    """A build interrupted after its CREATE DATABASE left a database with no recorded month."""
    template = sql.Identifier(TEMPLATE_DB)
    admin_execute(pg_cluster, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(template))
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {}").format(template))

    db = request.getfixturevalue("db")

    first = current_month(db)
    assert months_of(db) == this_month_and_the_next_3(first)


def test_a_template_built_this_month_is_cloned_as_it_is(request, pg_cluster, teams_obs_template):
    """Its COMMENT is the server's UTC month ('YYYY-MM'), and a clone in that month does not build it again."""
    template_row = "SELECT oid, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        before = admin.execute(template_row, [teams_obs_template]).fetchone()
        request.getfixturevalue("db_url")
        after = admin.execute(template_row, [teams_obs_template]).fetchone()
        month = admin.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')").fetchone()[0]
    assert before == after == (before[0], month)
