"""A function of the SQL interface declared as a Python function: its signature (the SQL parameter names
without ``p_``, their Python types and defaults) and return type are the SQL function's, and calling it
checks the arguments and gives the ``Call`` to execute, so no list of names or types is written twice.

Two kinds of mistake, told apart because never_raise swallows only the second:

* the calling code's: an unknown keyword, a missing argument, a value of the wrong Python type, JSON text
  where the parsed value belongs, a datetime without a time zone (also inside a JSON document: the server
  would read it in its session's TimeZone, a silently shifted instant). ``TypeError``, the same on every
  call, so it is fixed once in the code;
* a value of the right type that cannot be sent: text for a uuid that is no UUID, JSON ``json`` cannot
  encode (NaN, a Decimal inside a payload). ``InvalidArgument``, like the database's own refusal of bad data.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Json, Jsonb

from teams_obs import jcs

Row = dict[str, Any]
# A uuid parameter takes a UUID or its text (parsed here).
Uuid = UUID | str


# Why a datetime without tzinfo is refused: sent as a timestamp without time zone (or as JSON text without an
# offset), the server would read it in its session's TimeZone, which the client does not know.
NAIVE_DATETIME = "a datetime without tzinfo is ambiguous; give one with a time zone, e.g. datetime.now(UTC)"
NAIVE_DATE = "a date names no instant (midnight in the server's TimeZone); give a datetime with a time zone"


class InvalidArgument(ValueError):
    """An argument the client cannot send, refused before any round trip as the database refuses bad input."""

    sqlstate = "22023"


@dataclass(frozen=True)
class JsonDocument:
    """Marks a json/jsonb parameter (``Annotated[<its shape>, JsonDocument(...)]``). Its content is data, so
    what cannot be encoded is an InvalidArgument; str or bytes is the caller's mistake: raw JSON text would
    be sent as one JSON string value."""

    wrapper: type[Json] | type[Jsonb]
    # False for a document hashed as the JSON it is: UUIDs and datetimes are not made strings behind its back.
    typed: bool = True
    # True for a document whose datetimes the database reads as timestamps (a batch's rows): one that names
    # no instant (naive, or a date) would be read in the server session's TimeZone, so it is refused.
    instants: bool = False
    # The class the calling code builds the top level as (a batch's list of rows), so anything else is its
    # mistake; None where the top level is data too (a request body as parsed).
    container: type | None = None
    # The parameter that gets the document's RFC 8785 SHA-256 instead of the document (the audit payload:
    # never sent, so it cannot reach the server's log, which may print every bind parameter).
    hashed_into: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list function; pass ``next_cursor`` back to get the next one (None: no more)."""

    rows: list[Row]
    next_cursor: str | None


def _typed_value(value: Any) -> Any:
    """JSON for the typed values a row or an activity may hold (its columns are uuid, timestamptz, ...)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _naive(value: Any) -> str | None:
    """Why a value names no instant, or None: a datetime without tzinfo, or one that gives no UTC offset
    (Python's "naive"), or a date (sent as an ISO date, which the server reads as local midnight)."""
    if isinstance(value, datetime):
        return NAIVE_DATETIME if value.utcoffset() is None else None
    return NAIVE_DATE if isinstance(value, date) else None


def _naive_instant_in(document: Any) -> tuple[str, str] | None:
    """Where a JSON document first holds a value that names no instant (``[0]['sent_at']``), and why; or
    None. Iterative, and each container visited once, so a deep or circular document is left to the encoder
    to refuse."""
    stack: list[tuple[str, Any]] = [("", document)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        if (why := _naive(value)) is not None:
            return path, why
        if isinstance(value, Mapping | list | tuple) and id(value) not in seen:
            seen.add(id(value))
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            stack.extend(reversed([(f"{path}[{key!r}]", item) for key, item in items]))
    return None


def _uuid(field: str, text: str) -> UUID:
    """Text given for a uuid as a UUID. Sent as text, bad text would be refused by PostgreSQL's uuid input
    (22P02) before the function runs, in a message that names no parameter."""
    try:
        return UUID(text)
    except ValueError:
        raise InvalidArgument(f'{field}: invalid value "{text[:100]}"; expected a UUID') from None


def _json(field: str, value: Any, document: JsonDocument) -> Json | Jsonb | str:
    """``value`` encoded now (or its hash, see ``hashed_into``), or InvalidArgument naming ``field`` (the
    message never quotes the value's text)."""
    try:
        text = json.dumps(value, allow_nan=False, default=_typed_value if document.typed else None)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidArgument(f"{field}: {exc}") from exc
    if document.hashed_into is None:
        return document.wrapper(text, dumps=str)
    try:
        return jcs.payload_hash(text)
    except jcs.CanonicalJSONError as exc:
        if exc.path == "$" and not exc.names_a_key:  # the document as a whole: nothing of the payload to show
            raise InvalidArgument(f"{field}: refused, {exc.problem}") from None
        raise InvalidArgument(f"{field}: refused, RFC 8785 or PostgreSQL cannot take it; the position is not "
                              f"shown (key names are payload content), teams_obs.jcs.payload_hash names it") from None


@dataclass(frozen=True)
class _Parameter:
    """What a parameter's type annotation says about its values, worked out once per declaration."""

    name: str
    classes: tuple[type, ...]  # what a scalar takes: ``UUID | str | None`` gives UUID, str, NoneType
    document: JsonDocument | None

    @classmethod
    def of(cls, name: str, hint: Any) -> _Parameter:
        document = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, JsonDocument)), None)
        return cls(name, typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,), document)

    def check(self, function: str, value: Any) -> None:
        """TypeError for a value the calling code got wrong; None is always sent (NULL: the SQL function decides)."""
        if value is None:
            return
        if self.document:
            if isinstance(value, str | bytes):
                raise TypeError(f"{function}() argument {self.name} takes the parsed JSON value (dict, list, ...), "
                                f"not JSON text")
            if self.document.container and not isinstance(value, self.document.container):
                raise TypeError(f"{function}() argument {self.name} must be {self.document.container.__name__}, "
                                f"not {type(value).__name__}")
            if self.document.instants and (naive := _naive_instant_in(value)) is not None:
                raise TypeError(f"{function}() argument {self.name}{naive[0]}: {naive[1]}")
            return
        # isinstance(True, int) holds, yet PostgreSQL calls have no bool-to-integer cast: limit=True is a mistake.
        if not isinstance(value, self.classes) or (isinstance(value, bool) and bool not in self.classes):
            expected = " or ".join(cls.__name__ for cls in self.classes if cls is not types.NoneType)
            raise TypeError(f"{function}() argument {self.name} must be {expected}, not {type(value).__name__}")
        if (why := _naive(value)) is not None:  # sent without a zone: read in the server session's TimeZone
            raise TypeError(f"{function}() argument {self.name}: {why}")

    @property
    def sent_as(self) -> str:
        """The SQL parameter (without ``p_``) the value is sent to."""
        return (self.document and self.document.hashed_into) or self.name

    def encode(self, value: Any) -> Any:
        """The value as it is sent: JSON encoded, uuid text parsed (InvalidArgument when it cannot be)."""
        if value is None:
            return None
        if self.document:
            return _json(self.name, value, self.document)
        if isinstance(value, str) and UUID in self.classes:
            return _uuid(self.name, value)
        return value


