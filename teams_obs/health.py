"""Health of a deployment: which of what ``teams_obs.maintenance_status()`` and ``teams_obs.delivery_health()``
say needs attention (``teams-obs health`` exits 1 on any, for monitoring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]

# `teams-obs maintain` keeps 3 months ahead: under 2 means it has not run for a month or more.
MIN_MONTHS_AHEAD = 2
DEFAULT_FAILURE_THRESHOLD = 0.05


@dataclass(frozen=True)
class Problem:
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


def failure_rate(row: Row) -> float | None:
    """failed / (delivered + failed): the complement of the SQL success_rate; None without outcomes."""
    return None if row["success_rate"] is None else 1 - float(row["success_rate"])


def problems(maintenance: list[Row], deliveries: list[Row] | None = None, *,
             failure_threshold: float = DEFAULT_FAILURE_THRESHOLD,
             min_months_ahead: int = MIN_MONTHS_AHEAD) -> list[Problem]:
    """What needs attention: rows waiting in DEFAULT, too few months of partitions ahead, and (given a
    tenant's delivery_health rows) a failure rate over the whole window above ``failure_threshold``."""
    found = []
    for table in maintenance:
        if table["default_rows"]:
            found.append(Problem(table["table_name"], f"{table['default_rows']} rows wait in "
                                 f"{table['default_partition']}: run `teams-obs maintain`"))
        if table["months_ahead"] is not None and table["months_ahead"] < min_months_ahead:
            found.append(Problem(table["table_name"], f"{table['months_ahead']} months of partitions ahead "
                                 f"(fewer than {min_months_ahead}): run `teams-obs maintain`"))
    window = next((row for row in deliveries or () if row["day"] is None), None)
    rate = failure_rate(window) if window else None
    if rate is not None and rate > failure_threshold:
        found.append(Problem("deliveries", f"failure rate {rate:.1%} ({window['failed']} failed, "
                             f"{window['delivered']} delivered) is above {failure_threshold:.1%}"))
    return found
