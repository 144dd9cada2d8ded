"""record_delivery against a Python model of SPEC §4 (hypothesis), under racing writers, and its atomicity."""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teams_obs.taxonomy import DELIVERY_DESTINATION_TYPES, DELIVERY_ERROR_CODES, DELIVERY_STATUSES
from tests.partition_helpers import WAITING_CALLS, written_while_waiting

# JavaScript's String.prototype.trim() set (the original's trimming), which teams_obs.clean_text follows.
JS_WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                 "\u2028\u2029\u202f\u205f\u3000\ufeff")
TEXT_FIELDS = ("destination_type", "destination_id", "status", "category", "error_code", "error_message",
               "provider_message_id", "provider_request_id", "nonce")
RECORD = """SELECT inserted, delivery_id, idempotency_key, created_at FROM teams_obs.record_delivery(
    p_tenant => %(tenant)s, p_destination_type => %(destination_type)s, p_destination_id => %(destination_id)s,
    p_status => %(status)s, p_internal_notification_id => %(internal_notification_id)s,
    p_category => %(category)s, p_attempt_number => %(attempt_number)s, p_error_code => %(error_code)s,
    p_error_message => %(error_message)s, p_retryable => %(retryable)s,
    p_provider_message_id => %(provider_message_id)s, p_provider_request_id => %(provider_request_id)s,
    p_sent_at => %(sent_at)s, p_delivered_at => %(delivered_at)s, p_responded_at => %(responded_at)s,
    p_nonce => %(nonce)s)"""
STORED_COLUMNS = ("destination_type", "destination_id", "status", "internal_notification_id", "category",
                  "attempt_number", "error_code", "error_message", "retryable", "provider_message_id",
                  "provider_request_id", "sent_at", "delivered_at", "responded_at")
ORPHAN_RESERVATIONS = """SELECT count(*) FROM teams_obs.notification_delivery_idempotency s
    WHERE NOT EXISTS (SELECT 1 FROM teams_obs.notification_deliveries d
                      WHERE d.tenant = s.tenant AND d.delivery_id = s.delivery_id AND d.created_at = s.created_at
                        AND d.idempotency_key = s.idempotency_key)"""


# ------------------------------------------------------------------------------------------- the model

def clean(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip(JS_WHITESPACE) or None


def normalised(call: dict) -> dict:
    row = {field: clean(call[field]) for field in TEXT_FIELDS}
    if row["error_message"] is not None:
        row["error_message"] = row["error_message"][:1024]
    row["attempt_number"] = 1 if call["attempt_number"] is None else call["attempt_number"]
    for field in ("internal_notification_id", "retryable", "sent_at", "delivered_at", "responded_at"):
        row[field] = call[field]
    return row


def first_problem_field(row: dict) -> str | None:
    """The field the database must name, checked in its order (delivery_key_problem, delivery_problem)."""
    checks = [
        ("destination_type", row["destination_type"] is None),
        ("destination_type", "|" in (row["destination_type"] or "")),
        ("destination_id", row["destination_id"] is None),
        ("destination_id", "|" in (row["destination_id"] or "")),
        ("attempt_number", row["attempt_number"] <= 0),
        ("nonce", "|" in (row["nonce"] or "")),
        ("destination_type", row["destination_type"] not in DELIVERY_DESTINATION_TYPES),
        ("status", row["status"] not in DELIVERY_STATUSES),
        ("error_code", row["error_code"] is not None and row["error_code"] not in DELIVERY_ERROR_CODES),
        ("category", row["category"] is not None and len(row["category"]) > 200),
    ]
    return next((field for field, failed in checks if failed), None)


def key_of(tenant: uuid.UUID, row: dict) -> str:
    parts = [str(row["internal_notification_id"] or ""), str(tenant), row["destination_type"], row["destination_id"],
             str(row["attempt_number"])]
    if row["nonce"] is not None:
        parts.append(row["nonce"])
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# -------------------------------------------------------------------------------------- the strategies

# Text PostgreSQL can hold (no NUL), with the whitespace the trimming must handle and the '|' it refuses.
any_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00") | st.sampled_from(JS_WHITESPACE + "|"),
                   max_size=40)
