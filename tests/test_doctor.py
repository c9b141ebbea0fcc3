"""`parklead doctor`: each check's verdict and fix, and the exit status an operator's script
reads. WeChat and 企业微信 credentials are checked against their fakes over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app import doctor
from app.devtools.fake_channels import FakeChannelsServer
from app.devtools.fake_server import FakeWechatServer
from app.doctor import Finding, Level


@pytest.fixture
def settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def _set(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return _set


def only(findings: Iterator[Finding]) -> Finding:
    (finding,) = list(findings)
    return finding


@pytest.mark.parametrize(
    ("key", "level"),
    [
        ("testing-only-not-secret", Level.FAIL),
        ("short-key", Level.FAIL),
        ("a" * 40, Level.FAIL),
        ("Zr8pQ2mX5vK9wL3nB7cT1yH4jF6gD0sAeUoIq", Level.OK),
    ],
)
def test_secret_key_strength(app, settings, key, level):
    settings(SECRET_KEY=key)

    finding = only(doctor.check_secret_key())

    assert finding.level is level
    assert (finding.fix != "") is (level is Level.FAIL)


@pytest.mark.parametrize(
    ("today", "level", "says"),
    [
        (dt.date(2026, 3, 1), Level.OK, "none yet for 2027"),  # too early to expect it
        (dt.date(2026, 12, 4), Level.WARN, "none yet for 2027"),
        (dt.date(2027, 1, 4), Level.FAIL, "no holiday data for 2027"),
        (dt.date(2025, 12, 4), Level.OK, "data for 2025 and 2026"),
    ],
)
def test_holiday_data_years(app, today, level, says):
    finding = only(doctor.check_holidays(today))

    assert finding.level is level
    assert says in finding.message


def test_wechat_credentials_are_tried_against_the_api(app, settings):
    with FakeWechatServer() as wechat:
        settings(WECHAT_API_BASE_URL=wechat.url, WECHAT_TEMPLATE_LEAD_ASSIGNED="t1")
        settings(WECHAT_TEMPLATE_NOTICE="t2")

        findings = list(doctor.check_wechat())

        assert [f.level for f in findings] == [Level.OK]
        assert wechat.requests("/cgi-bin/getcallbackip")


def test_a_wrong_wechat_secret_fails_with_what_to_fix(app, settings):
    with FakeWechatServer(secret="the-real-one") as wechat:
        settings(WECHAT_API_BASE_URL=wechat.url)

        finding = next(f for f in doctor.check_wechat() if f.level is Level.FAIL)

    assert "40125" in finding.message
    assert finding.fix == "WECHAT_APP_SECRET is wrong"


def test_each_configured_channel_is_checked(app, settings):
    with FakeChannelsServer() as fakes:
        settings(**fakes.settings())

        findings = {f.check: f for f in doctor.check_channels()}

        assert fakes.token_fetches == 1  # 企业微信's credentials were tried
    assert {name: f.level for name, f in findings.items()} == {
        "wecom_app": Level.OK,
        "wecom_robot": Level.OK,
        "dingtalk_robot": Level.OK,
        "sms": Level.OK,
    }


def test_a_wrong_wecom_secret_and_half_settings_fail(app, settings):
    with FakeChannelsServer() as fakes:
        settings(**fakes.settings())
        settings(WECOM_SECRET="wrong", DINGTALK_ROBOT_SECRET=None)

        findings = {f.check: f for f in doctor.check_channels()}

    assert findings["wecom_app"].level is Level.FAIL
    assert "40001" in findings["wecom_app"].message
    assert findings["dingtalk_robot"].level is Level.FAIL
    assert "DINGTALK_ROBOT_SECRET" in findings["dingtalk_robot"].message


def test_no_channel_at_all_is_a_warning(app, settings):
    settings(WECHAT_TEMPLATE_LEAD_ASSIGNED=None, SMTP_HOST=None)

    assert [f.level for f in doctor.check_channels()] == [Level.WARN]


def test_exit_status_fails_on_failures_and_on_warnings_when_strict():
    warn = [Finding("a", Level.OK, ""), Finding("b", Level.WARN, "")]
    fail = [*warn, Finding("c", Level.FAIL, "")]

    assert doctor.exit_status(warn) == 0
    assert doctor.exit_status(warn, strict=True) == 1
    assert doctor.exit_status(fail) == 1


def test_agents_who_chose_an_unconfigured_channel_are_named(app, settings, make_agent):
    from app.core.db import db

    agent = make_agent("wu")
    agent.notify_channels = ["sms", "email"]
    db.session.commit()
    settings(SMTP_HOST="127.0.0.1", SMS_PROVIDER=None)

    (finding,) = doctor.check_agent_channels()

    assert finding.level is Level.WARN
    assert "chose sms" in finding.message
    assert "wu" in finding.message
