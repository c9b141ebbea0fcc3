"""Fault tests on real Redis, PostgreSQL and worker processes: work is delayed, never lost.

Each scenario prints one line, `TALLY <scenario>: posted=… stored=… routed=…
double-assigned=… double-sent=…`, counted where it lands: stored = lead rows (a repeat
enquiry's receipt is one), routed = open leads routing has decided, double-assigned = leads
with more than one `assigned` event, double-sent = template messages the fake WeChat server
accepted beyond one per outbox row that sent (or may have sent) it."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from app.accounts import service as accounts
from app.core.db import db
from app.devtools.fake_server import FakeWechatServer
from tests.e2e.conftest import LiveStack, PrivateRedis, build_stack, wait_until
from tests.notifications.servers import SmtpCapture

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@dataclass
class Wechat:
    server: FakeWechatServer
    env: dict[str, str]


@pytest.fixture
def wechat() -> Iterator[Wechat]:
    """The fake WeChat API, where agents' template messages land and are counted."""
    # An appid of this test's own: tokens live in the shared Redis, keyed by appid.
    appid = f"wx{uuid.uuid4().hex[:16]}"
    with FakeWechatServer(appid=appid, secret="fault-secret", seed=20261204) as server:
        yield Wechat(
            server,
            {
                "WECHAT_APP_ID": appid,
                "WECHAT_APP_SECRET": "fault-secret",
                "WECHAT_API_BASE_URL": server.url,
                "WECHAT_TEMPLATE_LEAD_ASSIGNED": "tmpl-fault-assigned",
                "WECHAT_TEMPLATE_NOTICE": "tmpl-fault-notice",
                "PARKLEAD_NOTIFY_BACKOFF_BASE_SECONDS": "0.2",
                "PARKLEAD_NOTIFY_BACKOFF_MAX_SECONDS": "1",
            },
        )


def seed_agents(stack: LiveStack, count: int) -> list[int]:
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        agents = [
            # Room for all 200 leads: routing skips agents at capacity (default 50).
            accounts.create_agent(
                login=f"fault{i}", password="fault-password", team=team, capacity=100
            )
            for i in range(count)
        ]
        for agent in agents:
            agent.wechat_openid = f"o-fault-{agent.login}"
        db.session.flush()
        return [agent.id for agent in agents]


UNFINISHED_NOTIFICATIONS = (
    "SELECT count(*) FROM notification WHERE status IN ('pending', 'sending', 'failed')"
)


def tally(stack: LiveStack, scenario: str, posted: int, wechat: Wechat) -> dict[str, int]:
    """Wait for routing and the outbox to settle, then count and print the scenario's
    one-line tally."""
    wait_until(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM lead WHERE merged_into_id IS NULL AND routed_at IS NULL"
            )
            == 0
        ),
        timeout=120,
        message="routing to decide every lead",
    )
    wait_until(
        lambda: stack.scalar(UNFINISHED_NOTIFICATIONS) == 0,
        timeout=120,
        message="the outbox to settle",
    )
    time.sleep(1)  # a stray duplicate would land by now
    may_have_sent = stack.scalar(
        "SELECT count(*) FROM notification WHERE channel = 'wechat_template' "
        "AND status IN ('sent', 'unknown')"
    )
    figures = {
        "posted": posted,
        "stored": stack.scalar("SELECT count(*) FROM lead"),
        "routed": stack.scalar(
            "SELECT count(*) FROM lead WHERE merged_into_id IS NULL AND routed_at IS NOT NULL"
        ),
        "double-assigned": stack.scalar(
            "SELECT count(*) FROM (SELECT lead_id FROM lead_event WHERE type = 'assigned' "
            "GROUP BY lead_id HAVING count(*) > 1) AS twice"
        ),
        "double-sent": max(0, len(wechat.server.messages("template")) - may_have_sent),
    }
    print(f"\nTALLY {scenario}: " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return figures


def post_enquiry(stack: LiveStack, i: int) -> int:
    response = requests.post(
        f"{stack.url}/api/leads",
        timeout=10,
        json={"need_type": "factory", "phone": f"1350000{i:04d}", "company": f"故障测试公司{i}"},
    )
    return response.status_code


def test_broker_down_while_200_enquiries_arrive_then_sweeper_routes_each_once(
    private_redis: PrivateRedis, e2e_database_url: str, tmp_path, wechat: Wechat
):
    with build_stack(e2e_database_url, private_redis.url, tmp_path) as stack:
        seed_agents(stack, 3)
        private_redis.stop()
        assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 503

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda i: post_enquiry(stack, i), range(200)))
        elapsed = time.monotonic() - started
        assert statuses == [201] * 200
        assert elapsed < 30, f"intake waited on the dead broker ({elapsed:.1f}s)"
        assert stack.scalar("SELECT count(*) FROM lead") == 200
        assert stack.scalar("SELECT count(*) FROM lead WHERE routed_at IS NULL") == 200

        private_redis.start()
        stack.start_worker(concurrency=2, extra_env=wechat.env)
        stack.start_beat(extra_env=wechat.env)
        wait_until(
            lambda: stack.scalar("SELECT count(*) FROM lead WHERE status = 'assigned'") == 200,
            timeout=120,
            message="the sweeper to route all 200 leads",
        )
        assert stack.scalar("SELECT count(*) FROM lead_event WHERE type = 'assigned'") == 200
        assert (
            stack.scalar(
                "SELECT count(*) FROM (SELECT lead_id FROM lead_event WHERE type = 'assigned' "
                "GROUP BY lead_id HAVING count(*) > 1) AS twice"
            )
            == 0
        )
        per_agent = [
            n for _, n in stack.rows("SELECT agent_id, count(*) FROM lead GROUP BY agent_id")
        ]
        assert sorted(per_agent) == [66, 67, 67]
        figures = tally(stack, "broker killed while 200 enquiries arrive", 200, wechat)
        assert figures["stored"] == figures["routed"] == 200
        assert figures["double-assigned"] == figures["double-sent"] == 0


