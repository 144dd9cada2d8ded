"""The read functions against a Python model of their contract (SPEC §8 Reading, §4 Health), with Hypothesis.

- list_deliveries and list_audit_events: every filter in random combinations (text filters padded as
  callers send them, values no row holds included), since inclusive, until exclusive, any limit (clamped
  to 1..200), walked page by page with next_cursor: exactly the rows the model selects, created_at desc
  then id desc, none twice, next_cursor only on the last row of a full page and NULL exactly at the end.
- delivery_health: per UTC day of the window and for the whole window, counts by status and error code,
  success_rate = delivered / (delivered + failed) rounded to 4 places, and the percentiles (percentile_cont)
  of delivered_at - sent_at over the rows where both are set and delivered_at >= sent_at.
- record_conversation_reference in sequences with activities out of order and tied activity_at: the rows
  it stores, and what latest_conversation_reference and find_conversation_reference answer from them.
- Tenant isolation throughout: three tenants share every id and value, each answer holds only rows of the
  tenant asked for, and a cursor is refused for another tenant.

The examples are few (150 per list, 100 for health, 150 for conversations: about 20 s for the module), so
the generators are dense: a handful of distinct values and ids, created_at exactly on a partition bound, a
microsecond either side of it, an hour or a day off (rows tie, bounds fall on rows and UTC midnights), in
months outside the partitions (their rows sit in DEFAULT) and at the extremes the owner may store, bounds,
filter values and windows mostly taken from the asked tenant's own rows. Each property was seen to fail
against SQL broken the way it guards against (a cursor comparison <=, an exclusive since, an inclusive
until, a cursor on the last page, ties by id ascending, a filter on the wrong column, a cursor checksum
without the tenant, zero latencies dropped, the day of a midnight until included, days in the session's
time zone, skipped rows in the success rate, percentile_disc, window error codes lost, a tie that keeps
the older service URL, an older activity that does not fill tenant_id_aad, both lookups' ties reversed).

List and health rows are inserted as the owner: the model needs created_at at chosen instants, the
recorders stamp now(). Conversation references go through record_conversation_reference, the function
whose rules the model mirrors.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from teams_obs.partitions import add_months
from teams_obs.taxonomy import (
    AUDIT_ACTION_IDS,
    AUDIT_ERROR_CODES,
    AUDIT_RESULT_STATUSES,
    AUDIT_SURFACES,
    CONVERSATION_TYPES,
    DELIVERY_DESTINATION_TYPES,
    DELIVERY_ERROR_CODES,
    DELIVERY_STATUSES,
)

TENANTS = tuple(uuid.UUID(int=n * 0x1111) for n in range(1, 4))
# Most rows are the first tenant's: answers for it are long enough to span pages.
row_tenants = st.sampled_from(TENANTS[:1] * 3 + TENANTS[1:])
# Few ids, so one id recurs at several instants (a row's key is tenant, id, created_at) and ties in created_at
# are broken by ids in both orders.
IDS = tuple(uuid.UUID(int=(n * 0x9E3779B97F4A7C15) % (1 << 128)) for n in range(1, 9))
NOTIFICATIONS = tuple(uuid.UUID(int=0xABC0 + n) for n in range(3))
ACTORS = tuple(uuid.UUID(int=0xAC70 + n) for n in range(3))
ZONES = ("UTC", "Pacific/Kiritimati", "America/St_Johns")  # bounds and days are instants and UTC dates, not local
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The template's partitions are this month and the next 3 (in the database clock's month, which is this host's);
# rows before them and in the month after them land in DEFAULT.
THIS_MONTH = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
MONTHS = tuple(add_months(THIS_MONTH, n) for n in range(5))
# A partition bound (a UTC midnight), a microsecond either side of it, an hour or a day and an hour later, or a
# day earlier: about 35 distinct instants, so rows tie and fall on both sides of bounds and days.
instants = st.builds(lambda month, offset: month + offset, st.sampled_from(MONTHS),
                     st.sampled_from((-DAY, -US, 0 * US, 0 * US, US, HOUR, DAY + HOUR)))
# Only the owner can store these (the recorders stamp now()); cursors must carry them exactly too.
EXTREMES = ("-infinity", datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "infinity")
created_ats = st.one_of(instants, instants, instants, st.sampled_from(EXTREMES))
Stamp = datetime | str

# The database fixture is set up once for all examples of a property, each of which starts by emptying its tables.
PROPERTY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)


def clean(value: str | None) -> str | None:
    """Text as the functions take it, trimmed, blank as NULL. They trim JavaScript's whitespace, which str.strip()
    also strips for every padding drawn here."""
    return None if value is None else value.strip() or None


def position(stamp: Stamp) -> int | float:
    """Where a created_at sorts: microseconds since 1970, the infinities as ±inf."""
    if isinstance(stamp, str):
        return math.inf if stamp == "infinity" else -math.inf
    return (stamp - EPOCH) // US


def stored_position(epoch_microseconds: Decimal) -> int | float:
    """position() of extract(epoch FROM created_at) * 1000000, which is exact (numeric) and ±Infinity."""
    return int(epoch_microseconds) if epoch_microseconds.is_finite() else float(epoch_microseconds)


def as_parameter(stamp: Stamp | None) -> str | None:
    """A stamp as timestamptz text: an instant whatever the session's time zone, the infinities by name."""
    return stamp.isoformat() if isinstance(stamp, datetime) else stamp


