"""The WeChat API client against the fake WeChat server over real HTTP (no HTTP mocks)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select
from wechatpy.session.redisstorage import RedisStorage

from app.core.db import db
from app.devtools.fake_server import DEFAULT_APPID, DEFAULT_SECRET, FakeWechatServer
from app.wechat import client as wechat
from app.wechat.client import (
    MemoryTokenStorage,
    SkipReason,
    WechatApiClient,
    WechatApiError,
    WechatNotConfigured,
    WechatTransportError,
    make_client,
    open_event_window,
    open_window,
    record_inbound,
    send_customer_service_text,
    send_template_message,
)
from app.wechat.models import WechatUser
from tests.support import make_app, migrate

ROOT = Path(__file__).resolve().parents[2]
CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/token"
FAST = (1.0, 1.0)  # short timeouts: a hung test fails in seconds, not minutes


@pytest.fixture
def fake() -> Iterator[FakeWechatServer]:
    with FakeWechatServer() as server:
        yield server


def settings(fake: FakeWechatServer, **extra: Any) -> dict[str, Any]:
    return {
        "WECHAT_APP_ID": DEFAULT_APPID,
        "WECHAT_APP_SECRET": DEFAULT_SECRET,
        "WECHAT_API_BASE_URL": fake.url,
        **extra,
    }


@pytest.fixture
def memory_client(fake: FakeWechatServer) -> WechatApiClient:
    return make_client(settings(fake), timeout=FAST)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"parklead-test:{uuid.uuid4().hex}"
    yield prefix
    conn = redis.Redis.from_url(redis_url)
    keys = list(conn.scan_iter(f"{prefix}:*"))
    if keys:
        conn.delete(*keys)
    conn.close()


def redis_client_for(
    fake: FakeWechatServer, redis_url: str, prefix: str, **options: Any
) -> WechatApiClient:
    return make_client(settings(fake, REDIS_URL=redis_url), prefix=prefix, timeout=FAST, **options)


# --- access tokens ---------------------------------------------------------------------------


def test_token_is_fetched_from_the_configured_base_url(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    assert memory_client.access_token == fake.current_token
    (fetch,) = fake.requests(TOKEN)
    assert fetch["query"]["appid"] == DEFAULT_APPID
    assert fetch["query"]["grant_type"] == "client_credential"


def test_token_is_cached_between_calls(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    for _ in range(3):
        memory_client.message.send_text("o-prospect", "你好")
    assert fake.token_fetches == 1


def test_two_clients_share_one_token_through_redis(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str
) -> None:
    first = redis_client_for(fake, redis_url, redis_prefix)
    second = redis_client_for(fake, redis_url, redis_prefix)
    first.message.send_text("o-1", "a")
    second.message.send_text("o-2", "b")
    assert fake.token_fetches == 1
    assert isinstance(first.session, RedisStorage)


def test_embedded_mode_keeps_the_token_in_process_memory(fake: FakeWechatServer) -> None:
    first = make_client(settings(fake), timeout=FAST)
    second = make_client(settings(fake), timeout=FAST)
    assert isinstance(first.session, MemoryTokenStorage)
    first.message.send_text("o-1", "a")
    second.message.send_text("o-2", "b")
    assert fake.token_fetches == 1


def test_memory_storage_forgets_a_token_after_its_ttl() -> None:
    now = [100.0]
    storage = MemoryTokenStorage(clock=lambda: now[0])
    storage.set("token", "abc", ttl=60)
    now[0] += 59
    assert storage.get("token") == "abc"
    now[0] += 2
    assert storage.get("token") is None


def test_token_is_stored_with_a_ttl_shorter_than_wechats(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str
) -> None:
    client = redis_client_for(fake, redis_url, redis_prefix)
    assert client.access_token
    ttl = client.session.redis.ttl(client.session.key_name(client.access_token_key))
    assert 7200 - wechat.TOKEN_EARLY_REFRESH_SECONDS - 5 <= ttl <= 7200 - 300


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_expired_token_error_refreshes_once_and_retries_once(
    fake: FakeWechatServer, memory_client: WechatApiClient, errcode: int
) -> None:
    assert memory_client.access_token
    fake.add_fault("errcode", errcode=errcode, times=1, path=CUSTOM)

    memory_client.message.send_text("o-prospect", "你好")

    assert fake.token_fetches == 2
    assert len(fake.requests(CUSTOM)) == 2
    assert len(fake.messages("custom")) == 1


def test_expired_token_error_twice_raises_after_a_single_refresh(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    assert memory_client.access_token
    fake.add_fault("errcode", errcode=40001, times=None, path=CUSTOM)

    with pytest.raises(WechatApiError) as caught:
        memory_client.message.send_text("o-prospect", "你好")

    assert caught.value.errcode == 40001
    assert fake.token_fetches == 2
    assert len(fake.requests(CUSTOM)) == 2


def test_token_that_really_expired_is_replaced(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    old = memory_client.access_token
    fake.expire_tokens()

    memory_client.message.send_text("o-prospect", "你好")

    first, retry = fake.requests(CUSTOM)
    assert first["response"]["errcode"] == 42001
    assert retry["query"]["access_token"] != old
    assert fake.token_fetches == 2


def test_token_invalidated_by_an_outside_fetch_is_replaced(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    assert memory_client.access_token
    # Someone else (another deployment, a colleague's script) fetches with the same secret.
    fake.state.issue_token()

    memory_client.message.send_text("o-prospect", "你好")

    assert [r["response"]["errcode"] for r in fake.requests(CUSTOM)] == [40001, 0]


def test_other_errors_are_raised_without_refreshing(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    assert memory_client.access_token
    fake.add_fault("errcode", errcode=45009, path=CUSTOM)

    with pytest.raises(WechatApiError) as caught:
        memory_client.message.send_text("o-prospect", "你好")

    assert caught.value.errcode == 45009
    assert caught.value.errmsg.startswith("reach max api daily quota limit")
    assert fake.token_fetches == 1
    assert len(fake.requests(CUSTOM)) == 1


@pytest.mark.parametrize(
    ("appid", "secret", "errcode"),
    [("wx-wrong", DEFAULT_SECRET, 40013), (DEFAULT_APPID, "wrong-secret", 40125)],
)
def test_bad_credentials_raise_the_token_error_once(
    fake: FakeWechatServer, appid: str, secret: str, errcode: int
) -> None:
    client = WechatApiClient(appid, secret, base_url=fake.url, timeout=FAST)

    with pytest.raises(WechatApiError) as caught:
        client.message.send_text("o-prospect", "你好")

    assert caught.value.errcode == errcode
    assert len(fake.requests(TOKEN)) == 1
    assert fake.requests(CUSTOM) == []


def test_token_endpoint_answering_40001_is_not_retried(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    fake.add_fault("errcode", errcode=40001, times=None, path=TOKEN)

    with pytest.raises(WechatApiError):
        memory_client.message.send_text("o-prospect", "你好")

    assert len(fake.requests(TOKEN)) == 1


def test_concurrent_refresh_in_threads_fetches_once(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str
) -> None:
    # A slow token endpoint widens the window in which unguarded clients would all fetch.
    fake.add_fault("delay", seconds=0.3, times=None, path=TOKEN)
    clients = [redis_client_for(fake, redis_url, redis_prefix) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def worker(client: WechatApiClient) -> None:
        barrier.wait()
        client.message.send_text("o-prospect", "你好")
        tokens.append(client.access_token)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert fake.token_fetches == 1
    assert set(tokens) == {fake.current_token}
    assert len(fake.messages("custom")) == len(clients)


PROCESSES = 3
PROCESS_SCRIPT = """
import os, sys, time
from app.wechat.client import make_client
appid, secret, url, redis_url, prefix, ready, go = sys.argv[1:8]
client = make_client(
    {"WECHAT_APP_ID": appid, "WECHAT_APP_SECRET": secret, "WECHAT_API_BASE_URL": url,
     "REDIS_URL": redis_url},
    prefix=prefix, timeout=(2.0, 5.0),
)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
client.message.send_text("o-prospect", "hello")
print(client.access_token)
"""


@pytest.mark.slow
def test_concurrent_refresh_in_processes_fetches_once(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    fake.add_fault("delay", seconds=0.3, times=None, path=TOKEN)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = []
    for n in range(PROCESSES):
        ready = str(tmp_path / f"ready-{n}")
        args = [DEFAULT_APPID, DEFAULT_SECRET, fake.url, redis_url, redis_prefix, ready, str(go)]
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", PROCESS_SCRIPT, *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in range(PROCESSES)):
        assert time.monotonic() < deadline, "the client processes did not start"
        assert all(p.poll() is None for p in processes), processes[0].communicate()
        time.sleep(0.05)
    go.touch()
    outputs = [p.communicate(timeout=60) for p in processes]

    assert [p.returncode for p in processes] == [0] * PROCESSES, outputs
    assert {out.strip() for out, _err in outputs} == {fake.current_token}
    assert fake.token_fetches == 1
    assert len(fake.messages("custom")) == PROCESSES


def test_refresh_waits_no_longer_than_the_lock_wait(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str
) -> None:
    client = redis_client_for(fake, redis_url, redis_prefix, lock_wait=0.2)
    held = client.session.redis.lock(
        client.session.key_name(f"{DEFAULT_APPID}_token_lock"), timeout=5
    )
    assert held.acquire(blocking=False)
    try:
        with pytest.raises(WechatTransportError, match="lock"):
            client.message.send_text("o-prospect", "你好")
    finally:
        held.release()
    assert fake.token_fetches == 0


def test_refresh_after_a_wait_uses_the_token_another_process_stored(
    fake: FakeWechatServer, redis_url: str, redis_prefix: str
) -> None:
    first = redis_client_for(fake, redis_url, redis_prefix)
    second = redis_client_for(fake, redis_url, redis_prefix)
    stale = first.access_token
    fresh = second.refresh_access_token(stale=stale)

    # `first` saw `stale` refused too; by the time it holds the lock `fresh` is stored.
    assert first.refresh_access_token(stale=stale) == fresh
    assert fake.token_fetches == 2


# --- transport errors ------------------------------------------------------------------------


def test_5xx_raises_a_transport_error(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    assert memory_client.access_token
    fake.add_fault("5xx", status=502, path=CUSTOM)

    with pytest.raises(WechatTransportError) as caught:
        memory_client.message.send_text("o-prospect", "你好")

    assert caught.value.status == 502
    assert len(fake.requests(CUSTOM)) == 1


def test_timeout_raises_a_transport_error(fake: FakeWechatServer) -> None:
    client = make_client(settings(fake), timeout=(1.0, 0.3))
    assert client.access_token
    fake.add_fault("timeout", seconds=3, path=CUSTOM)

    started = time.monotonic()
    with pytest.raises(WechatTransportError, match="timed out"):
        client.message.send_text("o-prospect", "你好")
    assert time.monotonic() - started < 2


def test_token_fetch_timeout_raises_a_transport_error(fake: FakeWechatServer) -> None:
    client = make_client(settings(fake), timeout=(1.0, 0.3))
    fake.add_fault("timeout", seconds=3, path=TOKEN)

    with pytest.raises(WechatTransportError):
        _ = client.access_token


def test_unreachable_wechat_raises_a_transport_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WechatApiClient(
        DEFAULT_APPID, DEFAULT_SECRET, base_url=f"http://127.0.0.1:{port}/cgi-bin/", timeout=FAST
    )
    with pytest.raises(WechatTransportError) as caught:
        client.message.send_text("o-prospect", "你好")
    assert "secret=<redacted>" in str(caught.value)
    assert DEFAULT_SECRET not in str(caught.value)


def test_non_json_answer_to_a_send_raises_a_transport_error(fake: FakeWechatServer) -> None:
    client = make_client(settings(fake), timeout=FAST)
    assert client.access_token
    fake.add_fault("garbage", path=TEMPLATE)

    with pytest.raises(WechatTransportError):
        send_template_message("o-agent", "tpl", {"first": "x"}, client=client)


def test_missing_credentials_say_what_to_set() -> None:
    with pytest.raises(WechatNotConfigured, match="WECHAT_APP_ID"):
        make_client({"WECHAT_API_BASE_URL": "http://127.0.0.1:1/cgi-bin/"})


# --- template messages -----------------------------------------------------------------------


def test_template_message_arrives_with_wechats_json(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    outcome = send_template_message(
        "o-agent",
        "TPL-new-lead",
        {"first": "新线索 PL-20261124-0007", "keyword1": {"value": "厂房", "color": "#173177"}},
        url="https://parklead.example/leads/7",
        client=memory_client,
    )

    (request,) = fake.requests(TEMPLATE)
    assert request["json"] == {
        "touser": "o-agent",
        "template_id": "TPL-new-lead",
        "url": "https://parklead.example/leads/7",
        "data": {
            "first": {"value": "新线索 PL-20261124-0007"},
            "keyword1": {"value": "厂房", "color": "#173177"},
        },
    }
    assert outcome.sent
    assert outcome.msgid == fake.messages("template")[0]["msgid"]


def test_template_message_without_url_sends_no_url(
    fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    send_template_message("o-agent", "TPL", {"first": "x"}, client=memory_client)
    assert "url" not in fake.requests(TEMPLATE)[0]["json"]


# --- customer-service messages and the 48-hour window ------------------------------------------


def add_prospect(openid: str, last_inbound_at: dt.datetime | None, sent: int = 0) -> WechatUser:
    user = WechatUser(openid=openid, last_inbound_at=last_inbound_at, cs_sent_in_window=sent)
    db.session.add(user)
    db.session.commit()
    return user


def window_count(openid: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(WechatUser.cs_sent_in_window).where(WechatUser.openid == openid)
    )


def hours_ago(hours: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)


def test_cs_text_inside_the_window_is_sent_and_counted(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_prospect("o-inside", hours_ago(1))

    outcome = send_customer_service_text("o-inside", "您好,请问需要多大面积?", client=memory_client)
    db.session.commit()

    assert outcome.sent
    assert str(outcome) == "sent"
    (request,) = fake.requests(CUSTOM)
    assert request["json"] == {
        "touser": "o-inside",
        "msgtype": "text",
        "text": {"content": "您好,请问需要多大面积?"},
    }
    assert window_count("o-inside") == 1


@pytest.mark.parametrize("last_inbound", [hours_ago(48.01), None])
def test_cs_text_outside_48_hours_is_skipped_without_calling_wechat(
    app: Flask,
    fake: FakeWechatServer,
    memory_client: WechatApiClient,
    last_inbound: dt.datetime | None,
) -> None:
    add_prospect("o-outside", last_inbound)

    outcome = send_customer_service_text("o-outside", "还在吗?", client=memory_client)

    assert not outcome.sent
    assert outcome.reason is SkipReason.OUTSIDE_WINDOW
    assert str(outcome) == "skipped: outside_48h_window"
    assert fake.requests() == []
    assert window_count("o-outside") == 0


def test_cs_text_to_an_unknown_openid_is_skipped(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    outcome = send_customer_service_text("o-never-wrote", "hi", client=memory_client)
    assert outcome.reason is SkipReason.OUTSIDE_WINDOW
    assert fake.requests() == []


def test_sixth_cs_text_in_a_window_is_skipped(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_prospect("o-chatty", hours_ago(2))

    outcomes = [
        send_customer_service_text("o-chatty", f"消息 {n}", client=memory_client) for n in range(6)
    ]

    assert [o.sent for o in outcomes] == [True] * 5 + [False]
    assert str(outcomes[-1]) == "skipped: window_quota_used"
    assert len(fake.messages("custom")) == 5
    assert window_count("o-chatty") == 5


def test_a_new_inbound_message_opens_a_new_window(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_prospect("o-back", hours_ago(50), sent=5)
    now = dt.datetime.now(dt.UTC)

    record_inbound("o-back", now)
    db.session.commit()

    assert window_count("o-back") == 0
    assert send_customer_service_text("o-back", "欢迎回来", client=memory_client).sent


def test_record_inbound_creates_the_prospect_when_new(app: Flask) -> None:
    at = dt.datetime.now(dt.UTC)
    record_inbound("o-brand-new", at)
    db.session.commit()

    user = db.session.scalar(select(WechatUser).where(WechatUser.openid == "o-brand-new"))
    assert user is not None
    assert user.last_inbound_at == at.replace(microsecond=user.last_inbound_at.microsecond)
    assert user.cs_sent_in_window == 0


def test_an_older_late_delivery_does_not_move_the_window_back(app: Flask) -> None:
    latest = hours_ago(1)
    add_prospect("o-late", latest, sent=2)

    record_inbound("o-late", hours_ago(3))
    db.session.commit()

    db.session.expire_all()
    user = db.session.scalar(select(WechatUser).where(WechatUser.openid == "o-late"))
    assert abs(user.last_inbound_at - latest) < dt.timedelta(seconds=1)
    assert user.cs_sent_in_window == 2


def test_open_window_on_a_locked_row_does_what_record_inbound_does(app: Flask) -> None:
    """The callback's way: the window moves on the row it holds, never back."""
    latest = hours_ago(1)
    back = add_prospect("o-back-2", hours_ago(50), sent=5)
    late = add_prospect("o-late-2", latest, sent=2)

    open_window(back, dt.datetime.now(dt.UTC))
    open_window(late, hours_ago(3))
    db.session.commit()

    db.session.expire_all()
    assert window_count("o-back-2") == 0
    assert window_count("o-late-2") == 2
    user = db.session.scalar(select(WechatUser).where(WechatUser.openid == "o-late-2"))
    assert abs(user.last_inbound_at - latest) < dt.timedelta(seconds=1)
    with pytest.raises(ValueError, match="aware"):
        open_window(user, dt.datetime(2026, 11, 24, 12, 0))


