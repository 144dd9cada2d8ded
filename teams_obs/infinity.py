"""Loaders for the timestamps PostgreSQL holds and Python's datetime cannot: 'infinity' and '-infinity'. The
recorders refuse them, but the owner may store them (a far-off clock's row lands in DEFAULT), and psycopg's
own loaders would then fail every page that holds one (DataError, not a row)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any

from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader

# timestamptz's binary form: microseconds since 2000-01-01 as an int64, whose two extremes are the infinities
_INFINITY = struct.pack("!q", 2**63 - 1)
_MINUS_INFINITY = struct.pack("!q", -(2**63))
LATEST = datetime.max.replace(tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)


class InfinityBinaryLoader(TimestamptzBinaryLoader):
    """The client's: the infinities as the latest and the earliest datetime, which sort as they do."""

    def load(self, data: Any) -> datetime:
        if data == _INFINITY:
            return LATEST
        if data == _MINUS_INFINITY:
            return EARLIEST
        return super().load(data)


class InfinityTextLoader(TimestamptzLoader):
    """The CLI's: the infinities as the words the server writes, which a table or --json shows as they are."""

    def load(self, data: Any) -> datetime | str:  # type: ignore[override]
        if data in (b"infinity", b"-infinity"):
            return bytes(data).decode()
        return super().load(data)