padding = st.text(st.sampled_from(JS_WHITESPACE), max_size=3)


def padded(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.builds(lambda pad, value, pad2: pad + value + pad2, padding, st.sampled_from(values), padding)


def taxonomy_or_noise(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    valid = padded(values)
    near_misses = st.sampled_from(values).map(str.upper) | st.sampled_from(values).map(lambda v: v + "|x")
    return st.one_of(valid, valid, valid, near_misses, any_text, st.none())


calls = st.fixed_dictionaries({
    # Few tenants and ids, so that repeats (duplicate keys) are common.
    "tenant": st.sampled_from([uuid.UUID(int=n) for n in range(1, 4)]),
    "destination_type": taxonomy_or_noise(DELIVERY_DESTINATION_TYPES),
    "destination_id": st.one_of(st.sampled_from(["aad-1", " aad-1 ", "aad-2", "", "a|b"]), any_text, st.none()),
    "status": taxonomy_or_noise(DELIVERY_STATUSES),
    "internal_notification_id": st.one_of(st.none(), st.sampled_from([uuid.UUID(int=n) for n in range(7, 9)])),
    "category": st.one_of(st.none(), any_text, any_text.map(lambda s: "c" * 199 + s[:5])),
    "attempt_number": st.one_of(st.none(), st.integers(-2, 3), st.integers(-(2**31), 2**31 - 1)),
    "error_code": st.one_of(st.none(), taxonomy_or_noise(DELIVERY_ERROR_CODES)),
    "error_message": st.one_of(
        st.none(), any_text,
        st.builds(lambda pad, char, n: pad + char * n + pad,
                  padding, st.sampled_from("xé😀"), st.integers(1000, 1100))),
    "retryable": st.one_of(st.none(), st.booleans()),
    "provider_message_id": st.one_of(st.none(), any_text),
    "provider_request_id": st.one_of(st.none(), any_text),
    "sent_at": st.one_of(st.none(), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                                 timezones=st.just(UTC))),
    "delivered_at": st.one_of(st.none(), st.just(datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC))),
    "responded_at": st.none(),
    "nonce": st.one_of(st.none(), st.none(), st.sampled_from(["n-1", " n-1 ", "", "n|1"]), any_text),
})


# ------------------------------------------------------------------------------------------------ tests