def padded(value: object) -> st.SearchStrategy:
    """A filter value as a caller may send it: the functions trim text as the recorders do."""
    if isinstance(value, str):
        return st.sampled_from((value, f" {value}\u00a0", f"\t{value}\n"))
    return st.just(value)


def insert(db: psycopg.Connection, table: str, rows: list[dict], filler: dict[str, str]) -> None:
    """``rows`` as the owner, each with the columns ``filler`` gives as SQL expressions."""
    if not rows:
        return
    columns = list(rows[0])
    values = ["%s"] * len(columns) + list(filler.values())
    with db.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns + list(filler))}) VALUES ({', '.join(values)})",
                           [[as_parameter(row[c]) if c == "created_at" else row[c] for c in columns] for row in rows])


DELIVERY_FILLER = {"destination_id": "'x'", "idempotency_key": "gen_random_uuid()::text"}


# ------------------------------------------------------------------------------------------------ lists

@dataclass(frozen=True)
class Listing:
    function: str
    table: str
    id_column: str
    stored: dict[str, tuple]  # column -> the values rows take
    asked: dict[str, tuple]  # filter (p_<column>) -> the values a call asks for, one that no row holds among them
    filler: dict[str, str]

    def rows(self) -> st.SearchStrategy:
        columns = {"tenant": row_tenants, self.id_column: st.sampled_from(IDS),
                   "created_at": created_ats}
        columns.update({column: st.sampled_from(values) for column, values in self.stored.items()})
        rows = st.fixed_dictionaries(columns)
        if "result_status" in self.stored:  # an audit error code belongs to a failure
            rows = rows.map(lambda r: {**r, "error_code": None} if r["result_status"] == "success" else r)
        return rows

    def page_query(self) -> str:
        filters = "".join(f" p_{column} => %({column})s," for column in self.asked)
        return (f"SELECT t.tenant, t.{self.id_column} AS id, extract(epoch FROM t.created_at) * 1000000 AS at,"
                f" t.next_cursor FROM teams_obs.{self.function}(p_tenant => %(tenant)s,{filters}"
                " p_since => %(since)s::timestamptz, p_until => %(until)s::timestamptz, p_limit => %(limit)s,"
                " p_cursor => %(cursor)s) t")


DELIVERIES = Listing(
    "list_deliveries", "teams_obs.notification_deliveries", "delivery_id",
    stored={"status": DELIVERY_STATUSES, "category": ("alpha", "Alpha", "beta", None),
            "destination_type": DELIVERY_DESTINATION_TYPES[:3], "error_code": (*DELIVERY_ERROR_CODES[:2], None, None),
            "internal_notification_id": (*NOTIFICATIONS[:2], None)},
    asked={"status": DELIVERY_STATUSES, "category": ("alpha", "Alpha", "beta", "zzz"),
           "destination_type": DELIVERY_DESTINATION_TYPES[:4], "error_code": DELIVERY_ERROR_CODES[:3],
           "internal_notification_id": NOTIFICATIONS},
    filler=DELIVERY_FILLER)
