"""RFC 8785 (JCS) canonical JSON and the audit payload hash, byte-identical to ``teams_obs.canonical_json``
and ``teams_obs.payload_hash`` in the database.

The ``rfc8785`` package writes the canonical form; this module reads the JSON text under the same policy as
the SQL side (deploy/canonical_json.sql) and refuses the same documents with the same message:

* numbers are IEEE doubles, as in JavaScript: every number is parsed as a float (an integer beyond 2^53 is
  the nearest double, an underflowing one is 0); one that rounds to infinity is refused;
* duplicate keys, ``\\u0000`` (PostgreSQL text cannot hold it) and lone surrogates are refused.

A refusal names the JSON path of the first problem in document order (``$.a.b[2]: duplicate key "x"``);
only key names appear in it, never a value. Names are cut to 100 characters in messages.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

import rfc8785

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_SURROGATE = re.compile("[\ud800-\udfff]")
NAME_LIMIT = 100

_Json = None | bool | float | str | list["_Json"] | dict[str, "_Json"]


class CanonicalJSONError(ValueError):
    """A document RFC 8785 or PostgreSQL cannot take; ``path`` locates it, ``str()`` is the SQL message."""

    def __init__(self, path: str, problem: str, *, names_a_key: bool = False):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.names_a_key = names_a_key  # the problem quotes a key name: payload content


class _Members(list):
    """An object's members in document order, duplicates included (json's object_pairs_hook)."""


def _quote(text: str) -> str:
    return rfc8785.dumps(text).decode()


def _path_step(name: str) -> str:
    return f".{name}" if _IDENTIFIER.fullmatch(name) else f".{_quote(name[:NAME_LIMIT])}"


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "\\u0000, which PostgreSQL cannot store"
    if _SURROGATE.search(text):
        return "a lone surrogate"
    return None


def _refuse_constant(name: str) -> float:
    raise CanonicalJSONError("$", f"invalid JSON: {name} is not a JSON value")


def _checked(value: object, path: str) -> _Json:
    """The value with objects as dicts, after the refusals, checked in document order."""
    if isinstance(value, _Members):
        result: dict[str, _Json] = {}
        for name, member in value:
            if problem := _string_problem(name):
                raise CanonicalJSONError(path, f"object key contains {problem}")
            if name in result:
                raise CanonicalJSONError(path, f"duplicate key {_quote(name[:NAME_LIMIT])}", names_a_key=True)
            result[name] = _checked(member, path + _path_step(name))
        return result
    if isinstance(value, list):
        return [_checked(element, f"{path}[{index}]") for index, element in enumerate(value)]
    if isinstance(value, str) and (problem := _string_problem(value)):
        raise CanonicalJSONError(path, f"string contains {problem}")
    if isinstance(value, float) and math.isinf(value):
        raise CanonicalJSONError(path, "number is outside the IEEE 754 double range")
    return value  # type: ignore[return-value]


def parse(text: str | bytes) -> _Json:
    """The JSON document, numbers as floats, after the refusals (CanonicalJSONError)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalJSONError("$", f"invalid JSON: not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text, object_pairs_hook=_Members, parse_float=float, parse_int=float,
                              parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise CanonicalJSONError("$", f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    return _checked(document, "$")


def canonical_bytes(text: str | bytes) -> bytes:
    """The RFC 8785 canonical form of a JSON text in UTF-8: the bytes the payload hash is taken of."""
    try:
        return rfc8785.dumps(parse(text))
    except RecursionError:
        # Parsing and writing recurse per level: a refusal like the others, not a crash of the caller.
        raise CanonicalJSONError("$", "nested deeper than the Python side can walk (about 500 levels of "
                                      "arrays); teams_obs.payload_hash in the database has no such limit") from None


def canonical_json(text: str | bytes) -> str:
    """The RFC 8785 canonical form of a JSON text, as ``teams_obs.canonical_json`` returns it."""
    return canonical_bytes(text).decode()


def payload_hash(text: str | bytes) -> str:
    """Lowercase hex SHA-256 of the UTF-8 canonical form, as ``teams_obs.payload_hash`` returns it."""
    return hashlib.sha256(canonical_bytes(text)).hexdigest()
