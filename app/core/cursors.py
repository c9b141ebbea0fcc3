"""Keyset paging: the opaque `next_cursor` of a list endpoint (docs/api.md "Lists").

A cursor is the sort key of a page's last row: its values joined by "|" behind a short prefix
naming the list, base64url-encoded without padding. The prefix makes a cursor from one list
refused by another instead of paging it from a wrong place. Anything that is not a cursor of
ours is a 400 naming `cursor`.

`decode_cursor` checks each value against its kind:
- "id": a row id (1 … MAX_ROW_ID);
- "int": a whole number that fits a 32-bit column (a score);
- "time": an ISO time with a time zone (a naive time cannot be compared with stored UTC);
- "time?": the same, or empty for NULL.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any, Literal

from app.core.errors import ValidationFailed
from app.core.http import MAX_ROW_ID

Kind = Literal["id", "int", "time", "time?"]
CursorValue = int | dt.datetime | None

# The most rows one page of a list holds, whatever `limit` asks for (docs/api.md "Lists").
MAX_PAGE = 200

_ID = re.compile(r"[1-9][0-9]{0,9}")
_INT = re.compile(r"-?[0-9]{1,10}")


def page_size(limit: int) -> int:
    """`limit` held between 1 and MAX_PAGE."""
    return max(1, min(limit, MAX_PAGE))


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed("invalid cursor", fields={"cursor": "use next_cursor as given"})


def encode_cursor(prefix: str, *values: CursorValue) -> str:
    parts = (
        "" if v is None else v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in values
    )
    raw = prefix + "|".join(parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(prefix: str, cursor: str, *kinds: Kind) -> tuple[Any, ...]:
    """The values of a cursor of list `prefix`, one per kind, or a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(prefix):
            raise ValueError(raw)
        parts = raw[len(prefix) :].split("|")
        if len(parts) != len(kinds):
            raise ValueError(raw)
        return tuple(_value(kind, part) for kind, part in zip(kinds, parts, strict=True))
    except (ValueError, UnicodeDecodeError):
        raise invalid_cursor() from None


def _value(kind: Kind, part: str) -> CursorValue:
    if kind == "id":
        if not _ID.fullmatch(part) or int(part) > MAX_ROW_ID:
            raise ValueError(part)
        return int(part)
    if kind == "int":
        if not _INT.fullmatch(part) or abs(int(part)) > 2**31:
            raise ValueError(part)
        return int(part)
    if kind == "time?" and part == "":
        return None
    value = dt.datetime.fromisoformat(part)
    if value.tzinfo is None:
        raise ValueError(part)
    return value


def encode_id_cursor(prefix: str, last_id: int) -> str:
    return encode_cursor(prefix, last_id)


def decode_id_cursor(prefix: str, cursor: str) -> int:
    """The last id a cursor of list `prefix` names, or 400."""
    (last_id,) = decode_cursor(prefix, cursor, "id")
    return int(last_id)
