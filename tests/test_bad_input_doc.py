"""Every row of docs/bad-input.md is executed: each (section, parameter, invalid value) has a call here that
must be refused with the documented SQLSTATE and message, or accepted as the row says. A row without a call
fails `test_every_documented_row_has_a_case`, so a new row needs one."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from teams_obs import partitions, render
from teams_obs.cli import main
from teams_obs.pytest_plugin import admin_execute

DOC = render.REPO_ROOT / "docs/bad-input.md"

# What a case observed: a SQLSTATE, an exception class name or an exit status ("exit 2"), or "—" for an
# accepted call; and the error's primary message, or for an accepted call True (its check held) or the result
# text the row quotes. None: nothing to compare (click's own usage error).
Observed = tuple[str, "str | bool | None"]
ACCEPTED = "—"
# A documented outcome: a SQLSTATE, an exit status or a Python exception; none of them is an accepted row.
OUTCOME = re.compile(r"exit \d+|\b[A-Z][A-Za-z]*Error\b|\b[0-9][0-9A-Z]{4}\b")
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
# The message a cell quotes: its first code span, at its start or after "PostgreSQL: " or other text ending
# in ": " ("the same message prefixed with the position: `...`"). Any other code span is an example.
QUOTED = re.compile(r"(?:[^`]*: )?`([^`]*)`")
# A two-column table's cell: "22023 `message`" for a refusal, otherwise the result.
REFUSAL_CELL = re.compile(r"([0-9][0-9A-Z]{4}) (`.*)")


@dataclass(frozen=True)
class Row:
    section: str
    parameter: str
    value: str
    outcome: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.section, self.parameter, self.value

    @property
    def id(self) -> str:
        return " / ".join(self.key)

    @property
    def outcomes(self) -> set[str]:
        return set(OUTCOME.findall(self.outcome)) or {ACCEPTED}

    @property
    def quoted(self) -> str | None:
        match = QUOTED.match(self.message)
        return match[1] if match else None


def documented_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    section, header = "", None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in CELL_SEPARATOR.split(line)[1:-1]]
        if header is None:
            header = cells
        elif not set(line) <= set("|-"):
            if len(cells) == 2:
                refusal = REFUSAL_CELL.fullmatch(cells[1])
                cells = [header[0], cells[0], *(refusal.groups() if refusal else (ACCEPTED, cells[1]))]
            assert len(cells) == 4, line
            rows.append(Row(section, *cells))
    return rows


def pattern(documented: str) -> re.Pattern[str]:
    """The documented message as a regex: "..." and "…" stand for any text."""
    return re.compile(".+".join(re.escape(part) for part in re.split(r"\.\.\.|…", documented)), re.DOTALL)


# --- the calls -------------------------------------------------------------------------------------------

TENANT = "'00000000-0000-4000-8000-000000000001'::uuid"
OTHER_TENANT = "'00000000-0000-4000-8000-000000000002'::uuid"


def call(function: str, defaults: dict[str, str], overrides: dict[str, str], verb: str = "SELECT * FROM") -> str:
    arguments = {**defaults, **overrides}
    return f"{verb} teams_obs.{function}({', '.join(f'p_{name} => {value}' for name, value in arguments.items())})"


def record_delivery(**arguments: str) -> str:
    return call("record_delivery", {"tenant": TENANT, "destination_type": "'chat'", "destination_id": "'x'",
                                    "status": "'sent'"}, arguments)


def stored_delivery(condition: str, **arguments: str) -> str:
    """Records a delivery, then checks ``condition`` on the stored row."""
    return then(record_delivery(**arguments), f"SELECT {condition} FROM teams_obs.notification_deliveries")


def record_deliveries(rows: str, tenant: str = TENANT) -> str:
    return f"SELECT * FROM teams_obs.record_deliveries({tenant}, {rows})"


VALID_ELEMENT = '{"destination_type": "chat", "destination_id": "x", "status": "sent"}'


def elements(*items: str) -> str:
    return f"'[{', '.join(items)}]'::jsonb"


def element(**changes: str) -> str:
    """VALID_ELEMENT with ``changes`` (JSON text) merged in."""
    added = ", ".join(f'"{key}": {value}' for key, value in changes.items())
    return VALID_ELEMENT[:-1] + (f", {added}" if added else "") + "}"


def idempotency_key(**arguments: str) -> str:
    return call("delivery_idempotency_key", {"tenant": TENANT, "internal_notification_id": "NULL",
                                             "destination_type": "'chat'", "destination_id": "'x'",
                                             "attempt_number": "1", "nonce": "NULL"}, arguments, "SELECT")


def list_deliveries(**arguments: str) -> str:
    return call("list_deliveries", {"tenant": TENANT}, arguments)


def list_audit_events(**arguments: str) -> str:
    return call("list_audit_events", {"tenant": TENANT}, arguments)


def then(*statements: str) -> str:
    """Statements run in one transaction: the last one's result is what the case observes."""
    return "; ".join(statements)


def holds(*conditions: str) -> str:
    return "SELECT " + " AND ".join(f"({condition})" for condition in conditions)


def returns_and(call: str, condition: str) -> str:
    """True where ``call`` returned true and ``condition`` holds after it (a later statement: one statement does
    not see its own writes)."""
    return then(f"CREATE TEMP TABLE returned ON COMMIT DROP AS {call}",
                f"SELECT (SELECT * FROM returned) AND ({condition})")


def rows_listed(listing: str, expected: int) -> str:
    return f"SELECT count(*) = {expected} FROM ({listing}) page"


def some_deliveries(count: int) -> str:
    return record_deliveries("(SELECT jsonb_agg(jsonb_build_object('destination_type', 'chat', 'destination_id',"
                             f" i::text, 'status', 'sent')) FROM generate_series(1, {count}) i)")


def b64(text: str) -> str:
    """A cursor carrying ``text``, base64url without padding like the real ones."""
    return "'" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") + "'"


def checksummed_cursor(at: str, written_at: str | None = None, listed: str = "deliveries",
                       tenant: str = TENANT) -> str:
    """A well-formed cursor whose checksum covers ``at``; ``written_at`` is the timestamp it then carries."""
    document = (f"format('{{\"v\":1,\"l\":\"{listed}\",\"at\":%s,\"id\":\"%s\",\"ck\":\"%s\"}}', {written_at or at},"
                f" v.id, teams_obs.cursor_checksum('{listed}', {tenant}, '{at}', v.id))")
    return (f"(SELECT translate(encode(convert_to({document}, 'UTF8'), 'base64'), E'+/=\\n', '-_') FROM (VALUES"
            " ('01890000-0000-7000-8000-000000000001'::uuid)) v(id))")