def test_record_inbound_refuses_a_naive_datetime(app: Flask) -> None:
    with pytest.raises(ValueError, match="aware"):
        record_inbound("o-x", dt.datetime(2026, 11, 24, 12, 0))


def test_cs_api_error_gives_the_window_slot_back(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_prospect("o-error", hours_ago(1))
    fake.add_fault("errcode", errcode=45009, path=CUSTOM)

    with pytest.raises(WechatApiError):
        send_customer_service_text("o-error", "hi", client=memory_client)

    assert window_count("o-error") == 0


def test_cs_transport_error_keeps_the_slot_as_it_may_have_been_delivered(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_prospect("o-unsure", hours_ago(1))
    fake.add_fault("5xx", path=CUSTOM)

    with pytest.raises(WechatTransportError):
        send_customer_service_text("o-unsure", "hi", client=memory_client)

    assert window_count("o-unsure") == 1


@pytest.mark.parametrize(
    ("errcode", "reason", "count_after"),
    [(45015, SkipReason.OUTSIDE_WINDOW, 1), (45047, SkipReason.QUOTA_USED, 5)],
)
def test_wechats_own_window_verdict_becomes_a_skip(
    app: Flask,
    fake: FakeWechatServer,
    memory_client: WechatApiClient,
    errcode: int,
    reason: SkipReason,
    count_after: int,
) -> None:
    add_prospect("o-verdict", hours_ago(1), sent=1)
    fake.add_fault("errcode", errcode=errcode, path=CUSTOM)

    outcome = send_customer_service_text("o-verdict", "hi", client=memory_client)

    assert outcome.reason is reason
    assert window_count("o-verdict") == count_after


# --- the minute after a menu click, follow or scan: 3 messages -----------------------------------


def add_clicker(openid: str, clicked_at: dt.datetime, last_inbound_at=None) -> WechatUser:
    user = WechatUser(openid=openid, last_inbound_at=last_inbound_at, last_event_at=clicked_at)
    db.session.add(user)
    db.session.commit()
    return user


def after_event_count(openid: str) -> int:
    db.session.expire_all()
    stmt = select(WechatUser.cs_sent_after_event).where(WechatUser.openid == openid)
    return db.session.scalar(stmt)


def test_three_cs_texts_within_a_minute_of_a_click_and_no_fourth(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_clicker("o-click", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20))

    outcomes = [
        send_customer_service_text("o-click", f"#{n}", client=memory_client) for n in "1234"
    ]

    assert [o.sent for o in outcomes] == [True, True, True, False]
    assert outcomes[-1].reason is SkipReason.QUOTA_USED
    assert len(fake.messages("custom")) == 3
    assert after_event_count("o-click") == 3


def test_a_minute_after_a_click_the_window_is_closed(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_clicker("o-late-click", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61))

    outcome = send_customer_service_text("o-late-click", "hi", client=memory_client)

    assert outcome.reason is SkipReason.OUTSIDE_WINDOW
    assert fake.requests() == []


def test_the_message_window_is_used_first_then_the_click_window(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_clicker("o-both", dt.datetime.now(dt.UTC), last_inbound_at=hours_ago(1))

    sent = [send_customer_service_text("o-both", "x", client=memory_client).sent for _ in range(9)]

    assert sent == [True] * 8 + [False]
    assert (window_count("o-both"), after_event_count("o-both")) == (5, 3)


def test_wechats_quota_verdict_after_a_click_uses_up_that_window_only(
    app: Flask, fake: FakeWechatServer, memory_client: WechatApiClient
) -> None:
    add_clicker("o-verdict-click", dt.datetime.now(dt.UTC))
    fake.add_fault("errcode", errcode=45047, path=CUSTOM)

    outcome = send_customer_service_text("o-verdict-click", "hi", client=memory_client)

    assert outcome.reason is SkipReason.QUOTA_USED
    assert (window_count("o-verdict-click"), after_event_count("o-verdict-click")) == (0, 3)


def test_open_event_window_keeps_the_newest_event(app: Flask) -> None:
    clicked = hours_ago(1)
    user = add_clicker("o-events", clicked)
    user.cs_sent_after_event = 3
    open_event_window(user, hours_ago(2))  # a late, older delivery
    assert (user.last_event_at, user.cs_sent_after_event) == (clicked, 3)
    now = dt.datetime.now(dt.UTC)
    open_event_window(user, now)
    assert (user.last_event_at, user.cs_sent_after_event) == (now, 0)
    with pytest.raises(ValueError, match="aware"):
        open_event_window(user, dt.datetime(2026, 11, 24, 12, 0))


def test_public_functions_use_the_apps_configuration(
    app: Flask, fake: FakeWechatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WECHAT_API_BASE_URL", fake.url)
    add_prospect("o-config", hours_ago(1))

    assert send_customer_service_text("o-config", "hi").sent
    assert send_template_message("o-agent", "TPL", {"first": "x"}).sent
    assert fake.token_fetches == 1
    assert wechat.get_client() is wechat.get_client()


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(
    request: pytest.FixtureRequest, tmp_path: Path, fake: FakeWechatServer
) -> Iterator[Flask]:
    """An app whose sessions really commit (the `app` fixture rolls every test back), so
    threads see each other's writes."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'cs.db'}"
    application = make_app(url, tmp_path, WECHAT_API_BASE_URL=fake.url)
    migrate(application)
    yield application
    with application.app_context():
        db.session.query(WechatUser).filter(WechatUser.openid.like("o-race-%")).delete()
        db.session.commit()
    application.extensions["db_engine"].dispose()


def test_concurrent_senders_cannot_exceed_five_per_window(
    committed_app: Flask, fake: FakeWechatServer
) -> None:
    openid = f"o-race-{uuid.uuid4().hex[:8]}"
    with committed_app.app_context():
        add_prospect(openid, hours_ago(1))
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def sender(n: int) -> None:
        with committed_app.app_context():
            barrier.wait()
            outcome = send_customer_service_text(openid, f"消息 {n}")
            db.session.commit()
            outcomes.append(str(outcome))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["sent"] * 5 + ["skipped: window_quota_used"] * 5
    assert len(fake.messages("custom")) == 5
    with committed_app.app_context():
        assert window_count(openid) == 5
