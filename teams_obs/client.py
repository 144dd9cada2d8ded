"""A typed client over the SQL interface (SPEC §8), sync and async, on psycopg_pool pools.

Every method is one ``SELECT * FROM teams_obs.<function>(p_name => value, ...)``: the database does the
work, the client only names the parameters and types the answer. Each function is declared once below, as
a Python signature with the SPEC §8 parameter names without ``p_`` (teams_obs.sql_function), so both
clients take exactly those names and types: an unknown keyword or a value of the wrong Python type
(``limit="abc"``) is a ``TypeError`` naming it, raised before anything is sent. A value of the right type
that cannot be sent (text for a uuid that is no UUID, JSON with NaN) is an ``InvalidArgument`` naming the
field, never a half-sent call.

``never_raise=True`` is for hot paths where observability must never break the business operation (as the
original recorders did): a call that the database refuses or fails (SQLSTATE, outage, pool timeout), or
whose argument value cannot be sent, logs one warning (never the payload) and returns the neutral value
``None`` (``False`` for conversation references). Static checkers see that: such a client is a
``Client[None]`` (``AsyncClient[None]``), whose results may be None, where another is a plain ``Client``
(teams_obs/client_methods.pyi). Mistakes in the calling code still raise in that mode,
because they fail every call alike and swallowing them would lose every record quietly: ``TypeError`` and
``PoolClosed`` (a call through a pool the caller closed or never opened). A datetime without tzinfo is such
a mistake (``TypeError``): the server would read it in its session's TimeZone.

Results are read in binary format, so the session's DateStyle and IntervalStyle (set by the server, the
database, the role, ``PGDATESTYLE`` or the URL's ``options``) do not matter: psycopg parses timestamps and
intervals in text only in the ISO and postgres styles, and raises ``NotImplementedError`` (no
``psycopg.Error``, so never_raise would not apply) on any other. This holds for a pool of the caller's too.
A stored 'infinity' or '-infinity' is read as the latest or the earliest datetime (teams_obs.infinity), where
psycopg would fail the whole page.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Never, Self, TypeVar, overload
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolClosed

from teams_obs.infinity import InfinityBinaryLoader
from teams_obs.sql_function import Call, InvalidArgument, JsonDocument, Page, Row, SqlFunction, Uuid

if TYPE_CHECKING:
    # The methods _with_calls attaches, as stubs rendered from the declarations below for static checkers,
    # generic in what a failed call returns besides each declared type (Neutral: None under never_raise).
    from teams_obs.client_methods import AsyncCalls, Neutral, SyncCalls
else:
    class SyncCalls:
        """At run time the clients have no stub base (_with_calls attaches the methods), so that
        ``class Client(_Base, SyncCalls[Neutral])`` is ``class Client(_Base)`` as far as their MRO goes."""

        def __class_getitem__(cls, neutral: object) -> type:
            return object

    AsyncCalls = SyncCalls
    Neutral = None

__all__ = ["CALLS", "NEVER_RAISE_POOL_TIMEOUT", "AsyncClient", "Client", "InvalidArgument", "Page",
           "RecordedAuditEvent", "RecordedDelivery"]

log = logging.getLogger("teams_obs")
# What a failed call returns under never_raise when it is not None (the stubs type it as the declared type).
_NEUTRAL = {"record_conversation_reference": False}
# How long a call waits for a pooled connection under never_raise unless connect() is told otherwise:
# psycopg_pool's 30 s would hold every hot-path call that long during a database outage before it
# returns the neutral value; a healthy pool hands out a connection in milliseconds.
NEVER_RAISE_POOL_TIMEOUT = 2.0


def neutral_result(function: str) -> Any:
    """What a failed call of ``function`` returns under never_raise."""
    return _NEUTRAL.get(function)


# The Python types of the json/jsonb parameters.
DeliveryRows = Annotated[Sequence[Mapping[str, Any]], JsonDocument(Jsonb, container=Sequence, instants=True)]
Activity = Annotated[Mapping[str, Any], JsonDocument(Jsonb)]
# Hashed as the JSON it is (RFC 8785), so nothing in it is converted, and here: only the hash is sent.
Payload = Annotated[Any, JsonDocument(Json, typed=False, hashed_into="payload_hash")]


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


@SqlFunction
def record_delivery(tenant: Uuid, destination_type: str, destination_id: str, status: str, *,
                    internal_notification_id: Uuid | None = None, category: str | None = None,
                    attempt_number: int | None = None, error_code: str | None = None,
                    error_message: str | None = None, retryable: bool | None = None,
                    provider_message_id: str | None = None, provider_request_id: str | None = None,
                    sent_at: datetime | None = None, delivered_at: datetime | None = None,
                    responded_at: datetime | None = None, nonce: str | None = None) -> RecordedDelivery:
    """Record one delivery outcome, idempotently: a repeat gives ``inserted=False`` and the original row."""


@SqlFunction
def record_deliveries(tenant: Uuid, rows: DeliveryRows) -> list[Row]:
    """Record many outcomes in one call; ``rows`` are dicts of record_delivery's parameters but tenant."""


