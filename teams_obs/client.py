"""A typed client over the SQL interface (SPEC §8), sync and async, on psycopg_pool pools.

Every method is one ``SELECT * FROM teams_obs.<function>(p_name => value, ...)``: the database does the
work, the client only names the parameters and types the answer. ``never_raise=True`` is for hot paths
where observability must never break the business operation (as the original recorders did): a failed
call logs one warning (never the payload) and returns the neutral value ``None`` (``False`` for
conversation references). JSON arguments are encoded before any round trip, so one that cannot be sent
(NaN, an object ``json`` cannot encode) is an ``InvalidArgument`` naming the field, never a half-sent call;
so is text given for a uuid that is no UUID.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool

log = logging.getLogger("teams_obs")
# What a failed call returns under never_raise when it is not None.
_NEUTRAL = {"record_conversation_reference": False}


class InvalidArgument(ValueError):
    """An argument the client cannot send, refused before any round trip as the database refuses bad input."""

    sqlstate = "22023"


def _typed_value(value: Any) -> Any:
    """JSON for the typed values a row or an activity may hold (its columns are uuid, timestamptz, ...)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The uuid parameters of the SQL interface. Sent as text, a value that is no UUID would be refused by
# PostgreSQL's uuid input (22P02) before the function runs, in a message that names no parameter (inside
# record_deliveries' rows the function itself names the element and key).
_UUID_PARAMETERS = frozenset({"tenant", "internal_notification_id", "actor_user_id"})


def _uuid(field: str, value: Any) -> Any:
    """Text given for a uuid as a UUID, or InvalidArgument naming ``field``; any other value unchanged."""
    if not isinstance(value, str):
        return value
    try:
        return UUID(value)
    except ValueError:
        raise InvalidArgument(f'{field}: invalid value "{value[:100]}"; expected a UUID') from None


def _json(field: str, value: Any, wrapper: type[Json] | type[Jsonb], *, typed: bool = True) -> Json | Jsonb:
    """``value`` encoded now, or InvalidArgument naming ``field`` (the message never quotes the value's text).

    ``typed=False`` for the audit payload: it is hashed as the JSON it is, so nothing is converted.
    """
    try:
        text = json.dumps(value, allow_nan=False, default=_typed_value if typed else None)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{field}: {exc}") from exc
    return wrapper(text, dumps=str)


@dataclass(frozen=True)
class RecordedDelivery:
    inserted: bool
    delivery_id: UUID
    idempotency_key: str
    created_at: datetime


@dataclass(frozen=True)
class RecordedAuditEvent:
    event_id: UUID
    payload_hash: str | None
    created_at: datetime


@dataclass(frozen=True)
class Page:
    """One page of a list function; pass ``next_cursor`` back to get the next one (None: no more)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class _Call:
    """A function call in named notation, and how to shape its rows."""

    function: str
    params: Mapping[str, Any]
    shape: str  # "delivery" | "audit" (a dataclass), "rows", "first", "page", "scalar"

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", {name: _uuid(name, value) if name in _UUID_PARAMETERS else value
                                            for name, value in self.params.items()})

    def query(self) -> sql.Composed:
        arguments = sql.SQL(", ").join(
            sql.SQL("{} => {}").format(sql.Identifier(f"p_{name}"), sql.Placeholder(name))
            for name in self.params
        )
        return sql.SQL("SELECT * FROM teams_obs.{}({})").format(sql.Identifier(self.function), arguments)

    def values(self) -> dict[str, Any]:
        return dict(self.params)

    def shape_rows(self, rows: list[dict[str, Any]]) -> Any:
        if self.shape == "rows":
            return rows
        if self.shape == "first":
            return rows[0]
        if self.shape == "scalar":
            return next(iter(rows[0].values()))
        if self.shape == "page":
            return Page([{k: v for k, v in r.items() if k != "next_cursor"} for r in rows],
                        rows[-1]["next_cursor"] if rows else None)
        cls = {"delivery": RecordedDelivery, "audit": RecordedAuditEvent}[self.shape]
        return cls(**rows[0])


def _given(**optional: Any) -> dict[str, Any]:
    """Optional arguments the caller gave; the others keep the SQL function's defaults."""
    return {name: value for name, value in optional.items() if value is not None}