@settings(max_examples=2000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(call=calls)
def test_every_call_stores_the_normalised_row_or_is_refused(db: psycopg.Connection, call: dict) -> None:
    row = normalised(call)
    problem = first_problem_field(row)
    try:
        inserted, delivery_id, key, created_at = db.execute(RECORD, call).fetchone()
    except (psycopg.errors.InvalidParameterValue, psycopg.errors.CheckViolation) as refusal:
        assert problem is not None, f"refused a valid call: {refusal}"
        assert str(refusal).startswith(f"{problem}: "), (problem, str(refusal))
        return
    finally:
        assert db.execute(ORPHAN_RESERVATIONS).fetchone()[0] == 0
    assert problem is None, f"accepted a call the model refuses ({problem})"

    assert key == key_of(call["tenant"], row)
    stored = db.execute(f"SELECT {', '.join(STORED_COLUMNS)}, created_at FROM teams_obs.notification_deliveries"
                        " WHERE tenant = %s AND idempotency_key = %s", (call["tenant"], key)).fetchall()
    assert len(stored) == 1, "a key is stored exactly once"
    reservation = db.execute("SELECT delivery_id, created_at FROM teams_obs.notification_delivery_idempotency"
                             " WHERE tenant = %s AND idempotency_key = %s", (call["tenant"], key)).fetchone()
    assert reservation == (delivery_id, created_at), "the call returns the reservation (the original on a repeat)"
    if inserted:
        assert stored[0] == (*(row[column] for column in STORED_COLUMNS), created_at)


@dataclass
class Outcome:
    inserted: bool
    delivery_id: uuid.UUID
    key: str


def race(url: str, writers: int, work: Callable[[psycopg.Connection, int], list[Outcome]]
         ) -> list[list[Outcome]]:
    """Run `work(conn, writer_number)` in `writers` threads on their own connections, released together."""
    start = threading.Barrier(writers)
    results: list[list[Outcome] | BaseException] = [[] for _ in range(writers)]

    def writer(number: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                start.wait()
                results[number] = work(conn, number)
        except BaseException as error:  # re-raised in the test thread below
            results[number] = error

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def assert_each_key_once(db: psycopg.Connection, results: list[list[Outcome]], keys: int) -> None:
    by_key: dict[str, list[Outcome]] = {}
    for outcomes in results:
        for outcome in outcomes:
            by_key.setdefault(outcome.key, []).append(outcome)
    assert len(by_key) == keys
    for key, outcomes in by_key.items():
        assert sum(o.inserted for o in outcomes) == 1, f"key {key} inserted by exactly one writer"
        assert len({o.delivery_id for o in outcomes}) == 1, f"every writer sees one delivery_id for {key}"
    counts = db.execute("SELECT idempotency_key, count(*) FROM teams_obs.notification_deliveries"
                        " GROUP BY idempotency_key").fetchall()
    assert len(counts) == keys and all(count == 1 for _, count in counts)
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency").fetchone()[0] == keys
    assert db.execute(ORPHAN_RESERVATIONS).fetchone()[0] == 0


TENANT = uuid.UUID("00000000-0000-4000-8000-0000000000e1")


def test_eight_writers_racing_on_the_same_keys_store_each_once(db_url: str, db: psycopg.Connection) -> None:
    keys = 40

    def work(conn: psycopg.Connection, number: int) -> list[Outcome]:
        order = list(range(keys))
        random.Random(number).shuffle(order)
        outcomes = []
        for n in order:
            inserted, delivery_id, key = conn.execute(
                "SELECT inserted, delivery_id, idempotency_key FROM teams_obs.record_delivery(%s, 'user_activity',"
                " %s, %s)", (TENANT, f"aad-{n}", DELIVERY_STATUSES[number % 4])).fetchone()
            outcomes.append(Outcome(inserted, delivery_id, key))
        return outcomes

    assert_each_key_once(db, race(db_url, 8, work), keys)


def test_eight_batch_writers_racing_on_overlapping_keys_neither_duplicate_nor_deadlock(
        db_url: str, db: psycopg.Connection) -> None:
    keys = 300

    def work(conn: psycopg.Connection, number: int) -> list[Outcome]:
        rng = random.Random(number)
        outcomes = []
        for _ in range(3):
            chosen = rng.sample(range(keys), 150)  # overlapping sets in different orders
            batch = psycopg.types.json.Jsonb([
                {"destination_type": "bot_dm", "destination_id": f"aad-{n}", "status": "delivered"} for n in chosen])
            rows = conn.execute("SELECT inserted, delivery_id, idempotency_key FROM"
                                " teams_obs.record_deliveries(%s, %s)", (TENANT, batch)).fetchall()
            outcomes.extend(Outcome(*row) for row in rows)
        return outcomes

    results = race(db_url, 8, work)
    stored = db.execute("SELECT count(*) FROM teams_obs.notification_deliveries").fetchone()[0]
    assert_each_key_once(db, results, stored)


@pytest.mark.parametrize("recorder", WAITING_CALLS)
def test_a_call_waiting_for_the_table_has_reserved_no_key(db_url: str, db: psycopg.Connection, recorder: str) -> None:
    """The recorders take their lock on the deliveries table before they reserve a key. A call that waits
    for the table (here behind the EXCLUSIVE lock `maintain` takes to attach a month) has written nothing,
    so no other writer waits for its key meanwhile: otherwise maintain would wait for that writer, it for
    this call, and this call for maintain, a cycle that on Citus ends in a distributed deadlock with a
    writer as its victim (docs/maintenance.md)."""
    with psycopg.connect(db_url) as maintenance:
        maintenance.execute("LOCK TABLE ONLY teams_obs.notification_deliveries IN EXCLUSIVE MODE")
        written = written_while_waiting(db, maintenance.rollback, db_url, recorder, TENANT)
    assert written == 0, "the waiting call had already reserved its key"
    assert db.execute("SELECT count(*) FROM teams_obs.notification_deliveries WHERE destination_id = 'waiting'"
                      ).fetchone()[0] == 1


def test_the_batch_lock_statement_deletes_no_row(db: psycopg.Connection) -> None:
    """record_deliveries' first statement only locks: a row however odd (created_at -infinity, in DEFAULT)
    survives it."""
    db.execute("INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id,"
               " idempotency_key, status, created_at) VALUES (%s, 'chat', 'odd', 'k', 'sent', '-infinity')", (TENANT,))
    db.execute("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, psycopg.types.json.Jsonb([
        {"destination_type": "chat", "destination_id": "fine", "status": "sent"}])))
    assert db.execute("SELECT count(*) FROM teams_obs.notification_deliveries WHERE destination_id = 'odd'"
                      ).fetchone()[0] == 1


