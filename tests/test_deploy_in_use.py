"""Deploying into a database that is in use: writers must not queue behind a deploy that waits for them."""

from __future__ import annotations

import threading

import psycopg

from teams_obs.partitions import add_months, current_month
from teams_obs.sqitch import Engine
from tests.partition_helpers import partitions


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
