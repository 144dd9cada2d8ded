"""Every benchmark under bench/ still runs: each script, with the smallest sizes, against the test cluster.

No figure is checked (benchmarks are not timed tests); a script that no longer fits the schema or the
functions it measures fails here instead of on the next person who wants its figures. Each script
creates and drops its own database on the server it is given.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from teams_obs.embedded import EmbeddedPostgres
from tests.checkout import REPO_ROOT, checkout_env

BENCH = REPO_ROOT / "bench"
SMALL_PAGES = ["--rows", "2000", "--tenants", "5", "--big", "500", "--depth", "200", "--calls", "3"]
RUNS = {
    "default_move.py": ["--rows", "2000", "--reps", "1", "--seconds", "4", "--warmup", "1"],
    "instructions.py": ["--calls", "3", "--warm", "2", "--variant", "same", "v_key text;", "v_key text;",
                        "--cache-sim"],
    "list_pages.py": [*SMALL_PAGES, "--rounds", "1", "--seconds", "1"],
    "payload_hash.py": ["--documents", "20", "--rounds", "1"],
    "payload_screen.py": ["--members", "10", "20", "--calls", "1"],
    "record_audit_event.py": ["--rounds", "1", "--seconds", "1", "--calls", "3"],
    "record_deliveries_parts.py": ["--batches", "1"],
    # 3 s: the pgbench batch run, a few dozen transactions, must pick each of its three scripts at least once.
    "record_delivery.py": ["--rounds", "1", "--seconds", "3", "--batches", "1", "--clients", "1"],
    "record_delivery_variants.py": ["--rounds", "1", "--seconds", "1",
                                    "--variant", "same", "v_key text;", "v_key text;"],
    "retention.py": ["--sizes", "2000", "--reps", "1", "--live", "500"],
    "rls_force.py": [*SMALL_PAGES, "--rounds", "1", "--seconds", "1", "--clients", "1"],
    "schema_forms.py": ["--rounds", "1", "--seconds", "1"],
    "sidecar_cleanup.py": ["--expired", "2000", "--live", "500", "--reps", "1", "--clients", "1", "--batch", "500",
                           "--seconds", "2", "--warmup", "1"],
    "wal_per_delivery.py": ["--rows", "2000", "--tenants", "5", "--transactions", "50", "--reps", "1"],
}
# Scripts that start their own embedded cluster (instructions.py needs the data directory) take no --db.
OWN_CLUSTER = {"instructions.py"}
# What each script prints once it has measured everything.
LAST_WORDS = {
    "default_move.py": "longest wait per row moved",
    "instructions.py": "record_delivery / PL/pgSQL wrapper + reservation",
    "list_pages.py": "deep page (keyset)",
    "payload_hash.py": "SQL teams_obs.payload_hash",
    "payload_screen.py": "growth of screen / fast",
    "record_audit_event.py": "Server time per call",
    "record_deliveries_parts.py": "the answer: joined to the reservations",
    "record_delivery.py": "record_delivery / plain INSERT (tps, breakdown run)",
    "record_delivery_variants.py": "paired difference from committed",
    "retention.py": "DELETE + VACUUM",
    "rls_force.py": "record_delivery, FORCE",
    "schema_forms.py": "paired tps over committed",
    "sidecar_cleanup.py": "one DELETE",
    "wal_per_delivery.py": "time-ordered / random ids, steady",
}


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], env=checkout_env(),
                          capture_output=True, text=True, timeout=300, check=False)


def test_scripts_import_the_checkout_under_test(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import teams_obs; print(teams_obs.__file__)")
    run = run_script(probe)
    assert run.stdout.strip() == str(REPO_ROOT / "teams_obs" / "__init__.py"), run.stdout + run.stderr


def test_every_benchmark_is_covered() -> None:
    scripts = {path.name for path in BENCH.glob("*.py") if "__main__" in path.read_text()}
    assert scripts == set(RUNS) == set(LAST_WORDS)


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs(script: str, pg_cluster: EmbeddedPostgres) -> None:
    server = [] if script in OWN_CLUSTER else ["--db", pg_cluster.url()]
    run = run_script(BENCH / script, *server, *RUNS[script])
    # record_delivery.py exits 1 when a ratio misses its target, which runs this short may well do.
    assert run.returncode in ((0, 1) if script == "record_delivery.py" else (0,)), run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert LAST_WORDS[script] in run.stdout, run.stdout[-3000:]


def test_rls_force_owner_ends_sessions_it_did_not_open_when_dropping(pg_cluster: EmbeddedPostgres,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """rls_force.py's owner, not superuser, drops its scratch databases WITH (FORCE) while an autovacuum
    worker, which runs as no role, may be in them. A session of a role the owner has no privileges of stands
    in for the worker, which no test can summon at the moment of the drop."""
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setenv("PGOPTIONS", "")  # become_owner sets it for the whole process; undone after the test
    rls_force, scratch = importlib.import_module("rls_force"), importlib.import_module("scratch_database")
    stranger = "teams_obs_bench_stranger"
    own_role = {"options": ""}  # an explicit, empty options overrides PGOPTIONS' role: each connects as itself
    with psycopg.connect(pg_cluster.url(), **own_role, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {stranger} LOGIN PASSWORD '{stranger}'")
    try:
        rls_force.become_owner(pg_cluster.url())
        owner_url = psycopg.conninfo.make_conninfo(pg_cluster.url(), dbname="postgres")
        with scratch.scratch_database(owner_url, "bench_rls_stranger") as url:
            session = psycopg.connect(url, user=stranger, password=stranger, **own_role, autocommit=True)
        with session, pytest.raises(psycopg.OperationalError):
            session.execute("SELECT 1")
    finally:
        with psycopg.connect(pg_cluster.url(), **own_role, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {stranger}")