@SqlFunction
def record_audit_event(tenant: Uuid, surface: str, action_id: str, result_status: str, *,
                       actor_user_id: Uuid | None = None, microsoft_user_id: str | None = None,
                       target_type: str | None = None, target_id: str | None = None,
                       idempotency_key: str | None = None, payload: Payload = None,
                       payload_hash: str | None = None, error_code: str | None = None) -> RecordedAuditEvent:
    """Record one executed Teams mutation. ``payload`` is the parsed JSON value (dict, list, ...): the client
    sends only its RFC 8785 hash, computed here. For raw JSON text pass
    ``payload_hash=teams_obs.jcs.payload_hash(text)``."""


@SqlFunction
def record_conversation_reference(tenant: Uuid, activity: Activity, activity_at: datetime | None = None) -> bool:
    """Upsert the conversation reference of a parsed Bot Framework activity; False when it lacks one."""


@SqlFunction
def list_deliveries(tenant: Uuid, *, status: str | None = None, category: str | None = None,
                    destination_type: str | None = None, error_code: str | None = None,
                    internal_notification_id: Uuid | None = None, since: datetime | None = None,
                    until: datetime | None = None, limit: int | None = None, cursor: str | None = None) -> Page:
    """One page of the tenant's deliveries, newest first."""


@SqlFunction
def list_audit_events(tenant: Uuid, *, surface: str | None = None, action_id: str | None = None,
                      actor_user_id: Uuid | None = None, result_status: str | None = None,
                      target_type: str | None = None, target_id: str | None = None,
                      since: datetime | None = None, until: datetime | None = None, limit: int | None = None,
                      cursor: str | None = None, error_code: str | None = None) -> Page:
    """One page of the tenant's audit events, newest first."""


@SqlFunction
def latest_conversation_reference(tenant: Uuid, microsoft_user_id: str,
                                  conversation_type: str | None = "personal") -> list[Row]:
    """The user's most recently active conversation reference of that type (None: any); [] if none."""


@SqlFunction
def find_conversation_reference(tenant: Uuid, conversation_id: str) -> list[Row]:
    """The references of one conversation, newest activity first; [] if unknown."""


@SqlFunction
def graph_status_error(http_status: int | None) -> Row:
    """(error_code, retryable) for a Graph HTTP status; None for a request that threw."""


@SqlFunction
def delivery_health(tenant: Uuid, since: datetime | None = None, until: datetime | None = None) -> list[Row]:
    """Per UTC day of [since, until) and then the whole window (``day`` None); default the last 7 days."""


@SqlFunction
def maintenance_status() -> list[Row]:
    """Per partitioned table: its monthly partitions, months of them ahead, rows waiting in DEFAULT."""


