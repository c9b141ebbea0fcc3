"""The one formatter of stored UTC times in the office's time zone (app.core.i18n.localtime)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from app.core.i18n import localtime

_app = Flask(__name__)
_app.config["TIMEZONE"] = "Asia/Shanghai"

LATE_UTC = dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)  # Friday 01:30 in Beijing


@pytest.fixture(autouse=True)
def _context():
    with _app.app_context():
        yield


def test_localtime_writes_beijing_time_by_default():
    assert localtime(LATE_UTC) == "2026-12-04 01:30"


def test_localtime_takes_a_format():
    assert localtime(LATE_UTC, "%Y-%m-%d %H:%M %a") == "2026-12-04 01:30 Fri"


def test_localtime_converts_any_aware_time():
    eight_hours_east = dt.timezone(dt.timedelta(hours=8))
    assert localtime(dt.datetime(2026, 12, 4, 1, 30, tzinfo=eight_hours_east)) == "2026-12-04 01:30"


def test_localtime_follows_the_configured_time_zone():
    _app.config["TIMEZONE"] = "Europe/Berlin"
    try:
        assert localtime(LATE_UTC) == "2026-12-03 18:30"
    finally:
        _app.config["TIMEZONE"] = "Asia/Shanghai"


def test_no_time_is_a_dash_unless_told_otherwise():
    assert localtime(None) == "—"
    assert localtime(None, empty="") == ""
