"""Service messages worded for people (app/core/messages.py, docs/i18n.md)."""

from __future__ import annotations

import re

import pytest
from flask_babel import refresh

from app.core import messages

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("must be 0 or more", "不能小于 0"),
        ("must be greater than 0", "应大于 0"),
        ("at most 200 characters", "最多 200 个字符"),
        ("is not a valid Chinese mobile or landline number", "不是有效的手机号或座机号"),
        ("must be one of: land, factory", "请从列表中选择"),
        ("is not a field of this endpoint", "不是可以提交的字段"),
        ("may have at most 2 decimal places", "最多 2 位小数"),
        ("at least 10 characters", "至少 10 个字符"),
        ("0..86400", "应在 0 到 86400 之间"),
        ("something no pattern knows", "填写有误"),
    ],
)
def test_field_messages_read_in_chinese(app, english, chinese):
    with app.test_request_context("/?lang=zh"):
        refresh()
        assert messages.field_text(english) == chinese


def test_an_unknown_field_message_stays_as_written_in_english(app):
    with app.test_request_context("/?lang=en"):
        refresh()
        assert messages.field_text("something no pattern knows") == "something no pattern knows"
        assert messages.field_text("must be 0 or more") == "Must not be less than 0"


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("validation_error", "some fields are not valid", 400),
        ("stale_version", "someone else changed this lead meanwhile", 409),
        ("never_seen_code", "an English sentence", 409),
        ("http_error", "I'm a teapot", 418),
    ],
)
def test_every_error_reads_in_chinese(app, code, message, status):
    with app.test_request_context("/?lang=zh"):
        refresh()
        worded = messages.error_text(code, message, status)
    assert HAN.search(worded)
    assert not re.search(r"[A-Za-z]{3,}", worded)


def test_domains_register_the_wording_of_their_codes(app, monkeypatch):
    monkeypatch.setattr(messages, "_CODES", dict(messages._CODES))
    messages.register_codes({"teapot": lambda: "茶壶"})
    with app.test_request_context("/?lang=zh"):
        refresh()
        assert messages.error_text("teapot", "I'm a teapot", 418) == "茶壶"