def issued_cursor(listed: str, tenant: str = TENANT) -> str:
    return f"teams_obs.encode_cursor('{listed}', {tenant}, now(), gen_random_uuid())"


MALFORMED_CURSORS = ["'!!not base64!!'", "'_w'", b64("not json"), "repeat('A', 513)"]
MISSHAPEN_CURSORS = [b64(text) for text in (
    '[1700000000000000, "01890000-0000-7000-8000-000000000001"]',
    '{"v":1,"l":"deliveries","at":1,"id":"01890000-0000-7000-8000-000000000001"}',
    '{"v":1,"l":"deliveries","at":1,"id":"01890000-0000-7000-8000-000000000001","ck":"0","x":1}',
    '{"v":1,"l":"deliveries","at":1.5,"id":"01890000-0000-7000-8000-000000000001","ck":"0"}',
    '{"v":1,"l":"deliveries","at":"1","id":"01890000-0000-7000-8000-000000000001","ck":"0"}',
    '{"v":1,"l":"deliveries","at":"Infinity","id":"01890000-0000-7000-8000-000000000001","ck":"0"}',
    '{"v":1,"l":"deliveries","at":12345678901234567890,"id":"01890000-0000-7000-8000-000000000001","ck":"0"}',
    '{"v":1,"l":"deliveries","at":1,"id":"01890000-0000-7000-8000-00000000000A","ck":"0"}',
    '{"v":2,"l":"deliveries","at":1,"id":"01890000-0000-7000-8000-000000000001","ck":"0"}')]


def record_audit_event(**arguments: str) -> str:
    return call("record_audit_event", {"tenant": TENANT, "surface": "'bot'", "action_id": "'add_note'",
                                       "result_status": "'success'"}, arguments)


ACTIVITY = {"from": {"aadObjectId": "u1"}, "conversation": {"id": "c1", "conversationType": "personal"},
            "serviceUrl": "https://s1", "channelId": "msteams", "channelData": {"tenant": {"id": "aad1"}}}
REMOVED = object()


def jsonb(value: object) -> str:
    return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"


def activity(*edits: tuple[str, object]) -> str:
    """ACTIVITY with each (path, value) set, or the key at path removed where the value is REMOVED."""
    expression = jsonb(ACTIVITY)
    for path, value in edits:
        expression = (f"({expression} #- '{path}')" if value is REMOVED
                      else f"jsonb_set({expression}, '{path}', {jsonb(value)}, true)")
    return expression


def record_reference(activity_sql: str = activity(), at: str = "now()", tenant: str = TENANT) -> str:
    return f"SELECT teams_obs.record_conversation_reference({tenant}, {activity_sql}, {at})"


def stored_reference(condition: str) -> str:
    return f"SELECT {condition} FROM teams_obs.conversation_references"


def delivery_health(since: str = "now() - interval '1 day'", until: str = "now()", tenant: str = TENANT) -> str:
    return f"SELECT * FROM teams_obs.delivery_health({tenant}, {since}, {until})"


BLANK = "' '"
# A timestamptz refused by PostgreSQL's input function, one per SQLSTATE: 22008, 22007, 22009 and 22023.
BAD_TIMESTAMPS = ("'2026-02-30'", "'soon'", "'2026-01-01T00:00:00+25:00'", "'2026-01-01 Mars/Phobos'")
# Times that convert but that no reader can take in every session time zone: infinite, or within a day of
# the years 1 to 9999 in UTC or outside them.
UNREADABLE_TIMES = ("'infinity'", "'-infinity'", "'10000-01-01Z'", "'0001-12-31Z BC'", "'9999-12-31Z'",
                    "'0001-01-01 23:59:59.999999Z'", "'0001-01-02 00:00:00+01'", "'9999-12-30 23:00:00-01'")
DELIVERY_TIMES = ("sent_at", "delivered_at", "responded_at")
JSON_NULL = "'null'"
HOUR_AGO = "now() - interval '1 hour'"
DELIVERIES = "'teams_obs.notification_deliveries'"
SIDECAR = "'teams_obs.notification_delivery_idempotency'"
OLD_RESERVATION = ("INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id,"
                   " created_at) VALUES (gen_random_uuid(), 'k', gen_random_uuid(), now() - interval '100 days')")


def graph(statuses: str) -> str:
    """The distinct results of graph_status_error over ``statuses`` (a set of one column), as the doc writes them."""
    return ("SELECT string_agg(DISTINCT format('(%s, %s)', r.error_code, r.retryable::text), ' ')"
            f" FROM {statuses} AS s(s), teams_obs.graph_status_error(s) r")


@dataclass(frozen=True)
class Sql:
    """Statements each run in its own transaction, rolled back after it. An error's primary message must match
    the row's for ``statements``; ``also`` are further examples of the row whose message names another value,
    checked by SQLSTATE. An accepted statement's last result is one value: True, or the text the row quotes."""

    statements: tuple[str, ...]
    also: tuple[str, ...] = ()

    def observe(self, conn: psycopg.Connection, _url: str) -> list[Observed]:
        observed = [run(conn, statement) for statement in self.statements]
        return observed + [(kind, None) for kind, _ in (run(conn, statement) for statement in self.also)]


def run(conn: psycopg.Connection, statement: str) -> Observed:
    try:
        with conn.transaction(force_rollback=True):
            cursor = conn.execute(statement)
            while cursor.nextset():
                pass
            (value,) = cursor.fetchone()
    except psycopg.Error as error:
        return error.sqlstate or type(error).__name__, error.diag.message_primary
    return ACCEPTED, value


def refused(*statements: str, also: tuple[str, ...] = ()) -> Sql:
    return Sql(statements, also)


# The same runner: whether a statement must be refused or accepted is the row's to say.
accepted = refused


@dataclass(frozen=True)
class Python:
    """Calls outside SQL: the CLI, the Python API."""

    observe: Callable[[psycopg.Connection, str], list[Observed]]


def cli(url: str, *args: str) -> Observed:
    """A refused CLI run: its exit status, or the SQLSTATE and message of the database error it reports."""
    result = CliRunner().invoke(main, ["--db", url, *args])
    reported = re.fullmatch(r"teams-obs: (.*) \[(\w{5})\]\n", result.output)
    return (reported[2], reported[1]) if reported else (f"exit {result.exit_code}", None)


