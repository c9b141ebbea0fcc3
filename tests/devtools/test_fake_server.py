"""The fake WeChat server over HTTP: WeChat's shapes and codes, faults, records, the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.devtools.fake_server import DEFAULT_APPID, DEFAULT_SECRET, FakeWechatServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeWechatServer]:
    with FakeWechatServer(seed=7) as server:
        yield server


def get_token(fake: FakeWechatServer, **params: str) -> dict[str, Any]:
    query = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
    response = requests.get(fake.url + "token", params={**query, **params}, timeout=5)
    assert response.status_code == 200
    return response.json()


def send_text(fake: FakeWechatServer, token: str | None, **body: Any) -> dict[str, Any]:
    body = body or {"touser": "o-prospect", "msgtype": "text", "text": {"content": "你好"}}
    params = {"access_token": token} if token is not None else {}
    response = requests.post(fake.url + "message/custom/send", params=params, json=body, timeout=5)
    return response.json()


def control(fake: FakeWechatServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{fake.root_url}/_fake/{path}", timeout=5, **kwargs)


# --- tokens -----------------------------------------------------------------------------------


def test_token_answers_like_wechat(fake: FakeWechatServer) -> None:
    answer = get_token(fake)
    assert set(answer) == {"access_token", "expires_in"}
    assert answer["expires_in"] == 7200
    assert answer["access_token"] == fake.current_token


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"appid": "wx-someone-else"}, 40013),
        ({"secret": "not-the-secret"}, 40125),
        ({"grant_type": "password"}, 40002),
        ({"appid": ""}, 41002),
        ({"secret": ""}, 41004),
    ],
)
def test_token_refuses_bad_requests_with_wechats_codes(
    fake: FakeWechatServer, params: dict[str, str], errcode: int
) -> None:
    answer = get_token(fake, **params)
    assert answer["errcode"] == errcode
    assert "rid:" in answer["errmsg"]
    assert fake.token_fetches == 0


def test_each_new_token_invalidates_the_previous_one(fake: FakeWechatServer) -> None:
    old = get_token(fake)["access_token"]
    new = get_token(fake)["access_token"]

    assert send_text(fake, old)["errcode"] == 40001
    assert send_text(fake, new) == {"errcode": 0, "errmsg": "ok"}
    assert fake.token_fetches == 2


@pytest.mark.parametrize(("token", "errcode"), [(None, 41001), ("made-up", 40014)])
def test_missing_or_unknown_tokens_are_refused(
    fake: FakeWechatServer, token: str | None, errcode: int
) -> None:
    assert send_text(fake, token)["errcode"] == errcode
    assert fake.messages() == []


def test_expired_tokens_answer_42001(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    assert control(fake, "POST", "expire-tokens").status_code == 204
    assert send_text(fake, token)["errcode"] == 42001


def test_token_lifetime_runs_out(fake: FakeWechatServer) -> None:
    with FakeWechatServer(token_ttl=1) as short:
        token = get_token(short)["access_token"]
        time.sleep(1.1)
        assert send_text(short, token)["errcode"] == 42001


# --- messages ---------------------------------------------------------------------------------


def test_custom_message_is_accepted_and_recorded(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    body = {"touser": "o-prospect", "msgtype": "text", "text": {"content": "您好"}}

    assert send_text(fake, token, **body) == {"errcode": 0, "errmsg": "ok"}

    (message,) = control(fake, "GET", "messages").json()["items"]
    assert message["kind"] == "custom"
    assert message["touser"] == "o-prospect"
    assert message["text"] == {"content": "您好"}


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"msgtype": "text", "text": {"content": "x"}}, 40003),
        ({"touser": "o-1", "msgtype": "text"}, 40008),
        ({"touser": "o-1", "msgtype": "text", "text": {"content": ""}}, 47001),
    ],
)
def test_custom_message_errors(fake: FakeWechatServer, body: dict[str, Any], errcode: int) -> None:
    token = get_token(fake)["access_token"]
    assert send_text(fake, token, **body)["errcode"] == errcode


@pytest.mark.parametrize(("data", "errcode"), [(b"", 44002), (b"{not json", 47001)])
def test_unreadable_bodies_are_refused(fake: FakeWechatServer, data: bytes, errcode: int) -> None:
    token = get_token(fake)["access_token"]
    response = requests.post(
        fake.url + "message/custom/send", params={"access_token": token}, data=data, timeout=5
    )
    assert response.json()["errcode"] == errcode


def test_template_message_answers_with_a_msgid(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    body = {"touser": "o-agent", "template_id": "TPL", "data": {"first": {"value": "新线索"}}}

    answers = [
        requests.post(
            fake.url + "message/template/send", params={"access_token": token}, json=body, timeout=5
        ).json()
        for _ in range(2)
    ]

    assert [a["errcode"] for a in answers] == [0, 0]
    assert isinstance(answers[0]["msgid"], int)
    assert answers[1]["msgid"] > answers[0]["msgid"]
    assert [m["msgid"] for m in fake.messages("template")] == [a["msgid"] for a in answers]


def test_template_message_without_template_id_is_refused(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    answer = requests.post(
        fake.url + "message/template/send",
        params={"access_token": token},
        json={"touser": "o-agent", "data": {}},
        timeout=5,
    ).json()
    assert answer["errcode"] == 40037


# --- faults -----------------------------------------------------------------------------------


def test_errcode_fault_fires_the_given_number_of_times(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    armed = control(fake, "POST", "faults", json={"mode": "errcode", "errcode": 45015, "times": 2})
    assert armed.status_code == 201

    codes = [send_text(fake, token)["errcode"] for _ in range(3)]

    assert codes == [45015, 45015, 0]
    assert control(fake, "GET", "faults").json()["items"] == []


def test_fault_limited_to_a_path_leaves_other_paths_alone(fake: FakeWechatServer) -> None:
    fake.add_fault("errcode", errcode=40001, times=None, path="/cgi-bin/message/template/send")
    token = get_token(fake)["access_token"]
    assert send_text(fake, token)["errcode"] == 0


def test_5xx_fault_answers_an_html_error_page(fake: FakeWechatServer) -> None:
    control(fake, "POST", "faults", json={"mode": "5xx", "status": 502})
    response = requests.get(fake.url + "token", timeout=5)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_timeout_fault_holds_the_request_past_the_clients_timeout(
    fake: FakeWechatServer,
) -> None:
    control(fake, "POST", "faults", json={"mode": "timeout", "seconds": 2})
    with pytest.raises(requests.Timeout):
        requests.get(fake.url + "token", timeout=0.3)


def test_delay_fault_answers_normally_but_late(fake: FakeWechatServer) -> None:
    fake.add_fault("delay", seconds=0.3)
    started = time.monotonic()
    assert "access_token" in get_token(fake)
    assert time.monotonic() - started >= 0.3


def test_garbage_fault_answers_200_with_a_non_json_body(fake: FakeWechatServer) -> None:
    fake.add_fault("garbage")
    response = requests.get(fake.url + "token", timeout=5)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_rate_fails_some_calls_reproducibly(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    fake.add_fault("errcode", errcode=-1, times=None, rate=0.5)

    codes = [send_text(fake, token)["errcode"] for _ in range(40)]

    assert 5 < codes.count(-1) < 35
    assert set(codes) == {0, -1}


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "explode"},
        {"mode": "errcode"},
        {"mode": "5xx", "times": 0},
        {"mode": "5xx", "rate": 1.5},
        {"mode": "5xx", "colour": "red"},
    ],
)
def test_invalid_faults_are_refused(fake: FakeWechatServer, fault: dict[str, Any]) -> None:
    response = control(fake, "POST", "faults", json=fault)
    assert response.status_code == 400
    assert response.json()["error"]


def test_faults_can_be_listed_and_cleared(fake: FakeWechatServer) -> None:
    control(fake, "POST", "faults", json={"mode": "5xx", "times": None})
    assert [f["mode"] for f in control(fake, "GET", "faults").json()["items"]] == ["5xx"]

    assert control(fake, "DELETE", "faults").status_code == 204
    assert "access_token" in get_token(fake)


# --- records ----------------------------------------------------------------------------------


def test_every_api_call_is_recorded_with_the_secret_redacted(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    send_text(fake, token)

    items = control(fake, "GET", "requests").json()["items"]

    assert [(r["method"], r["path"]) for r in items] == [
        ("GET", "/cgi-bin/token"),
        ("POST", "/cgi-bin/message/custom/send"),
    ]
    assert items[0]["query"]["secret"] == "<redacted>"
    assert items[0]["response"]["access_token"] == token
    assert items[1]["json"]["touser"] == "o-prospect"
    assert items[1]["status"] == 200


def test_records_filter_by_path_and_kind(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    send_text(fake, token)
    requests.post(
        fake.url + "message/template/send",
        params={"access_token": token},
        json={"touser": "o-agent", "template_id": "TPL", "data": {}},
        timeout=5,
    )

    by_path = control(fake, "GET", "requests", params={"path": "/cgi-bin/token"}).json()
    by_kind = control(fake, "GET", "messages", params={"kind": "template"}).json()

    assert len(by_path["items"]) == 1
    assert [m["touser"] for m in by_kind["items"]] == ["o-agent"]


def test_faulted_calls_are_recorded_with_their_fault(fake: FakeWechatServer) -> None:
    fake.add_fault("errcode", errcode=40001)
    get_token(fake)
    (record,) = fake.requests()
    assert record["fault"] == "errcode"
    assert record["response"]["errcode"] == 40001


def test_stats_count_token_fetches(fake: FakeWechatServer) -> None:
    get_token(fake)
    get_token(fake)
    get_token(fake, secret="wrong")

    stats = control(fake, "GET", "stats").json()

    assert stats["token_fetches"] == 2
    assert stats["requests"] == 3


def test_reset_forgets_everything(fake: FakeWechatServer) -> None:
    token = get_token(fake)["access_token"]
    send_text(fake, token)
    fake.add_fault("5xx", times=None, path="/cgi-bin/message/template/send")

    assert control(fake, "DELETE", "reset").status_code == 204

    stats = control(fake, "GET", "stats").json()
    assert stats == {
        "token_fetches": 0,
        "current_token": None,
        "requests": 0,
        "messages": 0,
        "faults": 0,
    }
    assert send_text(fake, token)["errcode"] == 40014


def test_control_calls_are_not_recorded(fake: FakeWechatServer) -> None:
    control(fake, "GET", "stats")
    control(fake, "GET", "messages")
    assert fake.requests() == []


def test_stopping_ends_a_held_request_at_once() -> None:
    server = FakeWechatServer().start()
    server.add_fault("timeout", seconds=30)
    with pytest.raises(requests.Timeout):
        requests.get(server.url + "token", timeout=0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3


# --- the command ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_parklead_fake_wechat_serves_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PARKLEAD_ENV": "testing",
        "PARKLEAD_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "fake-wechat", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                stats = requests.get(f"{base}/_fake/stats", timeout=1).json()
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "parklead fake-wechat did not start"
                time.sleep(0.1)
        assert stats["token_fetches"] == 0
        answer = requests.get(
            f"{base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": DEFAULT_APPID,  # config/testing.py's WECHAT_APP_ID
                "secret": DEFAULT_SECRET,
            },
            timeout=5,
        ).json()
        assert answer["expires_in"] == 7200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=10)[0].decode()
    assert f"WECHAT_API_BASE_URL=http://127.0.0.1:{port}/cgi-bin/" in output
    assert "secret=<redacted>" in output
