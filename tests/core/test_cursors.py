"""The one keyset cursor codec (app/core/cursors.py)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from app.core.cursors import (
    MAX_PAGE,
    decode_cursor,
    decode_id_cursor,
    encode_cursor,
    encode_id_cursor,
    page_size,
)
from app.core.errors import ValidationFailed
from app.core.http import MAX_ROW_ID

NOON = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_cursor_round_trips_its_values():
    cursor = encode_cursor("q", NOON, -7, 42)
    assert decode_cursor("q", cursor, "time?", "int", "id") == (NOON, -7, 42)


def test_an_empty_optional_time_round_trips_as_none():
    cursor = encode_cursor("q", None, 0, 1)
    assert decode_cursor("q", cursor, "time?", "int", "id") == (None, 0, 1)


def test_a_cursor_is_url_safe_without_padding():
    cursor = encode_cursor("p", 10, NOON, 3)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_id_cursor_keeps_its_format():
    assert encode_id_cursor("n", 5) == b64("n5")
    assert decode_id_cursor("n", b64("n5")) == 5


def test_the_leads_cursor_keeps_its_format():
    cursor = b64(f"{NOON.isoformat()}|9")
    assert encode_cursor("", NOON, 9) == cursor
    assert decode_cursor("", cursor, "time", "id") == (NOON, 9)


@pytest.mark.parametrize(
    ("prefix", "cursor", "kinds"),
    [
        ("n", "not-a-cursor!", ("id",)),
        ("n", b64("l5"), ("id",)),  # another list's cursor
        ("n", b64("n0"), ("id",)),
        ("n", b64("n-5"), ("id",)),
        ("n", b64(f"n{MAX_ROW_ID + 1}"), ("id",)),
        ("n", b64("n５"), ("id",)),  # a full-width digit int() would accept
        ("n", b64("n 5"), ("id",)),
        ("q", b64("q|5"), ("time?", "int", "id")),  # one value short
        ("q", b64("q|5|6|7"), ("time?", "int", "id")),
        ("q", b64(f"q|{2**31 + 1}|6"), ("time?", "int", "id")),
        ("", b64("2026-11-24T08:00:00|5"), ("time", "id")),  # a naive time
        ("", b64("|5"), ("time", "id")),  # a required time left empty
        ("", b64("yesterday|5"), ("time", "id")),
        ("", base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), ("time", "id")),
    ],
)
def test_anything_but_our_cursor_is_a_400_naming_cursor(prefix, cursor, kinds):
    with pytest.raises(ValidationFailed) as caught:
        decode_cursor(prefix, cursor, *kinds)
    assert caught.value.message == "invalid cursor"
    assert set(caught.value.fields) == {"cursor"}


@pytest.mark.parametrize(
    ("asked", "given"), [(-3, 1), (0, 1), (1, 1), (50, 50), (200, 200), (10**6, 200)]
)
def test_page_size_holds_a_limit_between_one_and_max_page(asked, given):
    assert MAX_PAGE == 200
    assert page_size(asked) == given
