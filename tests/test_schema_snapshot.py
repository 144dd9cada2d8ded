"""The deployed catalog, checked in as tests/schema_snapshot.sql so review sees every catalog change.

Regenerate after an intended change with: TEAMS_OBS_UPDATE_SNAPSHOT=1 python3 -m pytest tests/test_schema_snapshot.py
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg

from teams_obs.embedded import pg_bindir
from teams_obs.sqitch import Engine

SNAPSHOT = Path(__file__).parent / "schema_snapshot.sql"


# The monthly partitions made at deploy time (change initial_partitions) are named after the month of
# the deploy; they are LIKE their parent, which the snapshot shows.
MONTHLY_PARTITIONS = "teams_obs.*_p[0-9][0-9][0-9][0-9]_[0-9][0-9]"


def dump_schema(url: str) -> str:
    dump = subprocess.run(
        [str(pg_bindir() / "pg_dump"), "--schema-only", "--schema=teams_obs", "--no-owner",
         f"--exclude-table={MONTHLY_PARTITIONS}", url],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    # Version banners and session settings say nothing about the schema.
    noise = ("-- Dumped", "SET ", "SELECT pg_catalog", "\\restrict", "\\unrestrict")
    keep = [line for line in dump.splitlines() if not line.startswith(noise)]
    return "\n".join(keep).strip() + "\n"


def test_deployed_schema_matches_snapshot(empty_db_url: str) -> None:
    Engine(empty_db_url, echo=lambda _line: None).deploy()
    actual = dump_schema(empty_db_url)
    if os.environ.get("TEAMS_OBS_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(actual)
    assert actual == SNAPSHOT.read_text(), "catalog differs from tests/schema_snapshot.sql (see its docstring)"


def test_revert_removes_everything_and_redeploy_is_identical(empty_db_url: str) -> None:
    engine = Engine(empty_db_url, echo=lambda _line: None)
    engine.deploy()
    first = dump_schema(empty_db_url)
    engine.revert()
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('teams_obs')").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM sqitch.changes").fetchone()[0] == 0
    engine.deploy()
    assert dump_schema(empty_db_url) == first