def _calls():
    """The SQL interface, written once for both clients."""

    def record_delivery(tenant, destination_type, destination_id, status, **fields) -> _Call:
        return _Call("record_delivery", {"tenant": tenant, "destination_type": destination_type,
                                         "destination_id": destination_id, "status": status, **_given(**fields)},
                     "delivery")

    def record_deliveries(tenant, rows: Sequence[Mapping[str, Any]]) -> _Call:
        return _Call("record_deliveries", {"tenant": tenant, "rows": _json("rows", list(rows), Jsonb)}, "rows")

    def record_audit_event(tenant, surface, action_id, result_status, *, payload: Any = None,
                           **fields) -> _Call:
        wrapped = None if payload is None else _json("payload", payload, Json, typed=False)
        return _Call("record_audit_event", {"tenant": tenant, "surface": surface, "action_id": action_id,
                                            "result_status": result_status,
                                            **_given(payload=wrapped, **fields)},
                     "audit")

    def record_conversation_reference(tenant, activity: Mapping[str, Any],
                                      activity_at: datetime | None = None) -> _Call:
        return _Call("record_conversation_reference",
                     {"tenant": tenant, "activity": _json("activity", activity, Jsonb),
                      **_given(activity_at=activity_at)},
                     "scalar")

    def list_deliveries(tenant, **filters) -> _Call:
        return _Call("list_deliveries", {"tenant": tenant, **_given(**filters)}, "page")

    def list_audit_events(tenant, **filters) -> _Call:
        return _Call("list_audit_events", {"tenant": tenant, **_given(**filters)}, "page")

    def latest_conversation_reference(tenant, microsoft_user_id, conversation_type="personal") -> _Call:
        return _Call("latest_conversation_reference", {"tenant": tenant, "microsoft_user_id": microsoft_user_id,
                                                        "conversation_type": conversation_type}, "rows")

    def find_conversation_reference(tenant, conversation_id) -> _Call:
        return _Call("find_conversation_reference", {"tenant": tenant, "conversation_id": conversation_id}, "rows")

    def graph_status_error(http_status: int | None) -> _Call:
        """(error_code, retryable) for a Graph HTTP status; None for a request that threw."""
        return _Call("graph_status_error", {"http_status": http_status}, "first")

    def delivery_health(tenant, since: datetime | None = None, until: datetime | None = None) -> _Call:
        return _Call("delivery_health", {"tenant": tenant, **_given(since=since, until=until)}, "rows")

    return {f.__name__: f for f in (record_delivery, record_deliveries, record_audit_event,
                                    record_conversation_reference, list_deliveries, list_audit_events,
                                    latest_conversation_reference, find_conversation_reference,
                                    graph_status_error, delivery_health)}


CALLS = _calls()


class _Base:
    def __init__(self, never_raise: bool):
        self.never_raise = never_raise

    def _failed(self, function: str, exc: psycopg.Error | InvalidArgument) -> Any:
        if not self.never_raise:
            raise exc
        # The message names the field and SQLSTATE; it never carries an audit payload (SPEC §5).
        log.warning("teams_obs.%s failed [%s]: %s", function, exc.sqlstate, str(exc).splitlines()[0])
        return _NEUTRAL.get(function)



def _with_calls(cls: type[_Base]) -> type[_Base]:
    """Give a client one method per SQL function, with the factory's signature and docs."""
    for name, factory in CALLS.items():
        def method(self, *args, _factory=factory, **kwargs):
            return self._run(_factory.__name__, functools.partial(_factory, *args, **kwargs))

        setattr(cls, name, functools.update_wrapper(method, factory))
    return cls


@_with_calls
class Client(_Base):
    """Synchronous client: ``Client(ConnectionPool(url))`` or ``Client.connect(url)``."""

    def __init__(self, pool: ConnectionPool, *, never_raise: bool = False):
        super().__init__(never_raise)
        self.pool = pool

    @classmethod
    def connect(cls, url: str, *, never_raise: bool = False, **pool_options) -> Client:
        return cls(ConnectionPool(url, open=True, **pool_options), never_raise=never_raise)

    def _run(self, function: str, make_call: Callable[[], _Call]) -> Any:
        try:
            call = make_call()
            with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                rows = cursor.execute(call.query(), call.values()).fetchall()
        except (psycopg.Error, InvalidArgument) as exc:
            return self._failed(function, exc)
        return call.shape_rows(rows)

    def close(self) -> None:
        self.pool.close()


@_with_calls
class AsyncClient(_Base):
    """Asynchronous client over an ``AsyncConnectionPool``; the same methods, awaited."""

    def __init__(self, pool: AsyncConnectionPool, *, never_raise: bool = False):
        super().__init__(never_raise)
        self.pool = pool

    async def _run(self, function: str, make_call: Callable[[], _Call]) -> Any:
        try:
            call = make_call()
            async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(call.query(), call.values())
                rows = await cursor.fetchall()
        except (psycopg.Error, InvalidArgument) as exc:
            return self._failed(function, exc)
        return call.shape_rows(rows)
