"""The ``teams-obs`` console script: the CLI, or, on a bare install that finds no libpq, one line saying what to
install (with exit status 2, the "check broken" of docs/operating.md, not a traceback's 1)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from teams_obs.cli import main as cli
    except ImportError as exc:
        if not str(exc).startswith("no pq wrapper available"):
            raise
        print("teams-obs: psycopg finds no libpq: install the system's (Debian: libpq5) or "
              "pip install 'teams_obs[binary]'", file=sys.stderr)
        raise SystemExit(2) from exc
    cli()