AUDIT_EVENTS = Listing(
    "list_audit_events", "teams_obs.audit_events", "event_id",
    stored={"surface": AUDIT_SURFACES[:3], "action_id": AUDIT_ACTION_IDS[:3], "actor_user_id": (*ACTORS[:2], None),
            "result_status": AUDIT_RESULT_STATUSES, "target_type": ("ticket", "contact", None),
            "target_id": ("t1", "t2", None), "error_code": (*AUDIT_ERROR_CODES[:2], None)},
    asked={"surface": AUDIT_SURFACES[:4], "action_id": AUDIT_ACTION_IDS[:4], "actor_user_id": ACTORS,
           "result_status": AUDIT_RESULT_STATUSES, "target_type": ("ticket", "contact", "nope"),
           "target_id": ("t1", "t2"), "error_code": AUDIT_ERROR_CODES[:3]},
    filler={})


@dataclass
class ListCall:
    rows: list[dict]
    tenant: uuid.UUID
    filters: dict[str, object]  # column -> the value asked for (None: no filter)
    sent: dict[str, object]  # the same, as sent
    since: Stamp | None
    until: Stamp | None
    limit: int | None
    zone: str


def asked_tenant(draw: st.DrawFn, rows: list[dict]) -> tuple[uuid.UUID, list[dict]]:
    """A tenant to ask for, as likely as its share of the rows, and its rows: the other tenants' rows are there to
    stay out of the answers."""
    tenant = draw(st.sampled_from([r["tenant"] for r in rows]))
    return tenant, [r for r in rows if r["tenant"] == tenant]


@st.composite
def list_calls(draw: st.DrawFn, listing: Listing) -> ListCall:
    drawn = draw(st.lists(listing.rows(), min_size=25, max_size=60))
    rows = list({(r["tenant"], r[listing.id_column], position(r["created_at"])): r for r in drawn}.values())  # keys
    tenant, own = asked_tenant(draw, rows)

    def value(column: str) -> object:
        """Mostly a value of one of the tenant's rows, so that few answers are empty."""
        held = [r[column] for r in own if r[column] is not None]
        return draw(st.one_of(st.sampled_from(listing.asked[column]), *[st.sampled_from(held)] * 2 if held else []))

    # No filter, one or two: more would leave hardly a row to page through.
    active = draw(st.sets(st.sampled_from(tuple(listing.asked)), max_size=2))
    filters = {column: value(column) if column in active else None for column in listing.asked}
    # Mostly none or on one of the tenant's rows, where an off-by-one bound shows.
    bounds = st.one_of(st.none(), st.none(), created_ats, *[st.sampled_from([r["created_at"] for r in own])] * 2)
    return ListCall(rows=rows, tenant=tenant, filters=filters,
                    sent={column: draw(padded(value)) for column, value in filters.items()},
                    since=draw(bounds), until=draw(bounds),
                    limit=draw(st.sampled_from((None, -1, 0, 1, 2, 2, 3, 3, 5, 200))),
                    zone=draw(st.sampled_from(ZONES)))


def newest_first(rows: list[dict], id_column: str) -> list[tuple[uuid.UUID, int | float]]:
    return sorted(((r[id_column], position(r["created_at"])) for r in rows),
                  key=lambda key: (key[1], key[0]), reverse=True)


def selected(call: ListCall) -> list[dict]:
    """The model of a list's filters: exact matches, since inclusive, until exclusive, one tenant."""
    return [r for r in call.rows
            if r["tenant"] == call.tenant
            and all(value is None or r[column] == value for column, value in call.filters.items())
            and (call.since is None or position(r["created_at"]) >= position(call.since))
            and (call.until is None or position(r["created_at"]) < position(call.until))]


def walk(db: psycopg.Connection, query: str, params: dict, limit: int | None, expected: int) -> list[dict]:
    """Every row of every page, following next_cursor from the first page until it is NULL."""
    page_size = min(max(50 if limit is None else limit, 1), 200)
    rows: list[dict] = []
    cursor = None
    while True:
        page = db.execute(query, {**params, "cursor": cursor}).fetchall()
        assert page or cursor is None, "a next_cursor led to an empty page"
        assert len(page) <= page_size
        assert all(row["next_cursor"] is None for row in page[:-1]), "a next_cursor before a page's last row"
        rows += page
        # A cursor that does not move on would page forever: stop once more rows came than there are.
        assert len(rows) <= expected, "more rows than the model selects"
        if not page or page[-1]["next_cursor"] is None:
            return rows
        assert len(page) == page_size, "a next_cursor after a short page"
        if cursor is None:
            other = TENANTS[(TENANTS.index(params["tenant"]) + 1) % len(TENANTS)]
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="checksum mismatch"):
                db.execute(query, {**params, "tenant": other, "cursor": page[-1]["next_cursor"]})
        cursor = page[-1]["next_cursor"]


