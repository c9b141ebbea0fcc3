"""The fake channels (app/devtools/fake_channels.py): what they refuse, as the real services
do, and PARKLEAD_FAKE_CHANNELS_URL, which points the demo at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app import create_app
from app.devtools.fake_channels import FakeChannelsServer
from tests.support import make_app


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeChannelsServer]:
    with FakeChannelsServer() as server:
        yield server


def test_wecom_token_needs_the_corp_id_and_secret(fakes):
    url = f"{fakes.root_url}/wecom/cgi-bin/gettoken"
    wrong = requests.get(url, params={"corpid": "ww0000000000000000", "corpsecret": "x"}, timeout=5)
    unknown = requests.get(url, params={"corpid": "nobody", "corpsecret": "x"}, timeout=5)

    assert wrong.json()["errcode"] == 40001
    assert unknown.json()["errcode"] == 40013


def test_an_unsigned_dingtalk_request_is_refused(fakes):
    response = requests.post(
        f"{fakes.root_url}/dingtalk/robot/send",
        params={"access_token": "fake-dingtalk-token", "timestamp": "1", "sign": "x"},
        json={"msgtype": "text", "text": {"content": "hi"}},
        timeout=5,
    )

    assert response.json()["errcode"] == 310000


def test_an_unsigned_sms_request_is_refused(fakes):
    response = requests.post(
        f"{fakes.root_url}/sms/", json={}, headers={"X-TC-Action": "SendSms"}, timeout=5
    )

    assert response.json()["Response"]["Error"]["Code"].startswith("AuthFailure")


def test_faults_can_be_armed_over_http(fakes):
    armed = requests.post(
        f"{fakes.root_url}/_fake/faults",
        json={"mode": "5xx", "path": "/wecom/cgi-bin/webhook/send", "status": 503},
        timeout=5,
    )
    first = requests.post(f"{fakes.root_url}/wecom/cgi-bin/webhook/send", json={}, timeout=5)
    second = requests.post(f"{fakes.root_url}/wecom/cgi-bin/webhook/send", json={}, timeout=5)

    assert armed.status_code == 201
    assert first.status_code == 503
    assert second.status_code == 200  # used up
    assert second.json()["errcode"] == 93000  # no key: an invalid webhook URL


def test_the_fake_channels_url_points_unset_channels_at_the_fakes(tmp_path: Path):
    app = make_app(
        f"sqlite:///{tmp_path / 'a.db'}",
        tmp_path,
        FAKE_CHANNELS_URL="http://127.0.0.1:8082/",
        DINGTALK_ROBOT_ACCESS_TOKEN="my-own",
    )

    assert app.config["WECOM_API_BASE_URL"] == "http://127.0.0.1:8082/wecom/cgi-bin/"
    assert app.config["SMS_PROVIDER"] == "tencent"
    assert app.config["DINGTALK_ROBOT_ACCESS_TOKEN"] == "my-own"  # set: kept


def test_the_fake_channels_url_is_refused_in_production(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SECRET_KEY", "Zr8pQ2mX5vK9wL3nB7cT1yH4jF6gD0sAeUoIq")
    monkeypatch.setenv("PARKLEAD_FAKE_CHANNELS_URL", "http://127.0.0.1:8082")

    with pytest.raises(RuntimeError, match="not production"):
        create_app("production")


def test_the_index_page_lists_what_arrived(fakes):
    fakes.state.record("sms", {"to": "+8613912345678", "params": ["PL-1", "<b>"]})

    page = requests.get(f"{fakes.root_url}/_fake/", timeout=5)

    assert page.headers["Content-Type"].startswith("text/html")
    assert "+8613912345678" in page.text
    assert "PL-1 &lt;b&gt;" in page.text
