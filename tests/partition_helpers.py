"""Helpers shared by the partition maintenance and retention tests."""

from __future__ import annotations

from datetime import datetime

import psycopg

from teams_obs.partitions import add_months, utc_literal

DELIVERIES = "teams_obs.notification_deliveries"


def create_partition_of(db: psycopg.Connection, month: datetime, parent: str = DELIVERIES) -> str:
    """A month's partition made the plain PostgreSQL way (CREATE TABLE ... PARTITION OF); returns its name."""
    name = f"{parent}_p{month:%Y_%m}"
    db.execute(f"CREATE TABLE {name} PARTITION OF {parent}"
               f" FOR VALUES FROM ('{utc_literal(month)}') TO ('{utc_literal(add_months(month, 1))}')")
    return name
