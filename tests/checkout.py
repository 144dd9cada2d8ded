"""Python subprocesses of the tests import the teams_obs of this checkout.

``python bench/x.py`` puts bench/ first on sys.path and ``python -m teams_obs`` its working directory:
from anywhere else than the repository root they would import an installed teams_obs (another checkout's,
or none at all) instead of the code under test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def checkout_env(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``env`` with the repository root first on PYTHONPATH."""
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))}


def documented_number(page: str, pattern: str) -> int:
    """The number matched by the one group of ``pattern`` in docs/``page`` (its lines joined): a figure the docs
    promise, which the tests then hold the code to."""
    text = " ".join((REPO_ROOT / "docs" / page).read_text().split())
    return int(re.search(pattern, text)[1])
