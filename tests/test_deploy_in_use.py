"""Deploying into a database that is in use: writers must not queue behind a deploy that waits for them."""

from __future__ import annotations

import threading

import psycopg
import pytest

from teams_obs.embedded import embedded_postgres
from teams_obs.partitions import add_months, current_month
from teams_obs.sqitch import Engine
from tests.partition_helpers import attempt, partitions, wait_until_blocked


def test_initial_partitions_leaves_a_month_whose_locks_are_busy_to_maintain(db, db_url):
    """Deployed again into a live database (reverted, a month ahead missing meanwhile), the change would wait
    for a writer's open transaction while every later writer queued behind it."""
    engine = Engine(db_url, echo=lambda _line: None)
    engine.revert("citus_distribution")
    missing = f"teams_obs.notification_deliveries_p{add_months(current_month(db), 2):%Y_%m}"
    db.execute(f"DROP TABLE {missing}")
    with psycopg.connect(db_url) as writer:
        writer.execute("LOCK TABLE teams_obs.notification_deliveries IN ROW EXCLUSIVE MODE")  # as an INSERT does
        deploying = threading.Thread(target=engine.deploy)
        deploying.start()
        deploying.join(timeout=30)
        done_while_the_writer_waits = not deploying.is_alive()
    deploying.join()
    assert done_while_the_writer_waits
    assert missing not in partitions(db)
    assert db.execute("SELECT count(*) FROM sqitch.changes WHERE change = 'initial_partitions'").fetchone() == (1,)


def schema_deploy(url: str) -> tuple[threading.Thread, list[object]]:
    """The plan's first change deployed in a thread; once it has ended, the list holds what it raised, if
    anything."""
    outcome: list[object] = []
    deploying = threading.Thread(target=lambda: outcome.append(attempt(
        lambda: Engine(url, echo=lambda _line: None).deploy("schema"))))
    deploying.start()
    return deploying, outcome


@pytest.mark.parametrize(("created", "refused"), [
    ("NOLOGIN", None),
    ("LOGIN", "role teams_obs_reader exists with more than NOLOGIN"),  # checked as any role found
])
def test_first_deploys_of_two_databases_at_once_both_create_or_find_the_roles(created: str,
                                                                               refused: str | None) -> None:
    """The roles are cluster-wide, sqitch's lock is per database: the other database's first deploy may
    create a role between this one's check and its CREATE ROLE."""
    # A cluster of its own: the shared one has the roles already.
    with embedded_postgres() as cluster, psycopg.connect(cluster.url(), autocommit=True) as other, \
            psycopg.connect(cluster.url(), autocommit=True) as observer:
        other.execute("BEGIN")
        other.execute(f"CREATE ROLE teams_obs_reader {created}")
        deploying, outcome = schema_deploy(cluster.url())
        wait_until_blocked(observer, "%CREATE ROLE%", None)
        other.execute("COMMIT")
        deploying.join()
        if refused:
            assert isinstance(outcome[0], BaseException) and refused in str(outcome[0]), outcome
        else:
            assert not isinstance(outcome[0], BaseException), outcome
            roles = observer.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'teams_obs\\_%'").fetchone()
            assert roles == (3,)


def test_a_role_committed_after_the_deploys_snapshot_is_a_role_found() -> None:
    """Under repeatable read, a role another database's deploy commits after this one's snapshot is
    invisible to the check before CREATE ROLE, which then fails with duplicate_object, not a unique
    violation."""
    with embedded_postgres() as cluster, psycopg.connect(cluster.url(), autocommit=True) as other, \
            psycopg.connect(cluster.url(), autocommit=True) as observer:
        observer.execute("ALTER DATABASE postgres SET default_transaction_isolation = 'repeatable read'")
        other.execute("BEGIN")
        other.execute("CREATE SCHEMA teams_obs")  # the deploy's CREATE SCHEMA waits, its snapshot taken
        deploying, outcome = schema_deploy(cluster.url())
        wait_until_blocked(observer, "CREATE SCHEMA teams_obs%", None)
        observer.execute("CREATE ROLE teams_obs_reader NOLOGIN")
        other.execute("ROLLBACK")
        deploying.join()
        assert not isinstance(outcome[0], BaseException), outcome