CALLS: dict[str, SqlFunction] = {function.__name__: function for function in (
    record_delivery, record_deliveries, record_audit_event, record_conversation_reference, list_deliveries,
    list_audit_events, latest_conversation_reference, find_conversation_reference, graph_status_error,
    delivery_health, maintenance_status)}


class _Base:
    # Client[None] in an annotation that is evaluated at run time, as for list[int]: static checkers see the
    # clients as generic (through their stub bases), while at run time they are not.
    def __class_getitem__(cls, neutral: object) -> types.GenericAlias:
        return types.GenericAlias(cls, neutral)

    def __init__(self, pool: ConnectionPool[Any] | AsyncConnectionPool[Any], *, never_raise: bool = False,
                 timeout: float | None = None):
        """``timeout``: seconds a call waits for a pooled connection before it fails (logged and None under
        never_raise); default NEVER_RAISE_POOL_TIMEOUT (2 s) under never_raise, else the pool's own
        (psycopg_pool's default: 30 s)."""
        self.pool = pool
        self.never_raise = never_raise
        self.timeout = NEVER_RAISE_POOL_TIMEOUT if timeout is None and never_raise else timeout

    def _failed(self, function: str, exc: psycopg.Error | InvalidArgument) -> Any:
        # A closed pool is the caller's bug (it closed what it still calls through), not an outage.
        if not self.never_raise or isinstance(exc, PoolClosed):
            raise exc
        # The message names the field and SQLSTATE (the error class when there is none, as for a pool
        # timeout); it never carries an audit payload (SPEC §5).
        log.warning("teams_obs.%s failed [%s]: %s", function, exc.sqlstate or type(exc).__name__,
                    str(exc).splitlines()[0])
        return neutral_result(function)


def _autocommit(pool_options: dict[str, Any]) -> dict[str, Any]:
    """Every call is one statement, so autocommit makes it its own transaction without the BEGIN and COMMIT
    round trips, and on Citus a call outside a transaction block is the one delegated to the tenant's worker
    (README, "On Citus")."""
    return {**pool_options, "kwargs": {"autocommit": True, **(pool_options.get("kwargs") or {})}}


def _method(function: SqlFunction) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(function.__name__, functools.partial(function, *args, **kwargs))

    functools.update_wrapper(method, function)
    # With self first, inspect.signature() of a bound method drops self, not tenant.
    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__signature__ = function.signature.replace(
        parameters=[self_parameter, *function.signature.parameters.values()])
    return method


# Typed as giving back its class, so a checker that applies class decorators still sees Client, not _Base.
_Client = TypeVar("_Client", bound=type[_Base])


def _with_calls(cls: _Client) -> _Client:
    """Give a client one method per SQL function, with its declaration's signature and docs."""
    for name, function in CALLS.items():
        setattr(cls, name, _method(function))
    return cls