def test_worker_killed_while_routing_redoes_the_work_and_assigns_once(
    live_stack: LiveStack, stack: LiveStack, wechat: Wechat
):
    seed_agents(stack, 2)
    lead_id = requests.post(
        f"{stack.url}/api/leads", timeout=5, json={"phone": "13511112222"}
    ).json()["id"]
    # Hold the lead's row lock so the worker blocks in the middle of routing it.
    engine = stack.app.extensions["db_engine"]
    blocker = engine.connect()
    blocker_tx = blocker.begin()
    blocker.execute(sa.text("SELECT id FROM lead WHERE id = :id FOR UPDATE"), {"id": lead_id})
    short_visibility = {
        **wechat.env,
        "PARKLEAD_CELERY_VISIBILITY_TIMEOUT": "5",
        "PARKLEAD_CELERY_UNACKED_RESTORE_SECONDS": "1",
    }
    victim = stack.start_worker(concurrency=1, extra_env=short_visibility)
    wait_until(
        lambda: (
            "tasks.leads.route_lead" in victim.log()
            and stack.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%FROM lead%FOR %UPDATE%'"
            )
            >= 1
        ),
        timeout=30,
        message="the worker to block",
    )
    victim.stop(signal.SIGKILL)
    blocker_tx.rollback()
    blocker.close()
    assert stack.scalar("SELECT agent_id FROM lead WHERE id = :id", id=lead_id) is None

    stack.start_worker(concurrency=1, extra_env=short_visibility)
    wait_until(
        lambda: stack.scalar("SELECT agent_id FROM lead WHERE id = :id", id=lead_id),
        timeout=60,
        message="the redelivered task to route the lead",
    )
    time.sleep(1)
    assert (
        stack.scalar(
            "SELECT count(*) FROM lead_event WHERE lead_id = :id AND type = 'assigned'", id=lead_id
        )
        == 1
    )
    figures = tally(stack, "worker SIGKILLed mid-routing", 1, wechat)
    assert figures["double-assigned"] == figures["double-sent"] == 0


REPEATS = 10
PHONES = 8


def test_the_same_phone_enquiring_10_times_at_once_while_its_lead_is_routed(
    live_stack: LiveStack, stack: LiveStack, wechat: Wechat
):
    """Each phone's first enquiry is followed at once by 10 concurrent repeats, while the
    workers route the first: every repeat answers 201 with a receipt of its own, none is
    lost, the lead is assigned once (docs/security.md)."""
    seed_agents(stack, 2)
    stack.start_worker(concurrency=2, extra_env=wechat.env)
    stack.start_worker(concurrency=2, extra_env=wechat.env)

    def enquire(phone: str, n: int) -> tuple[int, int]:
        response = requests.post(
            f"{stack.url}/api/leads",
            timeout=30,
            json={"phone": phone, "need_type": "factory", "message": f"第{n}次询问"},
        )
        return response.status_code, response.json().get("id", 0)

    answers: list[tuple[int, int]] = []
    first_ids = []
    with ThreadPoolExecutor(REPEATS) as pool:
        for p in range(PHONES):
            phone = f"1360000{p:04d}"
            status, first_id = enquire(phone, 0)  # its routing task is now on its way
            assert status == 201
            first_ids.append(first_id)
            answers += pool.map(lambda n, phone=phone: enquire(phone, n), range(1, REPEATS + 1))
    assert [status for status, _ in answers] == [201] * (PHONES * REPEATS)
    assert not set(first_ids) & {lead_id for _, lead_id in answers}  # receipts, not the lead

    wait_until(
        lambda: (
            stack.scalar(
                "SELECT count(*) FROM lead WHERE merged_into_id IS NULL AND agent_id IS NOT NULL"
            )
            == PHONES
        ),
        timeout=60,
        message="every phone's lead to be assigned",
    )
    for lead_id in first_ids:
        enquiries = stack.scalar(
            "SELECT count(*) FROM lead_event WHERE lead_id = :id AND type = 'enquiry'", id=lead_id
        )
        receipts = stack.scalar("SELECT count(*) FROM lead WHERE merged_into_id = :id", id=lead_id)
        assert enquiries == receipts == REPEATS, (lead_id, enquiries, receipts)
    figures = tally(
        stack, "the same phone 10 times at once while routed", PHONES * (1 + REPEATS), wechat
    )
    assert figures["stored"] == PHONES * (1 + REPEATS)
    assert figures["routed"] == PHONES
    assert figures["double-assigned"] == figures["double-sent"] == 0


