"""A prospect talking to the WeChat callback over real HTTP, in plain and safe (AES) mode, with
the lead routed by a real Celery worker on Redis and PostgreSQL; WeChat's concurrent retries."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable

import pytest

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from app.devtools.simulator import (
    Reply,
    build_subscribe_xml,
    build_text_xml,
    deliver,
)
from app.leads.models import format_reference
from tests.e2e.conftest import LiveStack, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

TOKEN = "testtoken"  # config/testing.py
APPID = "wx0000000000000000"
AES_KEY = base64.b64encode(b"parklead-e2e-wechat-aes-key-0032").decode().rstrip("=")
OPENID = "oE2eProspect000000000000001"

SCRIPT = (
    "1",
    "3000-5000平",
    "不对，是8000平",
    "13812345678",
    "湘能电池科技有限公司",
    "王先生",
)


def seed_agents(stack: LiveStack, count: int = 2) -> list[int]:
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        return [
            accounts.create_agent(login=f"wx{i}", password="e2e-password", team=team,
                                  role=Role.AGENT).id
            for i in range(count)
        ]  # fmt: skip


@pytest.fixture(params=["plain", "aes"])
def send(
    request: pytest.FixtureRequest, stack: LiveStack, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Reply]:
    """Deliver XML to the live callback as WeChat would, in plain or safe mode."""
    aes = request.param == "aes"
    if aes:
        # The live server serves this very app object, so the setting applies at once.
        monkeypatch.setitem(stack.app.config, "WECHAT_ENCODING_AES_KEY", AES_KEY)

    def _send(xml: str) -> Reply:
        return deliver(f"{stack.url}/wechat/callback", xml, token=TOKEN, timeout=10,
                       aes_key=AES_KEY if aes else None, appid=APPID if aes else None)  # fmt: skip

    return _send


def test_scripted_conversation_ends_with_one_routed_lead(stack: LiveStack, send):
    agent_ids = seed_agents(stack)
    stack.start_worker()
    timings = []
    replies = [send(build_subscribe_xml(OPENID, scene="expo2026")).text]
    for message in SCRIPT:
        started = time.perf_counter()
        replies.append(send(build_text_xml(OPENID, message)).text)
        timings.append(time.perf_counter() - started)

    assert "1 租厂房" in replies[0]
    assert "已更正" in replies[3]
    [(lead_id, created_at)] = stack.rows("SELECT id, created_at FROM lead")
    assert format_reference(lead_id, created_at) in replies[4]
    assert "信息已齐" in replies[-1]
    assert max(timings) < 2.0  # WeChat allows 5 s; nothing waits on Celery

    owner = wait_until(
        lambda: stack.scalar("SELECT agent_id FROM lead WHERE status = 'assigned'"),
        message="the worker's assignment",
    )
    assert owner in agent_ids
    [lead] = stack.rows(
        "SELECT channel, need_type, deal, area_min_m2, area_max_m2, phone, company, "
        "contact_name, wechat_openid, source FROM lead"
    )
    assert (lead.channel, lead.need_type, lead.deal) == ("wechat", "factory", "rent")
    assert (lead.area_min_m2, lead.area_max_m2) == (8000, 8000)
    assert (lead.phone, lead.company) == ("+8613812345678", "湘能电池科技有限公司")
    assert (lead.contact_name, lead.wechat_openid) == ("王先生", OPENID)
    assert lead.source == {"scene": "expo2026"}
    assert stack.scalar("SELECT count(*) FROM inbound_message") == 1 + len(SCRIPT)


def test_concurrent_retries_of_one_message_create_one_lead(stack: LiveStack, send):
    seed_agents(stack)
    stack.start_worker()
    xml = build_text_xml(OPENID, "想在芦淞区租5000平厂房，电话13812345678", msg_id=9_000_001)
    barrier = threading.Barrier(3)
    replies: list[Reply] = []
    lock = threading.Lock()

    def retry() -> None:
        barrier.wait()  # WeChat's three deliveries arrive together
        reply = send(xml)
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=retry) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert len(replies) == 3
    assert all(r.same_as(replies[0]) for r in replies)
    assert "编号 PL-" in replies[0].text
    assert stack.scalar("SELECT count(*) FROM inbound_message") == 1
    assert stack.scalar("SELECT count(*) FROM lead") == 1
    assert stack.scalar("SELECT count(*) FROM lead_event WHERE type = 'created'") == 1
    wait_until(
        lambda: stack.scalar("SELECT count(*) FROM lead WHERE status = 'assigned'") == 1,
        message="the worker's assignment",
    )


def test_messages_arriving_together_from_one_prospect_make_one_lead(stack: LiveStack, send):
    barrier = threading.Barrier(3)
    messages = ("想租厂房，电话13812345678", "公司是湘能电池科技有限公司", "大概5000平")

    def talk(message: str) -> None:
        barrier.wait()
        send(build_text_xml(OPENID, message))

    threads = [threading.Thread(target=talk, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert stack.scalar("SELECT count(*) FROM inbound_message WHERE handled_at IS NOT NULL") == 3
    assert stack.scalar("SELECT count(*) FROM lead") == 1
    assert stack.scalar("SELECT count(*) FROM wechat_user") == 1
