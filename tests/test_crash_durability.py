"""SPEC §2.2: the store never loses an acknowledged record. With the server's defaults (fsync and
synchronous_commit on) a commit is acknowledged once its WAL is flushed, so a crash right after loses
nothing, unless the package itself opts out: an UNLOGGED table, which crash recovery empties, or a function
that sets synchronous_commit off, whose commits are acknowledged before their WAL is flushed, which only a
crash of the machine, not of the server, shows. The catalog is checked for both.

The server is stopped as by a crash, at once after the last acknowledgement: an immediate shutdown, which
kills every process without a checkpoint, so restart replays the WAL."""

from __future__ import annotations

import json
import signal
import uuid

import psycopg

from teams_obs.deploy import deploy_and_maintain
from teams_obs.embedded import embedded_postgres

TENANT = uuid.UUID("00000000-0000-4000-8000-0000000000c7")
RECORD = "SELECT delivery_id FROM teams_obs.record_delivery(%s, 'bot_dm', %s, 'sent')"
BATCH = "SELECT delivery_id FROM teams_obs.record_deliveries(%s, %s)"
AUDIT = "SELECT event_id FROM teams_obs.record_audit_event(%s, 'bot', 'add_note', 'success', p_payload => '{}')"
CONVERSATION = "SELECT teams_obs.record_conversation_reference(%s, %s)"


def activity(user: int) -> str:
    return json.dumps({"from": {"aadObjectId": f"user-{user}"}, "conversation": {"id": f"a:conversation-{user}"},
                       "serviceUrl": "https://smba.trafficmanager.net/emea/"})


def test_nothing_in_the_schema_acknowledges_a_commit_before_its_wal_is_flushed(db: psycopg.Connection) -> None:
    assert db.execute("SELECT p.proname FROM pg_proc AS p WHERE p.pronamespace = 'teams_obs'::regnamespace"
                      " AND array_to_string(p.proconfig, ',') ILIKE '%synchronous_commit%'").fetchall() == []
    assert db.execute("SELECT c.relname FROM pg_class AS c WHERE c.relnamespace = 'teams_obs'::regnamespace"
                      " AND c.relpersistence <> 'p'").fetchall() == []


def test_every_acknowledged_record_survives_a_crash() -> None:
    with embedded_postgres(fsync=True) as cluster:
        deploy_and_maintain(cluster.url(), echo=lambda _line: None)
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            deliveries = [conn.execute(RECORD, (TENANT, f"single-{n}")).fetchone()[0] for n in range(50)]
            batch = json.dumps([{"destination_type": "bot_dm", "destination_id": f"batch-{n}", "status": "sent"}
                                for n in range(200)])
            deliveries += [row[0] for row in conn.execute(BATCH, (TENANT, batch)).fetchall()]
            events = [conn.execute(AUDIT, (TENANT,)).fetchone()[0] for _ in range(20)]
            assert all(conn.execute(CONVERSATION, (TENANT, activity(n))).fetchone()[0] for n in range(20))

        server = cluster._server
        server.child_process.send_signal(signal.SIGQUIT)  # the postmaster's immediate shutdown
        server.child_process.wait(timeout=60)
        server.child_process = None
        server.start()

        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            stored = {row[0] for row in conn.execute("SELECT delivery_id FROM teams_obs.notification_deliveries")}
            assert stored == set(deliveries)
            assert conn.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency").fetchone()[0] == 250
            assert {row[0] for row in conn.execute("SELECT event_id FROM teams_obs.audit_events")} == set(events)
            assert conn.execute("SELECT count(*) FROM teams_obs.conversation_references").fetchone()[0] == 20
            # The reservations survived with their rows: a repeat is still recognised as one.
            assert conn.execute("SELECT inserted FROM teams_obs.record_delivery(%s, 'bot_dm', 'single-0', 'sent')",
                                (TENANT,)).fetchone()[0] is False