@pytest.mark.parametrize("listing", [DELIVERIES, AUDIT_EVENTS], ids=lambda listing: listing.function)
@settings(PROPERTY, max_examples=150)
@given(data=st.data())
def test_a_list_walked_page_by_page_answers_what_the_model_selects(db: psycopg.Connection, listing: Listing,
                                                                   data: st.DataObject) -> None:
    call = data.draw(list_calls(listing))
    db.row_factory = dict_row
    db.execute(f"TRUNCATE {listing.table}")
    insert(db, listing.table, call.rows, listing.filler)
    db.execute("SELECT set_config('TimeZone', %s, false)", [call.zone])
    params = {**call.sent, "tenant": call.tenant, "since": as_parameter(call.since),
              "until": as_parameter(call.until), "limit": call.limit}
    if call.since is not None and call.until is not None and position(call.since) > position(call.until):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"since: .* is after until"):
            db.execute(listing.page_query(), {**params, "cursor": None})
        return
    expected = newest_first(selected(call), listing.id_column)
    got = walk(db, listing.page_query(), params, call.limit, len(expected))
    assert {row["tenant"] for row in got} <= {call.tenant}
    assert [(row["id"], stored_position(row["at"])) for row in got] == expected


# ----------------------------------------------------------------------------------------------- health

@st.composite
def health_rows(draw: st.DrawFn) -> dict:
    created_at = draw(instants)
    # Latencies of zero (a sample), of a microsecond either way (a negative one is clock skew, not a sample), and
    # with enough spread for the percentiles to interpolate; delivered_at without sent_at too.
    sent = draw(st.sampled_from((None, -US, 0 * US, timedelta(seconds=1))))
    latency = draw(st.one_of(st.none(), st.sampled_from((0, 0, 0, -1, 1, 1500, 86400 * 10**6 + 7)),
                             st.integers(-10**7, 5 * 10**10)))
    sent_at = None if sent is None else created_at + sent
    return {"tenant": draw(row_tenants), "status": draw(st.sampled_from(DELIVERY_STATUSES)),
            "error_code": draw(st.sampled_from((*DELIVERY_ERROR_CODES[:3], None, None))), "created_at": created_at,
            "sent_at": sent_at, "delivered_at": None if latency is None else (sent_at or created_at) + latency * US}


@st.composite
def health_windows(draw: st.DrawFn, stamps: list[datetime]) -> tuple[datetime, datetime]:
    """[since, until) from a row, a microsecond to days before one, or a month, to a row or a month (exactly or a
    microsecond later), or after a microsecond, about a day, a month or 200 days."""
    on_rows = st.sampled_from(stamps)
    since = draw(st.one_of(on_rows, st.sampled_from(MONTHS),
                           st.builds(lambda at, back: at - back * US, on_rows, st.integers(0, 3 * 86400 * 10**6))))
    ends = sorted({at + nudge for at in (*stamps, *MONTHS) for nudge in (0 * US, US) if at + nudge > since})
    lengths = st.sampled_from([US, DAY - US, DAY, DAY + US, 31 * DAY, 200 * DAY]).map(since.__add__)
    return since, draw(st.one_of(lengths, *[st.sampled_from(ends)] * 2 if ends else []))


def percentile(values: list[int], fraction: Fraction) -> Fraction:
    """percentile_cont: interpolated between the two values around position fraction * (n - 1)."""
    values = sorted(values)
    at = fraction * (len(values) - 1)
    low = math.floor(at)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (at - low)


def summary(day: date | None, rows: list[dict]) -> dict:
    statuses = Counter(r["status"] for r in rows)
    decided = statuses["delivered"] + statuses["failed"]
    # round(numeric, 4) rounds half away from zero; the rate is never negative.
    rate = (None if decided == 0
            else Fraction(math.floor(Fraction(statuses["delivered"], decided) * 10**4 + Fraction(1, 2)), 10**4))
    latencies = [(r["delivered_at"] - r["sent_at"]) // US for r in rows
                 if r["sent_at"] is not None and r["delivered_at"] is not None and r["delivered_at"] >= r["sent_at"]]
    return {"day": day, "total": len(rows), **{status: statuses[status] for status in DELIVERY_STATUSES},
            "error_codes": dict(Counter(r["error_code"] for r in rows if r["error_code"] is not None)),
            "success_rate": rate, "latency_samples": len(latencies),
            "latency_p50": percentile(latencies, Fraction(1, 2)) if latencies else None,
            "latency_p95": percentile(latencies, Fraction(19, 20)) if latencies else None}


