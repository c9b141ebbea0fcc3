"""Leads ask the WeChat domain for the customer-service window through the reader registered
at start-up (app.leads.activity.set_wechat_window_reader), never by importing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from app.leads import activity
from app.leads.models import Lead
from app.wechat.client import service_window


@pytest.fixture
def no_reader(app: Flask) -> Iterator[None]:
    activity.set_wechat_window_reader(None)
    yield
    activity.set_wechat_window_reader(service_window)


def test_the_app_registers_the_wechat_domains_reader(app: Flask) -> None:
    assert activity._window_reader is service_window


def test_without_a_reader_no_window_is_open(no_reader: None, lead: Lead) -> None:
    lead.wechat_openid = "o-prospect"
    window = activity.wechat_window(lead)
    assert (window.openid, window.is_open, window.expires_at, window.remaining) == (
        "o-prospect", False, None, 0,
    )  # fmt: skip


def test_the_readers_answer_is_the_leads_window(app: Flask, lead: Lead) -> None:
    lead.wechat_openid = "o-prospect"
    closes = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)

    class Open:
        is_open, expires_at, remaining, rule = True, closes, 2, "the rule"

    activity.set_wechat_window_reader(lambda openid, now: Open())
    try:
        window = activity.wechat_window(lead)
    finally:
        activity.set_wechat_window_reader(service_window)

    assert window == activity.WechatWindow("o-prospect", True, closes, 2, "the rule")