def raised(action: Callable[[], object]) -> Observed:
    try:
        action()
    except (ValueError, psycopg.Error) as error:
        if isinstance(error, psycopg.Error):
            return error.sqlstate, error.diag.message_primary
        return type(error).__name__, str(error)
    return ACCEPTED, None


def months_ahead_refused(conn: psycopg.Connection, url: str) -> list[Observed]:
    return [cli(url, "maintain", "--months-ahead", "-1"), cli(url, "maintain", "--months-ahead", "121"),
            raised(lambda: partitions.maintain(url, 121)),
            run(conn, f"SELECT count(*) FROM teams_obs.missing_month_partitions({DELIVERIES}, 121)"),
            run(conn, "CALL teams_obs.maintain_partitions(121)")]


def transaction_refused(_conn: psycopg.Connection, url: str) -> list[Observed]:
    with psycopg.connect(url) as outside_autocommit, psycopg.connect(url, autocommit=True) as in_transaction:
        observed = [raised(lambda: partitions.maintain(outside_autocommit))]
        with in_transaction.transaction():
            observed.append(raised(lambda: partitions.maintain(in_transaction)))
    return observed


def lock_timeout_refused(_conn: psycopg.Connection, url: str) -> list[Observed]:
    for duration in ("500ms", "2s", "1.5 s", "1min", "750"):
        assert partitions.check_lock_timeout(duration) == duration
    return [cli(url, "maintain", "--lock-timeout", "5 parsecs"),
            raised(lambda: partitions.maintain(url, lock_timeout="5 parsecs"))]


def lock_timeout_waiting_without_end_refused(_conn: psycopg.Connection, url: str) -> list[Observed]:
    return [cli(url, "maintain", "--lock-timeout", "0"),
            raised(lambda: partitions.maintain(url, lock_timeout="0.4ms"))]


def nul_cannot_be_passed(conn: psycopg.Connection, _url: str) -> list[Observed]:
    """psycopg refuses a parameter with NUL before sending it; the server refuses NUL in a literal while
    parsing the call, with its own error (22021), not one of teams_obs."""
    with pytest.raises(psycopg.DataError) as client:
        run_with_parameter(conn, "a\x00b")
    assert client.value.sqlstate is None
    server = run(conn, record_delivery(destination_id="'a' || chr(0)"))
    assert server == ("54000", "null character not permitted"), server
    return [(ACCEPTED, True)]


def run_with_parameter(conn: psycopg.Connection, value: str) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(record_delivery(destination_id="%s"), [value])