def health_model(rows: list[dict], tenant: uuid.UUID, since: datetime, until: datetime) -> list[dict]:
    """One summary per UTC day the window touches (days without rows too), then one for the whole window."""
    window = [r for r in rows if r["tenant"] == tenant and since <= r["created_at"] < until]
    first, last = since.astimezone(UTC).date(), (until - US).astimezone(UTC).date()
    days = [first + n * DAY for n in range((last - first).days + 1)]
    return ([summary(day, [r for r in window if r["created_at"].astimezone(UTC).date() == day]) for day in days]
            + [summary(None, window)])


@settings(PROPERTY, max_examples=100)
@given(data=st.data())
def test_delivery_health_answers_what_the_model_computes(db: psycopg.Connection, data: st.DataObject) -> None:
    rows = data.draw(st.lists(health_rows(), min_size=25, max_size=60))
    tenant, own = asked_tenant(data.draw, rows)
    since, until = data.draw(health_windows([r["created_at"] for r in own]))
    zone = data.draw(st.sampled_from(ZONES))
    db.row_factory = dict_row
    db.execute("TRUNCATE teams_obs.notification_deliveries")
    insert(db, "teams_obs.notification_deliveries", rows, {**DELIVERY_FILLER, "destination_type": "'chat'"})
    db.execute("SELECT set_config('TimeZone', %s, false)", [zone])
    got = db.execute("SELECT * FROM teams_obs.delivery_health(%s, %s, %s)", [tenant, since, until]).fetchall()
    expected = health_model(rows, tenant, since, until)
    assert [row["day"] for row in got] == [row["day"] for row in expected]
    for have, want in zip(got, expected, strict=True):
        for field in ("latency_p50", "latency_p95"):
            latency, model = have.pop(field), want.pop(field)
            # percentile_cont interpolates intervals in floating point: within a microsecond of the exact value.
            assert (latency is None) == (model is None), (want["day"], field, latency, model)
            assert model is None or abs(latency / US - model) <= 1, (want["day"], field, latency, model)
        if have["success_rate"] is not None:
            have["success_rate"] = Fraction(have["success_rate"])
        assert have == want


# ------------------------------------------------------------------------------ conversation references

# Mostly a few keys recorded again and again, at tied or close times in any order, so that the ordering rules
# decide; sometimes a field blank, padded or missing, so a call writes nothing or must trim. "u1" is both an
# AAD id and a from.id, so the two sources meet in one key.
activities = st.fixed_dictionaries({
    "tenant": st.sampled_from(TENANTS[:1] * 3 + TENANTS[1:2]),
    "aad": st.sampled_from(("u1", "u1", "u2", " u1 ", "", None)),
    "from_id": st.sampled_from(("29:u1", "u1", None)),
    "conversation": st.sampled_from(("a:1", "a:1", "a:2", "b", " b\u3000", "", None)),
    "type": st.sampled_from((*CONVERSATION_TYPES, "Channel", "weird", None)),
    "service_url": st.sampled_from(("https://s1/", "https://s2/") * 2 + (" ", None)),
    "tenant_id_aad": st.sampled_from(("aad-1", "aad-2", None, None)),
    "channel": st.sampled_from(("msteams", "emulator", None)),
    "at": st.builds(lambda seconds, nudge: datetime(2026, 5, 1, tzinfo=UTC) + timedelta(seconds=seconds) + nudge * US,
                    st.integers(0, 2), st.sampled_from((0, 0, 1))),
})
USERS = ("u1", "u2", "29:u1", " u1\t")  # as callers ask: trimmed like the recorder trims
CONVERSATIONS = ("a:1", "a:2", "b", "\u00a0b ")


def activity_document(activity: dict) -> Jsonb:
    """The Bot Framework activity carrying the drawn fields; a None field is left out."""
    def present(**fields: object) -> dict:
        return {key: value for key, value in fields.items() if value is not None}

    return Jsonb(present(
        **{"from": present(aadObjectId=activity["aad"], id=activity["from_id"]) or None},
        conversation=present(id=activity["conversation"], conversationType=activity["type"]),
        serviceUrl=activity["service_url"], channelId=activity["channel"],
        channelData=None if activity["tenant_id_aad"] is None else {"tenant": {"id": activity["tenant_id_aad"]}}))


