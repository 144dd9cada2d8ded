"""Deploying the plan the way `teams-obs deploy` does: sqitch-compatible deploy, then partition upkeep."""

from __future__ import annotations

from teams_obs.sqitch import Engine
from teams_obs.sqitch.engine import Echo


def deploy_and_maintain(url: str, *, echo: Echo = print, to: str | None = None, verify: bool = False,
                        mode: str = "all") -> None:
    Engine(url, echo=echo).deploy(to, verify=verify, mode=mode)
