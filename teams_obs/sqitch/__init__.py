"""A sqitch-compatible migration runner: same plan, same registry, same ids as sqitch 1.3."""

from teams_obs.sqitch.engine import Engine, project_root
from teams_obs.sqitch.plan import PlanError, load_plan
from teams_obs.sqitch.registry import EngineError

__all__ = ["Engine", "EngineError", "PlanError", "load_plan", "project_root"]