def record_in_model(model: dict, activity: dict) -> bool:
    """What record_conversation_reference stores: the newest activity (a tie: the later call) wins, an older one
    may only fill a tenant_id_aad still unknown, a newer one without it keeps the known one."""
    user, conversation = clean(activity["aad"]) or clean(activity["from_id"]), clean(activity["conversation"])
    service_url = clean(activity["service_url"])
    if user is None or conversation is None or service_url is None:
        return False
    key = (activity["tenant"], user, conversation)
    new = {"conversation_type": activity["type"] if activity["type"] in CONVERSATION_TYPES else "personal",
           "service_url": service_url, "tenant_id_aad": activity["tenant_id_aad"],
           "channel_id_bot_framework": activity["channel"] or "msteams", "last_activity_at": activity["at"]}
    old = model.get(key)
    if old is None:
        model[key] = new
    elif new["last_activity_at"] >= old["last_activity_at"]:
        model[key] = {**new, "tenant_id_aad": new["tenant_id_aad"] or old["tenant_id_aad"]}
    else:
        old["tenant_id_aad"] = old["tenant_id_aad"] or new["tenant_id_aad"]
    return True


@settings(PROPERTY, max_examples=150)
@given(sequence=st.lists(activities, min_size=5, max_size=25))
def test_conversation_references_answer_what_the_model_keeps(db: psycopg.Connection, sequence: list[dict]) -> None:
    db.execute("TRUNCATE teams_obs.conversation_references")
    model: dict[tuple, dict] = {}
    for activity in sequence:
        recorded = db.execute("SELECT teams_obs.record_conversation_reference(%s, %s, %s)",
                              [activity["tenant"], activity_document(activity), activity["at"]]).fetchone()[0]
        assert recorded == record_in_model(model, activity), activity
    columns = ("conversation_type", "service_url", "tenant_id_aad", "channel_id_bot_framework", "last_activity_at")
    stored = db.execute(f"SELECT tenant, microsoft_user_id, conversation_id, {', '.join(columns)}"
                        " FROM teams_obs.conversation_references").fetchall()
    assert {tuple(row[:3]): dict(zip(columns, row[3:], strict=True)) for row in stored} == model

    # Every lookup in one statement each; a None type asks for any type.
    latest = db.execute(
        "SELECT t, u, c, r.tenant, r.last_activity_at, r.conversation_id"
        "  FROM unnest(%s::uuid[]) t, unnest(%s::text[]) u, unnest(%s::text[]) c"
        "  LEFT JOIN LATERAL teams_obs.latest_conversation_reference(t, u, c) r ON true",
        [list(TENANTS), list(USERS), [*CONVERSATION_TYPES, None]]).fetchall()
    assert len(latest) == len(TENANTS) * len(USERS) * (len(CONVERSATION_TYPES) + 1)
    for tenant, user, conversation_type, *answer in latest:
        candidates = [(ref["last_activity_at"], conversation) for (t, u, conversation), ref in model.items()
                      if (t, u) == (tenant, clean(user))
                      and conversation_type in (None, ref["conversation_type"])]
        # Newest activity first, a tie by conversation id, highest first.
        expected = [tenant, *max(candidates)] if candidates else [None, None, None]
        assert answer == expected, (tenant, user, conversation_type)

    found = db.execute(
        "SELECT t, c, r.tenant, r.last_activity_at, r.microsoft_user_id"
        "  FROM unnest(%s::uuid[]) t, unnest(%s::text[]) c,"
        "       LATERAL teams_obs.find_conversation_reference(t, c) WITH ORDINALITY r"
        " ORDER BY t, c, r.ordinality", [list(TENANTS), list(CONVERSATIONS)]).fetchall()
    for tenant in TENANTS:
        for conversation in CONVERSATIONS:
            # Newest activity first, a tie by user id, lowest first.
            want = sorted(((tenant, ref["last_activity_at"], u) for (t, u, c), ref in model.items()
                           if (t, c) == (tenant, clean(conversation))),
                          key=lambda row: (-position(row[1]), row[2]))
            got = [tuple(row[2:]) for row in found if row[:2] == (tenant, conversation)]
            assert got == want, (tenant, conversation)
