"""Keyset paging by id, newest first: the opaque `next_cursor` of a list endpoint.

A cursor carries a one-letter prefix naming its list, so a cursor from one list is refused by
another instead of paging it from a wrong place. Anything that is not a cursor of ours is a
400 with a message (docs/api.md "Lists").
"""

from __future__ import annotations

import base64

from flask_babel import gettext as _

from app.core.errors import ValidationFailed
from app.core.http import MAX_ROW_ID


def encode_id_cursor(prefix: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{last_id}".encode()).decode().rstrip("=")


def decode_id_cursor(prefix: str, cursor: str) -> int:
    """The last id a cursor of list `prefix` names, or 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(prefix):
            raise ValueError(raw)
        value = int(raw[len(prefix) :])
        if not 0 < value <= MAX_ROW_ID + 1:
            raise ValueError(raw)
        return value
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            _("翻页游标无效"), fields={"cursor": _("请原样使用 next_cursor")}
        ) from None