CASES: dict[str, dict[tuple[str, str], Sql | Python]] = {
    "record_delivery": {
        ("p_tenant", "NULL"): refused(record_delivery(tenant="NULL")),
        ("p_tenant", "not a UUID"): refused(record_delivery(tenant="'abc'")),
        ("p_destination_type", "NULL, empty or blank"): refused(
            record_delivery(destination_type="NULL"), record_delivery(destination_type="''"),
            record_delivery(destination_type="E' \\t\\u00a0'")),
        ("p_destination_type", "contains `|`"): refused(record_delivery(destination_type="'chat|x'")),
        ("p_destination_type", "not one of the taxonomy (case-sensitive, after trimming)"): refused(
            record_delivery(destination_type="'email'"), record_delivery(destination_type="' email '"),
            also=(record_delivery(destination_type="'Chat'"),)),
        ("p_destination_id", "NULL, empty or blank"): refused(
            record_delivery(destination_id="NULL"), record_delivery(destination_id="''"),
            record_delivery(destination_id="'   '")),
        ("p_destination_id", "contains `|` (it would make two inputs share a key)"): refused(
            record_delivery(destination_id="'a|b'")),
        ("p_status", "NULL, empty or blank"): refused(
            record_delivery(status="NULL"), record_delivery(status="''"), record_delivery(status="' '")),
        ("p_status", "not one of the taxonomy (`Sent`, `lost`)"): refused(
            record_delivery(status="'lost'"), also=(record_delivery(status="'Sent'"),)),
        ("p_internal_notification_id", "not a UUID"): refused(record_delivery(internal_notification_id="'abc'")),
        ("p_category", "longer than 200 characters after trimming (it is indexed)"): refused(
            record_delivery(category="repeat('c', 201)")),
        ("p_category", "blank"): accepted(
            stored_delivery("category IS NULL", category="' '"),
            stored_delivery("category = repeat('c', 200)", category="' ' || repeat('c', 200) || ' '")),
        ("p_attempt_number", "0 or negative"): refused(
            record_delivery(attempt_number="0"), also=(record_delivery(attempt_number="-1"),)),
        ("p_attempt_number", "NULL"): accepted(stored_delivery("attempt_number = 1", attempt_number="NULL")),
        ("p_error_code", "not NULL and not one of the taxonomy"): refused(
            record_delivery(status="'failed'", error_code="'boom'")),
        ("p_error_code", "blank"): accepted(stored_delivery("error_code IS NULL", error_code="' '")),
        ("p_error_message", "longer than 1024 characters"): accepted(stored_delivery(
            "error_message = repeat('é', 1023) || '😀'", error_message="' ' || repeat('é', 1023) || '😀😀 '")),
        ("p_retryable", "—"): accepted(stored_delivery("retryable IS NULL", retryable="NULL")),
        ("p_provider_message_id, p_provider_request_id", "blank"): accepted(stored_delivery(
            "provider_message_id IS NULL AND provider_request_id IS NULL",
            provider_message_id="' '", provider_request_id="''")),
        ("p_sent_at, p_delivered_at, p_responded_at", "not a timestamp (`'2026-02-30'`), an offset out of range"
                                                      " (`+25:00`), an unknown time zone (`Mars/Phobos`)"):
            refused(also=tuple(record_delivery(**{field: value}) for value in BAD_TIMESTAMPS
                               for field in DELIVERY_TIMES)),
        ("p_sent_at, p_delivered_at, p_responded_at", "infinite, or before 0001-01-02 or from 9999-12-31 on in UTC"
                                                      " (`infinity`, `-infinity`, `9999-12-31`, `0001-01-01`, a BC"
                                                      " date): psycopg reads a time in the session's TimeZone, up to"
                                                      " 16 hours off UTC, where Python could not take it after the"
                                                      " year 9999 or BC; nor can two be subtracted for a latency"):
            refused(record_delivery(sent_at="'infinity'"),
                    also=tuple(record_delivery(**{field: value}) for value in UNREADABLE_TIMES
                               for field in DELIVERY_TIMES)),
        ("p_sent_at, p_delivered_at, p_responded_at", "the first and last times allowed, `0001-01-02 00:00:00+00` and"
                                                      " `9999-12-30 23:59:59.999999+00`"): accepted(stored_delivery(
            "sent_at = '0001-01-02 00:00:00+00' AND delivered_at = '9999-12-30 23:59:59.999999+00'"
            " AND responded_at = '0001-01-02 00:00:00+00'", sent_at="'0001-01-02 00:00:00+00'",
            delivered_at="'9999-12-30 23:59:59.999999+00'", responded_at="'0001-01-02 00:00:00+00'")),
        ("p_nonce", "contains `|`"): refused(record_delivery(nonce="'a|b'")),
        ("p_nonce", "blank"): accepted(
            f"SELECT (r).idempotency_key = ({idempotency_key()}) AND (r).idempotency_key NOT LIKE '%|'"
            f" FROM ({record_delivery(nonce=BLANK)}) r"),
        ("any text", "contains NUL (`\\u0000`)"): Python(nul_cannot_be_passed),
    },
    "record_deliveries": {
        ("p_tenant", "NULL"): refused(record_deliveries(elements(VALID_ELEMENT), "NULL")),
        ("p_rows", "NULL"): refused(record_deliveries("NULL")),
        ("p_rows", "not an array (`{...}`, `\"x\"`, `3`)"): refused(
            record_deliveries(f"'{VALID_ELEMENT}'"), also=(record_deliveries("'\"x\"'"), record_deliveries("'3'"))),
        ("p_rows", "`[]`"): accepted(rows_listed(record_deliveries("'[]'"), 0)),
        ("element", "not an object"): refused(record_deliveries(elements(VALID_ELEMENT, '"x"'))),
        ("element", "a key that is no parameter name (`tenant`, `p_status`, typos)"): refused(
            record_deliveries(elements(element(tenant='"t"', p_status='"sent"')))),
        ("element value", "does not convert to the field's type (`\"attempt_number\": \"2abc\"`, `2.5`, `[1]`;"
                          " a non-UUID `internal_notification_id`; a bad timestamp, one with an offset out of range,"
                          " `+25:00`, or an unknown time zone, `Mars/Phobos`)"):
            refused(record_deliveries(elements(VALID_ELEMENT, element(attempt_number='"2abc"'))),
                    also=tuple(record_deliveries(elements(VALID_ELEMENT, element(**change))) for change in (
                        {"attempt_number": "2.5"}, {"attempt_number": "[1]"}, {"attempt_number": "1.0"},
                        {"internal_notification_id": '"abc"'}, {"sent_at": '"2026-02-30"'},
                        {"sent_at": '"2026-01-01T00:00:00+25:00"'}, {"sent_at": '"2026-01-01 Mars/Phobos"'}))),
        ("element value", "a number, boolean, array or object for a text field (`\"destination_id\": 5`,"
                          " `\"nonce\": true`)"): refused(
            record_deliveries(elements(VALID_ELEMENT, element(nonce="true", destination_id="5"))),
            also=(record_deliveries(elements(element(category="[]"))),)),
        ("element value", "anything but JSON `true`, `false` or `null` for `retryable` (`0`, `1`, `\"yes\"`,"
                          " `\"maybe\"`)"): refused(
            record_deliveries(elements(element(retryable="0"))), record_deliveries(elements(element(retryable="1"))),
            also=(record_deliveries(elements(element(retryable='"yes"'))),
                  record_deliveries(elements(element(retryable='"maybe"'))))),
        ("element value", "an infinite time, or one before 0001-01-02 or from 9999-12-31 on in UTC (`\"infinity\"`,"
                          " `\"9999-12-31T00:00:00Z\"`)"): refused(
            record_deliveries(elements(VALID_ELEMENT, element(sent_at='"infinity"'))),
            also=tuple(record_deliveries(elements(element(**{field: value})))
                       for value in ('"-infinity"', '"9999-12-31T00:00:00Z"', '"0001-01-01T23:59:59.999999Z"',
                                     '"10000-01-01T00:00:00Z"', '"0001-12-31T00:00:00Z BC"')
                       for field in DELIVERY_TIMES)),
        ("element value", "any field problem of `record_delivery`"): refused(
            record_deliveries(elements(VALID_ELEMENT, VALID_ELEMENT, element(status='"lost"')))),
    },
    "delivery_idempotency_key": {
        ("p_tenant", "NULL"): refused(idempotency_key(tenant="NULL")),
        ("p_destination_type", "NULL or blank"): refused(
            idempotency_key(destination_type="NULL"), idempotency_key(destination_type="' '")),
        ("p_destination_type", "contains `|`"): refused(idempotency_key(destination_type="'a|b'")),
        ("p_destination_id", "NULL or blank"): refused(
            idempotency_key(destination_id="NULL"), idempotency_key(destination_id="''")),
        ("p_destination_id", "contains `|`"): refused(idempotency_key(destination_id="'a|b'")),
        ("p_attempt_number", "0 or negative"): refused(
            idempotency_key(attempt_number="-1"), also=(idempotency_key(attempt_number="0"),)),
        ("p_attempt_number", "NULL"): accepted(
            f"SELECT ({idempotency_key(attempt_number='NULL')}) = ({idempotency_key()})"),
        ("p_nonce", "contains `|`"): refused(idempotency_key(nonce="'a|b'")),
        ("p_nonce", "blank"): accepted(f"SELECT ({idempotency_key(nonce=BLANK)}) = ({idempotency_key()})"),
        ("p_internal_notification_id", "NULL"): accepted(
            f"SELECT ({idempotency_key()}) = encode(sha256(convert_to(concat_ws('|', '', {TENANT}, 'chat', 'x', 1),"
            " 'UTF8')), 'hex')"),
    },
    "graph_status_error": {
        ("p_http_status", "NULL"): accepted(graph("(VALUES (NULL::integer))")),
        ("p_http_status", "401, 403"): accepted(graph("(VALUES (401), (403))")),
        ("p_http_status", "404"): accepted(graph("(VALUES (404))")),
        ("p_http_status", "429"): accepted(graph("(VALUES (429))")),
        ("p_http_status", "500–599"): accepted(graph("generate_series(500, 599)")),
        ("p_http_status", "any other value in 100–999"): accepted(
            "SELECT bool_and(r.error_code = 'unknown' AND r.retryable = (s >= 500))"
            " FROM generate_series(100, 999) s, teams_obs.graph_status_error(s) r"
            " WHERE s NOT IN (401, 403, 404, 429) AND s NOT BETWEEN 500 AND 599"),
        ("p_http_status", "below 100 or above 999"): refused(
            "SELECT * FROM teams_obs.graph_status_error(42)",
            also=tuple(f"SELECT * FROM teams_obs.graph_status_error({s})" for s in (99, 1000, -1))),
    },
    "list_deliveries": {
        ("p_tenant", "NULL"): refused(list_deliveries(tenant="NULL")),
        ("p_tenant", "not a UUID"): refused(list_deliveries(tenant="'abc'")),
        ("p_status", "not one of the taxonomy (`Sent`, `lost`), or empty/blank"): refused(
            list_deliveries(status="'lost'"), also=(list_deliveries(status="'Sent'"), list_deliveries(status="''"),
                                                    list_deliveries(status="' '"))),
        ("p_status", "`' sent '`"): accepted(
            then(record_delivery(), rows_listed(list_deliveries(status="' sent '"), 1))),
        ("p_category", "empty or blank (it would match no stored row: recording stores blank as NULL)"): refused(
            list_deliveries(category="''"), list_deliveries(category="' '")),
        ("p_category", "any other text"): accepted(then(
            record_delivery(category="'Billing'"),
            holds(rows_listed(list_deliveries(category="' Billing '"), 1),
                  rows_listed(list_deliveries(category="'billing'"), 0)))),
        ("p_destination_type", "not one of the taxonomy, or empty/blank"): refused(
            list_deliveries(destination_type="'email'"),
            also=(list_deliveries(destination_type="''"), list_deliveries(destination_type="' '"))),
        ("p_error_code", "not one of the taxonomy, or empty/blank"): refused(
            list_deliveries(error_code="'boom'"), also=(list_deliveries(error_code="' '"),)),
        ("p_internal_notification_id", "not a UUID"): refused(list_deliveries(internal_notification_id="'abc'")),
        ("p_since, p_until", "not a timestamp (`'yesterday-ish'`, `'2026-02-30'`), an offset out of range (`+25:00`),"
                             " an unknown time zone (`Mars/Phobos`)"): refused(also=(
            list_deliveries(since="'yesterday-ish'"), list_deliveries(until="'2026-02-30'"),
            *(list_deliveries(since=value) for value in BAD_TIMESTAMPS))),
        ("p_since, p_until", "since after until"): refused(
            list_deliveries(since="'2026-02-01Z'", until="'2026-01-01Z'")),
        ("p_since, p_until", "since equal to until"): accepted(
            then(record_delivery(), rows_listed(list_deliveries(since="now()", until="now()"), 0))),
        ("p_limit", "NULL"): accepted(then(some_deliveries(51), rows_listed(list_deliveries(limit="NULL"), 50))),
        ("p_limit", "0, negative, or above 200"): accepted(then(
            some_deliveries(201),
            holds(rows_listed(list_deliveries(limit="0"), 1), rows_listed(list_deliveries(limit="-7"), 1),
                  rows_listed(list_deliveries(limit="1000"), 200)))),
        ("p_cursor", "NULL, empty or blank"): accepted(then(
            record_delivery(),
            holds(*(rows_listed(list_deliveries(cursor=cursor), 1) for cursor in ("NULL", "''", BLANK))))),
        ("p_cursor", "not base64url, base64 of something that is not UTF-8 JSON, longer than 512 characters"):
            refused(*(list_deliveries(cursor=cursor) for cursor in MALFORMED_CURSORS)),
        ("p_cursor", "valid JSON of another shape: the original's `[at, id]` array, a key missing or added,"
                     " a fractional timestamp or one of over 19 digits, text other than `\"infinity\"` and"
                     " `\"-infinity\"`, an id that is not a lowercase UUID, another version"):
            refused(*(list_deliveries(cursor=cursor) for cursor in MISSHAPEN_CURSORS)),
        ("p_cursor", "a cursor of another list function (list_audit_events)"): refused(
            list_deliveries(cursor=issued_cursor("audit_events"))),
        ("p_cursor", "any altered field (the timestamp moved by one microsecond, another id), or a cursor issued"
                     " for another tenant"): refused(
            list_deliveries(cursor=checksummed_cursor("1700000000000000", "1700000000000001")),
            list_deliveries(cursor=issued_cursor("deliveries", OTHER_TENANT))),
        ("p_cursor", "a cursor whose checksum was recomputed for a timestamp outside PostgreSQL's range"): refused(
            list_deliveries(cursor=checksummed_cursor("-999999999999999999"))),
    },
    "cleanup_notification_deliveries (and cleanup_audit_events, run_retention and their building blocks)": {
        ("p_retention", "NULL, zero or negative"): refused(
            "SELECT * FROM teams_obs.cleanup_notification_deliveries('-1 days')",
            also=("SELECT * FROM teams_obs.cleanup_notification_deliveries(NULL)",
                  "SELECT * FROM teams_obs.cleanup_audit_events('0')",
                  f"CALL teams_obs.run_retention({DELIVERIES}, '-1 hour')")),
        ("p_retention", "not an interval (`'ninety days'`)"): refused(
            also=("SELECT * FROM teams_obs.cleanup_notification_deliveries('ninety days')",)),
        ("p_retention", "shorter than the age of the current month (`'1 microsecond'`)"): accepted(
            then(OLD_RESERVATION, "SELECT count(*) FROM teams_obs.cleanup_notification_deliveries('1 microsecond')",
                 holds("NOT EXISTS (SELECT FROM teams_obs.notification_delivery_idempotency)",
                       "SELECT count(*) FILTER (WHERE is_default) = 1 AND count(*) FILTER (WHERE upper_bound > now())"
                       f" >= 1 FROM teams_obs.partition_bounds({DELIVERIES})"))),
        ("p_batch_size", "NULL, zero or negative"): refused(
            "SELECT * FROM teams_obs.cleanup_notification_deliveries('90 days', NULL)",
            "SELECT * FROM teams_obs.cleanup_audit_events('90 days', 0)",
            f"SELECT * FROM teams_obs.retention_row_batches({DELIVERIES}, -1)"),
        ("p_cutoff (cleanup_partitioned_table, delete_retention_batch, drop_expired_partitions)",
         "NULL, infinite or after now()"): refused(
            f"SELECT * FROM teams_obs.cleanup_partitioned_table({DELIVERIES}, NULL)",
            f"SELECT * FROM teams_obs.drop_expired_partitions({DELIVERIES}, 'infinity')",
            f"SELECT teams_obs.delete_retention_batch({DELIVERIES}, {SIDECAR}, now() + interval '1 hour', 0, 1)"),
        ("p_parent (run_retention, cleanup_partitioned_table, retention_row_tables, retention_row_batches,"
         " delete_retention_batch, drop_expired_partitions)",
         "not a table of schema teams_obs partitioned by range on one timestamptz column (the sidecar, a table"
         " in `public`)"): refused(
            "CREATE TABLE public.x (); SELECT * FROM teams_obs.retention_row_tables('public.x')",
            "CREATE TABLE public.x (); CALL teams_obs.run_retention('public.x', '1 day')",
            also=(f"SELECT * FROM teams_obs.cleanup_partitioned_table({SIDECAR}, now())",
                  f"SELECT * FROM teams_obs.retention_row_batches({SIDECAR})",
                  f"SELECT teams_obs.delete_retention_batch({SIDECAR}, {SIDECAR}, now(), 0, 1)",
                  f"SELECT * FROM teams_obs.drop_expired_partitions({SIDECAR}, now())")),
        ("p_parent (partition_bounds)", "a table not partitioned by range on one timestamptz column"): refused(
            "CREATE TABLE teams_obs.x (); SELECT count(*) FROM teams_obs.partition_bounds('teams_obs.x')"),
        ("p_table (delete_retention_batch)",
         "not one of `retention_row_tables(p_parent)` (another table, a monthly partition)"): refused(
            "SELECT teams_obs.delete_retention_batch('teams_obs.notification_deliveries',"
            " 'teams_obs.conversation_references', now(), 0, 1)",
            also=(f"SELECT teams_obs.delete_retention_batch({DELIVERIES}, partition_oid::regclass, now(), 0, 1)"
                  f" FROM teams_obs.partition_bounds({DELIVERIES}) WHERE NOT is_default LIMIT 1",)),
        ("— (run_retention)", "called inside a transaction block while it has batches to run"): refused(
            then(OLD_RESERVATION, f"CALL teams_obs.run_retention({DELIVERIES}, '90 days')")),
    },
    "teams-obs maintain (teams_obs.partitions.maintain)": {
        ("--months-ahead / months_ahead (also `missing_month_partitions`, `CALL maintain_partitions`)",
         "negative, or more than 120 (ten years)"): Python(months_ahead_refused),
        ("conn (teams_obs.partitions.maintain)", "a connection inside a transaction, or without autocommit"):
            Python(transaction_refused),
        ("--lock-timeout / lock_timeout", "anything but a duration (`500ms`, `2s`, `1.5 s`, `1min`, `750`)"):
            Python(lock_timeout_refused),
        ("--lock-timeout / lock_timeout",
         "a duration under 1ms (`0`, `0.4ms`: PostgreSQL would wait for locks without end)"):
            Python(lock_timeout_waiting_without_end_refused),
        ("p_lock_timeout (`CALL maintain_partitions`)", "NULL, or a duration under 1ms"): refused(
            "CALL teams_obs.maintain_partitions(3, NULL)", also=("CALL teams_obs.maintain_partitions(3, '0.4ms')",)),
    },
    "record_audit_event": {
        ("p_tenant", "NULL"): refused(record_audit_event(tenant="NULL")),
        ("p_surface", "NULL or blank"): refused(record_audit_event(surface="NULL"), record_audit_event(surface="' '")),
        ("p_surface", "outside the taxonomy (case-sensitive, e.g. `teams`, `Bot`)"): refused(
            record_audit_event(surface="'teams'"), also=(record_audit_event(surface="'Bot'"),)),
        ("p_action_id", "NULL or blank"): refused(
            record_audit_event(action_id="NULL"), record_audit_event(action_id="''")),
        ("p_action_id", "outside the taxonomy (e.g. the unaudited lookup `my_tickets`)"): refused(
            record_audit_event(action_id="'my_tickets'")),
        ("p_result_status", "NULL or blank"): refused(
            record_audit_event(result_status="NULL"), record_audit_event(result_status="' '")),
        ("p_result_status", "outside the taxonomy (e.g. `SUCCESS`)"): refused(
            record_audit_event(result_status="'SUCCESS'")),
        ("p_error_code", "outside the taxonomy"): refused(
            record_audit_event(result_status="'failure'", error_code="'boom'")),
        ("p_error_code", "given with p_result_status `success`"): refused(
            record_audit_event(error_code="'forbidden'")),
        ("p_actor_user_id", "not a UUID"): refused(record_audit_event(actor_user_id="'abc'")),
        ("p_microsoft_user_id, p_target_type, p_target_id, p_idempotency_key",
         "longer than 256 characters (after trimming)"): refused(
            record_audit_event(target_id="' ' || repeat('t', 257)"),
            also=tuple(record_audit_event(**{field: "repeat('t', 257)"})
                       for field in ("microsoft_user_id", "target_type", "idempotency_key"))),
        ("p_payload and p_payload_hash", "both given"): refused(
            record_audit_event(payload="'{}'", payload_hash="repeat('a', 64)")),
        ("p_payload_hash", "not 64 lowercase hex digits (upper case, 63 or 65 digits, non-hex, inner space)"):
            refused(*(record_audit_event(payload_hash=value) for value in (
                "repeat('A', 64)", "repeat('a', 63)", "repeat('a', 65)", "repeat('g', 64)",
                "repeat('a', 32) || ' ' || repeat('a', 31)"))),
        ("p_payload", "a duplicate key (anywhere, nested included)"): refused(
            record_audit_event(payload="'{\"a\": 1, \"a\": 2}'"),
            record_audit_event(payload="'[{\"b\": {\"a\": 1, \"a\": 2}}]'")),
        ("p_payload", "a lone surrogate escape (`\\ud800`) in a key or string"): refused(
            record_audit_event(payload="'{\"a\": \"\\ud800\"}'"), record_audit_event(payload="'{\"\\udc00\": 1}'")),
        ("p_payload", "`\\u0000` in a key or string"): refused(
            record_audit_event(payload="'{\"a\": \"x\\u0000\"}'"), record_audit_event(payload="'{\"\\u0000\": 1}'")),
        ("p_payload", "a number outside the double range (`1e400`, `-1e309`)"): refused(
            record_audit_event(payload="'{\"a\": 1e400}'"), record_audit_event(payload="'[-1e309]'")),
        ("p_payload", "text that is not JSON at all"): refused(record_audit_event(payload="'not json'")),
        ("p_payload", "JSON `null`"): accepted(
            f"SELECT payload_hash LIKE '74234e98%' FROM ({record_audit_event(payload=JSON_NULL)}) r",
            f"SELECT payload_hash IS NULL FROM ({record_audit_event(payload='NULL')}) r"),
        ("p_payload_hash", "blank"): accepted(
            f"SELECT payload_hash IS NULL FROM ({record_audit_event(payload_hash=BLANK)}) r"),
    },
    "list_audit_events": {
        ("p_tenant", "NULL"): refused(list_audit_events(tenant="NULL")),
        ("p_surface, p_action_id, p_result_status, p_error_code", "outside the taxonomy (after trimming), or blank"):
            refused(list_audit_events(surface="'teams'"), list_audit_events(surface="' teams '"),
                    also=(list_audit_events(surface="' '"), list_audit_events(action_id="'my_tickets'"),
                          list_audit_events(result_status="''"), list_audit_events(error_code="'boom'"))),
        ("p_target_type, p_target_id", "blank"): refused(
            list_audit_events(target_type="' '"), also=(list_audit_events(target_id="''"),)),
        ("p_actor_user_id", "not a UUID"): refused(list_audit_events(actor_user_id="'abc'")),
        ("p_since, p_until", "not a timestamp, an offset out of range, an unknown time zone"): refused(also=(
            list_audit_events(since="'yesterday-ish'"), *(list_audit_events(until=value) for value in BAD_TIMESTAMPS))),
        ("p_since, p_until", "since after until"): refused(
            list_audit_events(since="now()", until="now() - interval '1 second'")),
        ("p_cursor", "anything list_deliveries refuses (see there)"): refused(also=tuple(
            list_audit_events(cursor=cursor) for cursor in (*MALFORMED_CURSORS, *MISSHAPEN_CURSORS,
                                                            checksummed_cursor("-999999999999999999", None,
                                                                               "audit_events")))),
        ("p_cursor", "issued by `list_deliveries`"): refused(list_audit_events(cursor=issued_cursor("deliveries"))),
        ("p_cursor", "issued for another tenant"): refused(
            list_audit_events(cursor=issued_cursor("audit_events", OTHER_TENANT))),
        ("p_limit", "NULL, 0, negative, above 200"): accepted(
            "SELECT count(*) FROM generate_series(1, 201) i,"
            f" LATERAL ({record_audit_event(target_id='i::text')}) r;"
            f" SELECT ({rows_listed(list_audit_events(limit='NULL'), 50)})"
            f" AND ({rows_listed(list_audit_events(limit='0'), 1)})"
            f" AND ({rows_listed(list_audit_events(limit='-1'), 1)})"
            f" AND ({rows_listed(list_audit_events(limit='201'), 200)})"),
    },
    "record_conversation_reference": {
        ("p_tenant", "NULL"): refused(record_reference(tenant="NULL")),
        ("p_activity_at", "`infinity`, `-infinity`, or before 0001-01-02 in UTC (`0001-01-01`, a BC date)"): refused(
            record_reference(at="'infinity'"),
            also=(record_reference(at="'-infinity'"), record_reference(at="'0001-01-01 23:59:59.999999Z'"),
                  record_reference(at="'0001-12-31Z BC'"))),
        ("p_activity_at", "more than an hour after `now()` (the reference keeps its newest activity, so one time far"
                          " ahead would hold it)"): refused(
            record_reference(at="'2126-01-01Z'"), also=(record_reference(at="now() + interval '61 minutes'"),)),
        ("p_activity_at", "NULL"): accepted(
            f"{record_reference(at='NULL')}; {stored_reference('last_activity_at = now()')}"),
        ("p_activity", "user id (`from.aadObjectId`, else `from.id`) longer than 256 characters after trimming"):
            refused(record_reference(activity(("{from,aadObjectId}", " " + "u" * 257))),
                    also=(record_reference(activity(("{from}", {"id": "u" * 257}))),)),
        ("p_activity", "`conversation.id` longer than 384 characters after trimming (with the user id it makes up the"
                       " primary key, whose entries may not exceed 2,704 bytes)"): refused(
            record_reference(activity(("{conversation,id}", "c" * 385)))),
        ("p_activity", "NULL, not an object, or no user id (`from.aadObjectId`, `from.id`), `conversation.id` or"
                       " `serviceUrl` (missing, blank, or not a JSON string)"): accepted(
            *(returns_and(f"SELECT NOT ({record_reference(refused_activity)})",
                          "NOT EXISTS (SELECT FROM teams_obs.conversation_references)")
              for refused_activity in (
                "NULL", jsonb([]), jsonb("x"), activity(("{from}", REMOVED)), activity(("{from,aadObjectId}", "  ")),
                activity(("{from,aadObjectId}", 5)), activity(("{conversation,id}", REMOVED)),
                activity(("{conversation,id}", "")), activity(("{serviceUrl}", REMOVED)),
                activity(("{serviceUrl}", True))))),
        ("p_activity", "`conversation.conversationType` missing, unknown or of another case (`GroupChat`)"): accepted(
            then(record_reference(activity(("{conversation}", {"id": "c1"}))),
                 record_reference(activity(("{conversation}", {"id": "c2", "conversationType": "x"}))),
                 record_reference(activity(("{conversation}", {"id": "c3", "conversationType": "GroupChat"}))),
                 stored_reference("count(*) = 3 AND bool_and(conversation_type = 'personal')"))),
        ("p_activity", "`channelId` missing"): accepted(then(
            record_reference(activity(("{channelId}", REMOVED))),
            stored_reference("channel_id_bot_framework = 'msteams'"))),
        ("p_activity", "older than the stored activity"): accepted(then(
            record_reference(activity(("{channelData}", REMOVED)), HOUR_AGO),
            returns_and(record_reference(activity(("{serviceUrl}", "https://s2"), ("{channelId}", "other"),
                                                  ("{conversation,conversationType}", "channel")),
                                         "now() - interval '2 hours'"),
                        stored_reference(f"last_activity_at = {HOUR_AGO} AND service_url = 'https://s1'"
                                         " AND conversation_type = 'personal' AND channel_id_bot_framework = 'msteams'"
                                         " AND tenant_id_aad = 'aad1'")))),
        ("p_activity", "`channelData.tenant.id` missing"): accepted(then(
            record_reference(at=HOUR_AGO), record_reference(activity(("{channelData}", {}))),
            stored_reference("tenant_id_aad = 'aad1' AND last_activity_at = now()"))),
    },
    "latest_conversation_reference, find_conversation_reference": {
        ("p_tenant", "NULL"): refused(
            "SELECT * FROM teams_obs.latest_conversation_reference(NULL, 'u1')",
            "SELECT * FROM teams_obs.find_conversation_reference(NULL, 'c1')"),
        ("p_microsoft_user_id", "NULL or blank"): refused(
            f"SELECT * FROM teams_obs.latest_conversation_reference({TENANT}, NULL)",
            f"SELECT * FROM teams_obs.latest_conversation_reference({TENANT}, ' ')"),
        ("p_conversation_type", "outside the taxonomy (case-sensitive)"): refused(
            f"SELECT * FROM teams_obs.latest_conversation_reference({TENANT}, 'u1', 'chat')",
            also=(f"SELECT * FROM teams_obs.latest_conversation_reference({TENANT}, 'u1', 'Personal')",)),
        ("p_conversation_type", "NULL"): accepted(
            then(record_reference(at=HOUR_AGO),
                 record_reference(activity(("{conversation}", {"id": "c2", "conversationType": "groupChat"}))),
                 f"SELECT conversation_id = 'c2' FROM teams_obs.latest_conversation_reference({TENANT}, 'u1', NULL)")),
        ("p_conversation_id", "NULL or blank"): refused(
            f"SELECT * FROM teams_obs.find_conversation_reference({TENANT}, NULL)",
            f"SELECT * FROM teams_obs.find_conversation_reference({TENANT}, ' ')"),
    },
    "delivery_health": {
        ("p_tenant", "NULL"): refused(delivery_health(tenant="NULL")),
        ("p_since", "NULL, or a time the recorders refuse: infinite, or before 0001-01-02 or from 9999-12-31 on in UTC"
                    " (`-infinity`, `infinity`, `9999-12-31`, a BC date): each day of the window is a row, for Python"
                    " to read"): refused(
            delivery_health(since="NULL"), delivery_health(since="'-infinity'"), delivery_health(since="'infinity'"),
            delivery_health(since="'9999-12-31 00:00:00+00'", until="'10000-01-01 00:00:00+00'"),
            delivery_health(since="'0001-01-01 23:59:59.999999+00'", until="'0001-01-03 00:00:00+00'"),
            delivery_health(since="'0001-12-31 23:00:00+00 BC'", until="'0001-01-02 00:00:00+00'")),
        ("p_until", "the same"): refused(
            delivery_health(until="NULL"), delivery_health(until="'-infinity'"), delivery_health(until="'infinity'"),
            delivery_health(since="'9999-12-30 00:00:00+00'", until="'9999-12-31 00:00:00+00'")),
        ("p_since, p_until", "since at or after until"): refused(
            delivery_health(since="now()", until="now()"), delivery_health(since="now()", until=HOUR_AGO)),
        ("p_since, p_until", "a window longer than 731 days"): refused(
            delivery_health(since="now() - interval '732 days'")),
    },
    "purge_tenant, purge_tenant_table": {
        ("p_tenant", "NULL"): refused(
            "SELECT * FROM teams_obs.purge_tenant(NULL)",
            "SELECT teams_obs.purge_tenant_table(NULL, 'teams_obs.audit_events')"),
        ("p_table_name (purge_tenant_table)", "NULL"): refused(f"SELECT teams_obs.purge_tenant_table({TENANT}, NULL)"),
        ("p_table_name (purge_tenant_table)",
         "anything but a name listed by `tenant_deletion_order()` (schema-qualified, as listed)"): refused(
            f"SELECT teams_obs.purge_tenant_table({TENANT}, 'audit_events')",
            f"SELECT teams_obs.purge_tenant_table({TENANT}, 'teams_obs.notification_deliveries_default')"),
    },
}