def test_wechat_failing_half_its_calls_and_answering_late_sends_nothing_twice(
    live_stack: LiveStack, stack: LiveStack, wechat: Wechat
):
    """Half of WeChat's answers are 503s, and some template sends answer only after our
    timeout (they were delivered): every row ends sent, dead or "sent, answer unknown", and
    no message arrives twice."""
    seed_agents(stack, 2)
    wechat.server.add_fault(
        "delay", seconds=2.5, rate=0.1, times=None, path="/cgi-bin/message/template/send"
    )
    wechat.server.add_fault("5xx", status=503, rate=0.5, times=None)  # every /cgi-bin call
    env = {**wechat.env, "PARKLEAD_NOTIFY_MAX_ATTEMPTS": "10", "WECHAT_API_TIMEOUT_SECONDS": "1"}
    stack.start_worker(concurrency=3, extra_env=env)
    stack.start_worker(concurrency=2, extra_env=env)

    leads = 20
    for i in range(leads):
        response = requests.post(
            f"{stack.url}/api/leads", timeout=10, json={"phone": f"1370000{i:04d}"}
        )
        assert response.status_code == 201
    figures = tally(stack, "WeChat API failing half its calls", leads, wechat)
    statuses = dict(
        stack.rows("SELECT status, count(*) FROM notification GROUP BY status ORDER BY status")
    )
    print(f"outbox: {statuses}")
    assert set(statuses) <= {"sent", "dead", "unknown"}
    assert figures["stored"] == figures["routed"] == leads
    assert figures["double-assigned"] == figures["double-sent"] == 0
    faults = [r for r in wechat.server.requests() if r["fault"]]
    assert any(r["status"] == 503 for r in faults)


class StallingSmtp(SmtpCapture):
    """Stalls its first RCPT TO: the sender is mid-send, and nothing was accepted yet."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(120)  # the client dies meanwhile; the session is dropped
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_worker_killed_while_sending_redoes_the_send_and_delivers_once(
    live_stack: LiveStack, stack: LiveStack
):
    with StallingSmtp() as smtp:
        settings = {
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            "SMTP_TIMEOUT_SECONDS": "300",
            "PARKLEAD_NOTIFY_LEASE_SECONDS": "3",
            "PARKLEAD_CELERY_VISIBILITY_TIMEOUT": "5",
            "PARKLEAD_CELERY_UNACKED_RESTORE_SECONDS": "1",
        }
        with stack.app.app_context(), db.transaction():
            team = accounts.ensure_default_team()
            agent = accounts.create_agent(login="mailme", password="fault-password", team=team)
            agent.email = "mailme@park.example"
        victim = stack.start_worker(concurrency=1, extra_env=settings)
        lead_id = requests.post(
            f"{stack.url}/api/leads", timeout=5, json={"phone": "13522223333"}
        ).json()["id"]
        assert smtp.stalled.wait(60), "the worker never reached the SMTP server"
        victim.stop(signal.SIGKILL)
        assert smtp.received() == []

        stack.start_worker(concurrency=1, extra_env=settings)
        wait_until(
            lambda: (
                stack.scalar(
                    "SELECT status FROM notification WHERE lead_id = :id AND channel = 'email'",
                    id=lead_id,
                )
                == "sent"
            ),
            timeout=90,
            message="the e-mail to be sent after the kill",
        )
        time.sleep(2)  # any duplicate delivery would arrive by now
        assert len(smtp.received()) == 1
        assert smtp.received()[0]["To"] == "mailme@park.example"
        assert (
            stack.scalar(
                "SELECT attempts FROM notification WHERE lead_id = :id AND channel = 'email'",
                id=lead_id,
            )
            == 2
        )