def _shaper(result: Any) -> Callable[[list[Row]], Any]:
    """How the rows of a call become the result its declaration promises."""
    if result is Page:
        return lambda rows: Page([{k: v for k, v in r.items() if k != "next_cursor"} for r in rows],
                                 rows[-1]["next_cursor"] if rows else None)
    if dataclasses.is_dataclass(result):
        return lambda rows: result(**rows[0])
    if typing.get_origin(result) is list:
        return lambda rows: rows
    if typing.get_origin(result) is dict:
        return lambda rows: rows[0]
    return lambda rows: next(iter(rows[0].values()))  # a scalar


@dataclass(frozen=True)
class Call:
    """A function call in named notation, and how to shape its rows."""

    function: str
    params: Mapping[str, Any]
    shape_rows: Callable[[list[Row]], Any]

    def query(self) -> sql.Composed:
        arguments = sql.SQL(", ").join(
            sql.SQL("{} => {}").format(sql.Identifier(f"p_{name}"), sql.Placeholder(name))
            for name in self.params
        )
        return sql.SQL("SELECT * FROM teams_obs.{}({})").format(sql.Identifier(self.function), arguments)

    def values(self) -> dict[str, Any]:
        return dict(self.params)


class SqlFunction:
    """Decorates a declaration (a docstring for a body) named after its SQL function in schema teams_obs;
    its return annotation says how the rows are shaped (a dataclass from the first row, ``Page``,
    ``list[Row]``, the first ``Row``, or else the first column of the first row)."""

    def __init__(self, declaration: Callable[..., Any]):
        functools.update_wrapper(self, declaration)
        self.signature = inspect.signature(declaration)
        hints = typing.get_type_hints(declaration, include_extras=True)
        self.shape_rows = _shaper(hints.pop("return"))
        self._parameters = {name: _Parameter.of(name, hint) for name, hint in hints.items()}
        # None given for one of these means the SQL function's own default (now(), attempt 1, limit 50, ...),
        # so it is not sent; for any other parameter (a required one, conversation_type) it is sent as NULL.
        self._none_is_default = frozenset(name for name, parameter in self.signature.parameters.items()
                                          if parameter.default is None)

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        name = self.__name__
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}() {exc}; its parameters: {', '.join(self.signature.parameters)}") from None
        # What is not given is not sent either: the SQL function's default applies.
        given = {param: value for param, value in bound.arguments.items()
                 if value is not None or param not in self._none_is_default}
        for param, value in given.items():  # every mistake of the calling code before any value it cannot send
            self._parameters[param].check(name, value)
        sent: dict[str, Any] = {}
        for param, value in given.items():
            into = self._parameters[param].sent_as
            if into != param and given.get(into) is not None:
                raise InvalidArgument(f"{into}: give the {param} or its precomputed hash, not both")
            sent[into] = self._parameters[param].encode(value)
        return Call(name, sent, self.shape_rows)
