"""maintain, run_retention and tenant purges at once while writers race on the same keys, on plain
PostgreSQL, with this month's rows waiting in DEFAULT (the scenario: tests/operations_together.py)."""

from __future__ import annotations

from teams_obs.partitions import current_month
from tests.operations_together import Scenario, check, prepare, run_together
from tests.partition_helpers import drop_partitions_from, fingerprint


def test_maintain_retention_and_purge_at_once_while_writers_race_on_the_same_keys(db, db_url):
    scenario = Scenario("plain")
    this_month = current_month(db)
    drop_partitions_from(db, this_month)  # the writers' rows too land in DEFAULT until maintain moves the month
    prepare(db, scenario, waiting=this_month, rows=8000)
    kept_before = fingerprint(db, scenario.kept())
    check(db, scenario, run_together(db_url, scenario), kept_before)