def test_a_failing_row_insert_leaves_no_reservation(db: psycopg.Connection) -> None:
    """The reservation and the row are one statement: when the row is refused, so is the reservation."""
    db.execute("ALTER TABLE teams_obs.notification_deliveries"
               " ADD CONSTRAINT test_refuses_boom CHECK (destination_id <> 'boom')")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("SELECT * FROM teams_obs.record_delivery(%s, 'chat', 'boom', 'sent')", (TENANT,))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, psycopg.types.json.Jsonb([
            {"destination_type": "chat", "destination_id": "fine", "status": "sent"},
            {"destination_type": "chat", "destination_id": "boom", "status": "sent"}])))
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM teams_obs.notification_deliveries").fetchone()[0] == 0


def test_a_reservation_deleted_while_a_repeat_reads_it_asks_for_a_retry(db: psycopg.Connection) -> None:
    """Between a repeat's ON CONFLICT and its read of the original, retention or a tenant purge may delete
    the reservation (here a trigger does, when the repeat deletes its own row again). The call then has
    no original to return: 40001 and nothing written, where it returned NULLs having stored nothing."""
    record = "SELECT delivery_id FROM teams_obs.record_delivery(%s, 'chat', 'gone', 'sent')"
    (original,) = db.execute(record, (TENANT,)).fetchone()
    db.execute("CREATE FUNCTION pg_temp.purge_meanwhile() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
               " DELETE FROM teams_obs.notification_delivery_idempotency WHERE idempotency_key = OLD.idempotency_key;"
               " RETURN OLD; END$$")
    db.execute("CREATE TRIGGER purge_meanwhile AFTER DELETE ON teams_obs.notification_deliveries"
               " FOR EACH ROW EXECUTE FUNCTION pg_temp.purge_meanwhile()")
    with pytest.raises(psycopg.errors.SerializationFailure, match="idempotency_key: the reservation of [0-9a-f]{64} "
                       r"was deleted \(retention, a tenant purge\) while this call read it; retry the call"):
        db.execute(record, (TENANT,))
    assert db.execute("SELECT delivery_id FROM teams_obs.notification_deliveries").fetchall() == [(original,)]
    assert db.execute("SELECT delivery_id FROM teams_obs.notification_delivery_idempotency").fetchall() == [(original,)]
    # record_deliveries reads a key reserved before the batch through the same function.
    with pytest.raises(psycopg.errors.SerializationFailure):
        db.execute("SELECT teams_obs.delivery_reservation(%s, 'no such key')", (TENANT,))


def test_a_batch_of_a_thousand_returns_every_element_in_order(db: psycopg.Connection) -> None:
    elements = [{"destination_type": "user_activity", "destination_id": f"aad-{n % 900}", "status": "delivered",
                 "attempt_number": 1} for n in range(1000)]
    rows = db.execute("SELECT ordinality, inserted, delivery_id FROM teams_obs.record_deliveries(%s, %s)",
                      (TENANT, psycopg.types.json.Jsonb(elements))).fetchall()
    assert [row[0] for row in rows] == list(range(1, 1001))
    assert sum(row[1] for row in rows) == 900
    assert rows[950][2] == rows[50][2], "element 951 repeats element 51's key and gets its delivery_id"
    assert db.execute("SELECT count(*) FROM teams_obs.notification_deliveries").fetchone()[0] == 900