@_with_calls
class Client(_Base, SyncCalls[Neutral]):
    """Synchronous client: ``with Client.connect(url) as obs:``, or ``Client(pool)`` on a ConnectionPool.

    The client owns its pool: ``close()`` and the end of the ``with`` block close it. For static checkers a
    never_raise client is a ``Client[None]``: each result that a failed call makes None may be None.
    """

    pool: ConnectionPool[Any]

    # The row type of the pool does not matter: every call reads its rows as dicts.
    @overload
    def __init__(self: Client[Never], pool: ConnectionPool[Any], *, never_raise: Literal[False] = False,
                 timeout: float | None = None) -> None: ...

    @overload
    def __init__(self: Client[None], pool: ConnectionPool[Any], *, never_raise: bool,
                 timeout: float | None = None) -> None: ...

    def __init__(self, pool: ConnectionPool[Any], *, never_raise: bool = False, timeout: float | None = None):
        super().__init__(pool, never_raise=never_raise, timeout=timeout)

    @overload
    @classmethod
    def connect(cls, url: str, *, never_raise: Literal[False] = False, timeout: float | None = None,
                **pool_options: Any) -> Client[Never]: ...

    @overload
    @classmethod
    def connect(cls, url: str, *, never_raise: bool, timeout: float | None = None,
                **pool_options: Any) -> Client[None]: ...

    @classmethod
    def connect(cls: type[Client[Any]], url: str, *, never_raise: bool = False, timeout: float | None = None,
                **pool_options: Any) -> Client[Any]:
        """A client on a new open pool (``pool_options``: psycopg_pool's, such as min_size, max_size; its
        connections are in autocommit unless ``kwargs`` says otherwise); ``never_raise`` and ``timeout`` as for
        ``Client(pool)``."""
        return cls(ConnectionPool(url, open=True, **_autocommit(pool_options)), never_raise=never_raise,
                   timeout=timeout)

    def __enter__(self) -> Self:
        self.pool.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.close()

    def _run(self, function: str, make_call: Callable[[], Call]) -> Any:
        try:
            call = make_call()
            with self.pool.connection(self.timeout) as conn, conn.cursor(binary=True, row_factory=dict_row) as cursor:
                cursor.adapters.register_loader("timestamptz", InfinityBinaryLoader)
                rows = cursor.execute(call.query(), call.values()).fetchall()
        except (psycopg.Error, InvalidArgument) as exc:
            return self._failed(function, exc)
        return call.shape_rows(rows)


@_with_calls
class AsyncClient(_Base, AsyncCalls[Neutral]):
    """Asynchronous client, the same methods awaited: ``async with await AsyncClient.connect(url) as obs:``,
    or ``AsyncClient(pool)`` on an AsyncConnectionPool. The client owns its pool, and a never_raise client is
    an ``AsyncClient[None]``, as for Client."""

    pool: AsyncConnectionPool[Any]

    @overload
    def __init__(self: AsyncClient[Never], pool: AsyncConnectionPool[Any], *,
                 never_raise: Literal[False] = False, timeout: float | None = None) -> None: ...

    @overload
    def __init__(self: AsyncClient[None], pool: AsyncConnectionPool[Any], *, never_raise: bool,
                 timeout: float | None = None) -> None: ...

    def __init__(self, pool: AsyncConnectionPool[Any], *, never_raise: bool = False,
                 timeout: float | None = None):
        super().__init__(pool, never_raise=never_raise, timeout=timeout)

    @overload
    @classmethod
    async def connect(cls, url: str, *, never_raise: Literal[False] = False, timeout: float | None = None,
                      **pool_options: Any) -> AsyncClient[Never]: ...

    @overload
    @classmethod
    async def connect(cls, url: str, *, never_raise: bool, timeout: float | None = None,
                      **pool_options: Any) -> AsyncClient[None]: ...

    @classmethod
    async def connect(cls: type[AsyncClient[Any]], url: str, *, never_raise: bool = False,
                      timeout: float | None = None, **pool_options: Any) -> AsyncClient[Any]:
        """A client on a new open pool; the options as for ``Client.connect``."""
        pool = AsyncConnectionPool(url, open=False, **_autocommit(pool_options))
        await pool.open()
        return cls(pool, never_raise=never_raise, timeout=timeout)

    async def __aenter__(self) -> Self:
        await self.pool.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.pool.close()

    async def _run(self, function: str, make_call: Callable[[], Call]) -> Any:
        try:
            call = make_call()
            async with self.pool.connection(self.timeout) as conn, \
                    conn.cursor(binary=True, row_factory=dict_row) as cursor:
                cursor.adapters.register_loader("timestamptz", InfinityBinaryLoader)
                await cursor.execute(call.query(), call.values())
                rows = await cursor.fetchall()
        except (psycopg.Error, InvalidArgument) as exc:
            return self._failed(function, exc)
        return call.shape_rows(rows)
