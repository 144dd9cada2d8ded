"""Every pgTAP file under tests/pgtap/ as a pytest item, and the same files under pg_prove."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from teams_obs.pgtap import TapResult, run_tap_file

PGTAP_DIR = Path(__file__).parent / "pgtap"
PGTAP_FILES = sorted(PGTAP_DIR.glob("*.sql"))


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.stem for p in PGTAP_FILES])
def test_pgtap_file(db, path: Path) -> None:
    result = run_tap_file(db, path)
    if not result.passed:
        pytest.fail(f"{path.name}:\n{result.failure_report()}", pytrace=False)


def test_failing_assertion_is_reported(db, tmp_path: Path) -> None:
    """The runner must be able to fail, and must show the failing TAP lines."""
    bad = tmp_path / "bad.sql"
    bad.write_text("BEGIN; CREATE EXTENSION IF NOT EXISTS pgtap; SELECT plan(2);\n"
                   "SELECT ok(true, 'fine'); SELECT is(1, 2, 'one is two');\n"
                   "SELECT * FROM finish(); ROLLBACK;\n")
    result: TapResult = run_tap_file(db, bad)
    assert not result.passed
    assert "not ok 2 - one is two" in result.failure_report()
    assert "have: 1" in result.failure_report()


def test_pg_prove_runs_the_same_files(db_url: str) -> None:
    pg_prove = shutil.which("pg_prove")
    if pg_prove is None:
        pytest.skip("pg_prove is not installed (package postgresql-15-pgtap)")
    run = subprocess.run([pg_prove, "--dbname", db_url, *map(str, PGTAP_FILES)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Result: PASS" in run.stdout
