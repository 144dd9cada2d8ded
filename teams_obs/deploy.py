"""Deploying the plan the way `teams-obs deploy` does: sqitch-compatible deploy, then partition upkeep."""

from __future__ import annotations

from teams_obs.partitions import NotDeployed, maintain
from teams_obs.sqitch import Engine
from teams_obs.sqitch.config import SqitchConfig
from teams_obs.sqitch.engine import DEFAULT_LOCK_TIMEOUT_S, Echo


def deploy_and_maintain(url: str, *, echo: Echo = print, to: str | None = None, verify: bool = False,
                        mode: str = "all", lock_timeout_s: int = DEFAULT_LOCK_TIMEOUT_S,
                        config: SqitchConfig | None = None, target: str | None = None) -> None:
    """Deploy (whose last change makes this month's partitions and the next 3), then maintain: the
    partitions from this month through the next 3, and the months of rows sitting in DEFAULT. ``config``
    and ``target`` as for Engine."""
    Engine(url, echo=echo, lock_timeout_s=lock_timeout_s, config=config, target=target).deploy(
        to, verify=verify, mode=mode)
    try:
        actions = maintain(url)
    except NotDeployed:  # deployed --to a change before partition_maintenance: nothing to maintain yet
        return
    for action in actions:
        moved = f" ({action.rows_moved} rows moved from DEFAULT)" if action.rows_moved else ""
        echo(f"  + partition {action.partition} .. {action.status}{moved}")