@pytest.mark.parametrize("element", [{"status": "lost"}, {"attempt_number": "2abc"}, {"destination_id": 5}])
def test_a_refused_batch_reports_one_line_of_context_not_its_statement(db: psycopg.Connection, element) -> None:
    """The server log gets an error's CONTEXT: the batch's whole statement there for every refused batch
    would be noise."""
    batch = [{"destination_type": "chat", "destination_id": "1", "status": "sent", **element}]
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute("SELECT * FROM teams_obs.record_deliveries(%s, %s)", (TENANT, psycopg.types.json.Jsonb(batch)))
    assert refused.value.diag.message_primary.startswith("p_rows[1].")
    assert refused.value.diag.context.count("\n") <= 1, refused.value.diag.context


# Valid outcomes over a few keys, so that a batch repeats keys at any distance. Every text field comes
# padded (record_deliveries normalises through delivery_normalised, record_delivery inline: the two must
# agree), and error_message may run past the 1024 characters both keep; it starts with the element's
# number, so that the stored row tells which occurrence of a key won.
def padded_optional(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), padded(values))


stamps = st.sampled_from([None, datetime(2026, 3, 4, 5, 6, 7, 654321, tzinfo=UTC),
                          datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)])
valid_elements = st.fixed_dictionaries({
    "destination_type": padded(("chat", "bot_dm")),
    "destination_id": padded(("aad-1", "aad-2", "aad-3")),
    "status": padded(DELIVERY_STATUSES),
    "error_message": st.builds(lambda pad, long, pad2: (pad, "x" * long, pad2), padding,
                               st.sampled_from([0, 0, 1030, 1100]), padding),
}, optional={
    "internal_notification_id": st.sampled_from([None, str(uuid.UUID(int=7))]),
    "category": padded_optional(("assignment", "c" * 200, "")),
    "attempt_number": st.sampled_from([None, 1, 2]),
    "error_code": padded_optional(DELIVERY_ERROR_CODES[:3]),
    "retryable": st.sampled_from([None, True, False]),
    "provider_message_id": padded_optional(("m-1", "")),
    "provider_request_id": padded_optional(("r-1", "")),
    "sent_at": stamps,
    "delivered_at": stamps,
    "responded_at": stamps,
    "nonce": padded_optional(("n-1", "")),
})
ALL_COLUMNS = ("delivery_id", "created_at", "idempotency_key", *STORED_COLUMNS)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(batch=st.lists(valid_elements, min_size=1, max_size=80))
def test_a_batch_records_what_the_same_calls_one_by_one_would(db: psycopg.Connection, batch: list[dict]) -> None:
    """Element by element, record_deliveries answers and stores what record_delivery would for the same
    outcomes in array order: above all, of a repeated key the first occurrence is stored, and every
    occurrence returns the delivery_id and created_at of that stored row."""
    elements = []
    for n, element in enumerate(batch, 1):
        pad, filler, pad2 = element["error_message"]
        elements.append({**element, "error_message": f"{pad}element {n} {filler}{pad2}"})
    batch_tenant, single_tenant = uuid.uuid4(), uuid.uuid4()
    as_json = [{field: value.isoformat() if isinstance(value, datetime) else value for field, value in element.items()}
               for element in elements]
    in_batch = db.execute("SELECT ordinality, inserted, delivery_id, idempotency_key, created_at"
                          " FROM teams_obs.record_deliveries(%s, %s)",
                          (batch_tenant, psycopg.types.json.Jsonb(as_json))).fetchall()
    assert [row[0] for row in in_batch] == list(range(1, len(elements) + 1))
    one_by_one = [db.execute(RECORD, {**dict.fromkeys(("tenant", *TEXT_FIELDS, *STORED_COLUMNS)), **element,
                                      "tenant": single_tenant}).fetchone() for element in elements]

    def answered(tenant: uuid.UUID, answers: list[tuple]) -> list[tuple]:
        """Each answer as (inserted, the first element answered with the same row, that stored row): the
        returned delivery_id and created_at must name a stored row, and its idempotency_key the returned
        one. Ids, keys and times differ between the two tenants, the structure must not."""
        rows = {(row[0], row[1]): row for row in db.execute(
            f"SELECT {', '.join(ALL_COLUMNS)} FROM teams_obs.notification_deliveries WHERE tenant = %s",
            (tenant,)).fetchall()}
        assert len(rows) == len({answer[1] for answer in answers}), "one stored row per distinct key"
        first: dict[tuple, int] = {}
        result = []
        for n, (inserted, delivery_id, key, created_at) in enumerate(answers, 1):
            stored = rows.get((delivery_id, created_at))
            assert stored is not None and stored[2] == key, (n, delivery_id, created_at, "names no stored row")
            result.append((inserted, first.setdefault((delivery_id, created_at), n), stored[3:]))
        return result

    assert answered(batch_tenant, [row[1:] for row in in_batch]) == answered(single_tenant, one_by_one)


