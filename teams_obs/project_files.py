"""Where the plan, the SQL scripts and the templates are.

In a source checkout they sit beside the package (``sqitch.plan``, ``deploy/``, ``templates/``...); a
wheel carries copies of them inside the package, under ``teams_obs/_project`` (pyproject.toml maps them
there), so an installed teams_obs deploys and maintains without a checkout (the pytest fixtures of a
downstream application's suite, ``teams-obs deploy``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def project_dir() -> Path:
    """The source checkout this package runs from, else the copy installed with it."""
    checkout = PACKAGE.parent
    return checkout if (checkout / "sqitch.plan").is_file() else PACKAGE / "_project"