# Rows no call here can show, each with the reason.
PROSE_ONLY = {
    # No input is known to reach it: every refusal of canonical_json has its own row above.
    ("record_audit_event", "p_payload", "canonical_json fails for any other reason (none known)"),
    # Needs a committed expired partition and a second session holding its lock: it would write this module's
    # database. tests/test_cleanup.py::test_a_partition_locked_elsewhere_is_reported_busy_and_kept runs it.
    ("cleanup_notification_deliveries (and cleanup_audit_events, run_retention and their building blocks)", "—",
     "an expired partition still locked by another session after 5 attempts"),
}

ROWS = documented_rows(DOC.read_text())


def case_of(row: Row) -> Sql | Python | None:
    return CASES.get(row.section, {}).get((row.parameter, row.value))


@pytest.fixture(scope="module")
def doc_db(pg_cluster, teams_obs_template: str) -> Iterator[tuple[psycopg.Connection, str]]:
    """One database for the module: every SQL case rolls back, and the Python cases are refused before they
    write."""
    name = sql.Identifier("teams_obs_bad_input_doc")
    admin_execute(pg_cluster, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        name, sql.Identifier(teams_obs_template)))
    url = pg_cluster.url("teams_obs_bad_input_doc")
    try:
        # Messages show timestamps in the session's TimeZone; the doc writes them in UTC.
        with psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC") as conn:
            yield conn, url
    finally:
        admin_execute(pg_cluster, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def test_the_doc_is_parsed_into_rows():
    assert len(ROWS) > 100
    assert len({row.key for row in ROWS}) == len(ROWS), "two rows of one section share parameter and value"


def test_every_documented_row_has_a_case():
    documented = {row.key for row in ROWS}
    unmapped = [row.id for row in ROWS if case_of(row) is None and row.key not in PROSE_ONLY]
    stale = [(section, *key) for section, cases in CASES.items() for key in cases
             if (section, *key) not in documented]
    assert unmapped == [], "rows of docs/bad-input.md without a case in CASES"
    assert stale == [], "cases for rows no longer in docs/bad-input.md"
    assert documented >= PROSE_ONLY


@pytest.mark.parametrize("row", [row for row in ROWS if row.key not in PROSE_ONLY], ids=lambda row: row.id)
def test_the_documented_row_holds(row: Row, doc_db: tuple[psycopg.Connection, str]):
    case = case_of(row)
    if case is None:
        pytest.fail("no case in CASES (see test_every_documented_row_has_a_case)")
    observed = case.observe(*doc_db)
    assert {kind for kind, _ in observed} == row.outcomes, observed
    documented = pattern(row.quoted) if row.quoted is not None else None
    for kind, message in observed:
        if kind == ACCEPTED and message is not True:
            assert isinstance(message, str) and documented is not None, f"the check returned {message!r}"
        if isinstance(message, str) and documented is not None:
            assert documented.fullmatch(message), (row.quoted, message)