def test_delivery_ids_grow_with_time_so_each_tenant_appends_to_its_primary_key(db: psycopg.Connection) -> None:
    ids = []
    for n in range(5):
        ids.append(db.execute("SELECT delivery_id FROM teams_obs.record_delivery(%s, 'chat', %s, 'sent')",
                              (TENANT, f"grow-{n}")).fetchone()[0])
        time.sleep(0.002)  # the next transaction starts in a later millisecond
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert {delivery_id.version for delivery_id in ids} == {7}


def test_the_writer_role_records_but_cannot_read_the_tables(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute("SET LOCAL ROLE teams_obs_writer")
        inserted, = db.execute("SELECT inserted FROM teams_obs.record_delivery(%s, 'chat', 'x', 'sent')",
                               (TENANT,)).fetchone()
        assert inserted
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency")


def test_a_redeployed_sidecar_reserves_the_kept_deliveries_keys(db: psycopg.Connection, db_url: str) -> None:
    """revert --to notification_deliveries keeps the deliveries and drops their reservations; deployed
    again, the sidecar must hold their keys, or a replay of a kept delivery is stored twice. A key stored
    twice meanwhile (a replay while the sidecar was gone) keeps its oldest row, the one replays answer."""
    from click.testing import CliRunner

    from teams_obs.cli import main

    call = "SELECT inserted, delivery_id FROM teams_obs.record_delivery(%s, 'bot_dm', %s, 'sent')"
    tenants = ("00000000-0000-4000-8000-0000000000e5", "00000000-0000-4000-8000-0000000000e6")
    first = {(tenant, target): db.execute(call, (tenant, target)).fetchone()[1]
             for tenant in tenants for target in ("kept-1", "kept-2")}
    result = CliRunner().invoke(main, ["--db", db_url, "revert", "-y", "--to", "notification_deliveries"])
    assert result.exit_code == 0, result.output
    db.execute("INSERT INTO teams_obs.notification_deliveries SELECT (jsonb_populate_record(d, jsonb_build_object("
               "'delivery_id', gen_random_uuid(), 'created_at', d.created_at + interval '1 second'))).*"
               " FROM teams_obs.notification_deliveries AS d WHERE d.destination_id = 'kept-1'")
    result = CliRunner().invoke(main, ["--db", db_url, "deploy"])
    assert result.exit_code == 0, result.output
    for (tenant, target), delivery_id in first.items():
        assert db.execute(call, (tenant, target)).fetchone() == (False, delivery_id)
    # each reservation is its row's: the same delivery_id and created_at
    assert db.execute("SELECT count(*) FROM teams_obs.notification_delivery_idempotency"
                      " JOIN teams_obs.notification_deliveries USING (tenant, idempotency_key, delivery_id, created_at)"
                      ).fetchone()[0] == 4
