"""The audit payload is hashed and dropped: a marker inside it is found nowhere afterwards.

Nowhere means: no row of any table of the database (teams_obs, the sqitch registry, the catalogs),
no byte of any file of the cluster after a CHECKPOINT (heap, indexes, WAL, the server log), and no part
of an error returned for a payload that is refused. A control marker written on purpose must be found
by the same searches, so they are known to work.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from teams_obs.embedded import EmbeddedPostgres

TENANT = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
RECORD = ("SELECT payload_hash FROM teams_obs.record_audit_event(p_tenant => %s, p_surface => 'bot', "
          "p_action_id => 'add_note', p_result_status => 'success', p_target_type => 'ticket', "
          "p_target_id => 'T-1', p_payload => %s::json)")


def accepted_payloads(marker: str) -> list[str]:
    return [
        f'{{"input": {{"ticketId": "T-1", "note": "secret {marker} note"}}, "target": null}}',
        f'{{"{marker}": 1, "nested": {{"{marker}-key": ["{marker}"]}}}}',
        f'"{marker}"',
    ]


def refused_payloads(marker: str) -> list[str]:
    return [
        f'{{"{marker}": 1, "{marker}": 2}}',  # duplicate key
        f'{{"a": {{"{marker}": 1, "{marker}": "{marker}"}}}}',  # duplicate key, nested
        f'{{"note": "{marker}\\u0000"}}',  # \u0000
        f'{{"{marker}": "\\ud800"}}',  # lone surrogate
        f'{{"{marker}": 1e400, "v": "{marker}"}}',  # outside the double range
        f'[["{marker}"], -1e999]',
    ]


def rows_containing(conn: psycopg.Connection, marker: str) -> list[str]:
    """Every table (including catalogs and the sqitch registry) whose rows' text contains ``marker``."""
    tables = conn.execute(
        "SELECT c.oid::regclass::text FROM pg_catalog.pg_class c "
        "WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' ORDER BY 1").fetchall()
    assert any(name == "sqitch.changes" for (name,) in tables)
    return [name for (name,) in tables
            if conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM ONLY {} AS t WHERE strpos(t::text, %s) > 0)")
                            .format(sql.SQL(name)), (marker,)).fetchone()[0]]


def files_containing(cluster: EmbeddedPostgres, marker: str) -> list[Path]:
    """Every file of the cluster (data directory, WAL, server log) holding ``marker``'s bytes."""
    needle = marker.encode()
    found = []
    for path in cluster.base_dir.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                found.append(path)
        except FileNotFoundError:  # a temporary file the server removed meanwhile
            continue
    return found


def error_text(error: psycopg.Error) -> str:
    diag = error.diag
    return "\n".join(str(part) for part in (
        error, diag.message_primary, diag.message_detail, diag.message_hint, diag.context,
        diag.internal_query, diag.statement_position, diag.schema_name, diag.table_name, diag.column_name,
        diag.constraint_name) if part)


@pytest.fixture
def marker() -> str:
    return f"MARKER{uuid.uuid4().hex}"


def test_payload_marker_is_found_nowhere(db: psycopg.Connection, pg_cluster: EmbeddedPostgres,
                                         marker: str) -> None:
    hashes = [db.execute(RECORD, (TENANT, payload)).fetchone()[0] for payload in accepted_payloads(marker)]
    assert all(h is not None and len(h) == 64 for h in hashes)
    for payload in refused_payloads(marker):
        with pytest.raises(psycopg.DataError) as refused:
            db.execute(RECORD, (TENANT, payload))
        assert refused.value.sqlstate == "22023", payload
        assert refused.value.diag.message_primary.startswith("payload: ")
        assert marker not in error_text(refused.value)
    assert db.execute("SELECT count(*) FROM teams_obs.audit_events").fetchone()[0] == len(hashes)

    control = f"CONTROL{uuid.uuid4().hex}"
    db.execute(f"CREATE TABLE public.control AS SELECT '{control}'::text AS planted")
    db.execute("CHECKPOINT")

    assert rows_containing(db, control) == ["control"], "the table scan must find a planted marker"
    assert files_containing(pg_cluster, control), "the file scan must find a planted marker"
    assert rows_containing(db, marker) == []
    assert files_containing(pg_cluster, marker) == []


def test_a_malformed_hash_is_not_echoed(db: psycopg.Connection, marker: str) -> None:
    """A payload passed in the hash's place by mistake stays out of the error too."""
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute("SELECT * FROM teams_obs.record_audit_event(%s, 'bot', 'add_note', 'success', "
                   "p_payload_hash => %s)", (TENANT, f'{{"note": "{marker}"}}'))
    assert refused.value.diag.message_primary.startswith("payload_hash: ")
    assert marker not in error_text(refused.value)


def test_with_the_settings_security_md_advises_a_payload_refused_by_postgresql_stays_out_of_the_log(
        db: psycopg.Connection, pg_cluster: EmbeddedPostgres) -> None:
    """Not valid JSON (PostgreSQL's JSON input quotes it in CONTEXT), or written into the SQL text (a failed
    statement is logged whole): the server's defaults log it, docs/security.md's two settings do not."""
    def refuse(marker: str) -> None:
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            db.execute(RECORD, (TENANT, f'{{"note": "{marker}" , oops}}'))
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            db.execute(f"SELECT teams_obs.record_audit_event('{TENANT}', 'bot', 'add_note', 'success', "
                       f"p_payload => '{{\"{marker}\": 1, \"{marker}\": 2}}')")

    logged = f"LOGGED{uuid.uuid4().hex}"
    refuse(logged)
    db.execute("SET log_error_verbosity = terse")
    db.execute("SET log_min_error_statement = panic")
    hidden = f"HIDDEN{uuid.uuid4().hex}"
    refuse(hidden)
    db.execute("RESET log_error_verbosity")
    db.execute("RESET log_min_error_statement")
    assert files_containing(pg_cluster, logged), "with the defaults both reach the log"
    assert files_containing(pg_cluster, hidden) == []
