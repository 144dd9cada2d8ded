"""record_conversation_reference under concurrency: separate connections racing on one key."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

TENANT = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
BASE = datetime(2026, 5, 1, tzinfo=UTC)


def activity(service_url: str) -> Jsonb:
    return Jsonb({
        "from": {"id": "29:user", "aadObjectId": "aad-user"},
        "conversation": {"id": "a:personal", "conversationType": "personal"},
        "serviceUrl": service_url,
        "channelData": {"tenant": {"id": "aad-tenant"}},
    })


def record(conn: psycopg.Connection, service_url: str, at: datetime) -> bool:
    return conn.execute("SELECT teams_obs.record_conversation_reference(%s, %s, %s)",
                        (TENANT, activity(service_url), at)).fetchone()[0]


def stored(db: psycopg.Connection) -> list[tuple[str, datetime]]:
    return db.execute("SELECT service_url, last_activity_at FROM teams_obs.conversation_references "
                      "WHERE tenant = %s", (TENANT,)).fetchall()


def wait_until_lock_wait(db: psycopg.Connection, pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = db.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                             (pid,)).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for the first transaction's lock")


def race(db: psycopg.Connection, db_url: str, first: tuple[str, datetime], second: tuple[str, datetime]) -> None:
    """``first`` upserts in an open transaction; ``second`` (another connection) must wait for it."""
    with psycopg.connect(db_url) as holder, psycopg.connect(db_url, autocommit=True) as waiter:
        assert record(holder, *first)
        result: list[bool] = []
        thread = threading.Thread(target=lambda: result.append(record(waiter, *second)))
        thread.start()
        wait_until_lock_wait(db, waiter.info.backend_pid)
        holder.commit()
        thread.join(timeout=30)
        assert result == [True]


def test_older_upsert_waiting_on_newer_leaves_the_newer(db: psycopg.Connection, db_url: str) -> None:
    newer, older = ("https://smba.example/new/", BASE + timedelta(minutes=5)), ("https://smba.example/old/", BASE)
    race(db, db_url, first=newer, second=older)
    assert stored(db) == [newer]


def test_newer_upsert_waiting_on_older_leaves_the_newer(db: psycopg.Connection, db_url: str) -> None:
    newer, older = ("https://smba.example/new/", BASE + timedelta(minutes=5)), ("https://smba.example/old/", BASE)
    race(db, db_url, first=older, second=newer)
    assert stored(db) == [newer]


def test_many_concurrent_upserts_keep_one_row_with_the_newest_activity(db: psycopg.Connection, db_url: str) -> None:
    activities = [(f"https://smba.example/{n}/", BASE + timedelta(seconds=n)) for n in range(200)]
    random.Random(7).shuffle(activities)
    barrier = threading.Barrier(8)

    def writer(share: list[tuple[str, datetime]]) -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            for service_url, at in share:
                assert record(conn, service_url, at)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(writer, activities[i::8]) for i in range(8)]:
            future.result()
    assert stored(db) == [max(activities, key=lambda a: a[1])]
