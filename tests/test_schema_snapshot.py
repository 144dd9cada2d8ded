"""The deployed catalog, checked in as tests/schema_snapshot.sql so review sees every catalog change.

Regenerate after an intended change with: TEAMS_OBS_UPDATE_SNAPSHOT=1 python3 -m pytest tests/test_schema_snapshot.py
The snapshot's first line names the PostgreSQL major it was dumped from: pg_dump prints the same catalog
differently from one major to the next (18 names every NOT NULL constraint), so on another major the
comparison is skipped (the revert test, which compares two dumps of one server, still runs).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

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
    with psycopg.connect(empty_db_url) as conn:
        header = f"-- PostgreSQL {int(conn.execute('SHOW server_version_num').fetchone()[0]) // 10000}\n"
    if os.environ.get("TEAMS_OBS_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(header + dump_schema(empty_db_url))
    expected = SNAPSHOT.read_text()
    if not expected.startswith(header):
        pytest.skip(f"tests/schema_snapshot.sql was dumped from {expected.splitlines()[0][3:]}; "
                    f"this server is {header[3:].strip()}")
    assert header + dump_schema(empty_db_url) == expected, \
        "catalog differs from tests/schema_snapshot.sql (see its docstring)"


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
