"""Notifications end to end: a lead posted over HTTP, routed and notified by real Celery worker
processes on Redis and PostgreSQL, delivered to the fake WeChat API and a real SMTP server.
Deliveries are counted where they arrive."""

from __future__ import annotations

import collections
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db, utcnow
from app.devtools.fake_server import FakeWechatServer
from app.leads.models import format_reference
from app.notifications import service
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK, queue_notification
from tests.e2e.conftest import LiveStack, wait_until
from tests.notifications.helpers import RecordingDispatcher
from tests.notifications.servers import SmtpCapture

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

TEMPLATE_ID = "tmpl-e2e-lead-assigned"
UNFINISHED = ("pending", "sending", "failed")


@dataclass
class Receivers:
    wechat: FakeWechatServer
    smtp: SmtpCapture
    env: dict[str, str]


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    # An appid of this test's own: the worker keeps WeChat tokens in the shared Redis, keyed
    # by appid, and a token of an earlier fake server would be refused here.
    appid = f"wx{uuid.uuid4().hex[:16]}"
    wechat_server = FakeWechatServer(appid=appid, secret="e2e-secret", seed=20261124)
    with wechat_server as wechat, SmtpCapture() as smtp:
        env = {
            "WECHAT_APP_ID": appid,
            "WECHAT_APP_SECRET": "e2e-secret",
            "WECHAT_API_BASE_URL": wechat.url,
            "WECHAT_TEMPLATE_LEAD_ASSIGNED": TEMPLATE_ID,
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            # Quick retries, so a test sees several attempts in seconds.
            "PARKLEAD_NOTIFY_BACKOFF_BASE_SECONDS": "0.2",
            "PARKLEAD_NOTIFY_BACKOFF_MAX_SECONDS": "1",
        }
        yield Receivers(wechat, smtp, env)


def seed_agents(stack: LiveStack, count: int = 2) -> dict[int, tuple[str, str]]:
    """Agents of the default team, each with a WeChat openid and an e-mail address."""
    agents = {}
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        for i in range(count):
            agent = accounts.create_agent(
                login=f"notify{i}",
                password="e2e-password",
                team=team,
                role=Role.AGENT,
                email=f"agent{i}@park.example",
            )
            agent.wechat_openid = f"o-agent-{i}"
            agents[agent.id] = (agent.wechat_openid, agent.email)
    return agents


def notifications(stack: LiveStack) -> list[Any]:
    return stack.rows(
        "SELECT n.id, n.channel, n.recipient, n.status, n.attempts, n.last_error, n.lead_id, "
        "n.idempotency_key, l.id AS lid, l.created_at FROM notification n "
        "LEFT JOIN lead l ON l.id = n.lead_id ORDER BY n.id"
    )


def all_finished(stack: LiveStack, expected: int) -> bool:
    statuses = [r.status for r in notifications(stack)]
    return len(statuses) == expected and not any(s in UNFINISHED for s in statuses)


def reference_of(stack: LiveStack, lead_id: int) -> str:
    created_at = stack.scalar("SELECT created_at FROM lead WHERE id = :i", i=lead_id)
    return format_reference(lead_id, created_at)


def template_messages_by_key(wechat: FakeWechatServer) -> collections.Counter[tuple[str, str]]:
    """(openid, lead reference) of every template message the fake accepted."""
    return collections.Counter(
        (m["touser"], m["data"]["keyword1"]["value"]) for m in wechat.messages("template")
    )


def test_assigned_lead_reaches_the_agent_by_wechat_and_email_exactly_once(
    stack: LiveStack, receivers: Receivers
):
    agents = seed_agents(stack, count=1)
    [(openid, address)] = agents.values()
    stack.start_worker(extra_env=receivers.env)

    enquiry = {
        "need_type": "factory",
        "phone": "13812345678",
        "company": "湘能电池科技有限公司",
        "contact_name": "王先生",
        "area_min_m2": 5000,
    }
    response = requests.post(f"{stack.url}/api/leads", timeout=5, json=enquiry)
    assert response.status_code == 201
    lead_id, reference = response.json()["id"], response.json()["reference"]

    wait_until(lambda: all_finished(stack, 2), timeout=60, message="both notifications sent")
    assert {(r.channel, r.status) for r in notifications(stack)} == {
        ("wechat_template", "sent"),
        ("email", "sent"),
    }
    [template] = receivers.wechat.messages("template")
    assert template["touser"] == openid
    assert template["template_id"] == TEMPLATE_ID
    assert template["data"]["keyword1"]["value"] == reference
    [mail] = receivers.smtp.received()
    assert mail["To"] == address
    assert reference in mail["Subject"]
    timeline = "SELECT count(*) FROM lead_event WHERE lead_id = :i AND type = 'notification'"
    assert stack.scalar(timeline, i=lead_id) == 2

    # Nothing arrives twice: not from a sweep, not from waiting.
    stack.app.extensions["celery"].send_task("tasks.notifications.sweep_outbox", queue=stack.queue)
    time.sleep(1.5)
    assert len(receivers.wechat.messages()) == 1
    assert len(receivers.smtp.received()) == 1


def test_with_wechat_failing_every_notification_is_sent_once_or_dead_with_its_error(
    stack: LiveStack, receivers: Receivers
):
    agents = seed_agents(stack, count=2)
    receivers.wechat.add_fault("5xx", status=503, rate=0.2, times=None)  # every /cgi-bin call
    receivers.wechat.add_fault("errcode", errcode=40001, path="/cgi-bin/message/template/send")
    receivers.smtp.data_replies += ["451 4.3.0 try again later"] * 3  # retried
    receivers.smtp.rcpt_replies.append("550 5.1.1 mailbox unavailable")  # one e-mail dies
    env = {**receivers.env, "PARKLEAD_NOTIFY_MAX_ATTEMPTS": "4"}
    stack.start_worker(concurrency=3, extra_env=env)
    stack.start_worker(concurrency=2, extra_env=env)

    leads = 16
    for i in range(leads):
        enquiry = {"phone": f"1351234{i:04d}", "company": f"测试企业{i}"}
        response = requests.post(f"{stack.url}/api/leads", timeout=5, json=enquiry)
        assert response.status_code == 201

    wait_until(
        lambda: all_finished(stack, 2 * leads), timeout=120, message="all notifications done"
    )

    rows = notifications(stack)
    delivered = template_messages_by_key(receivers.wechat)
    outcome = collections.Counter((r.channel, r.status) for r in rows)
    assert {r.status for r in rows} <= {"sent", "dead"}
    for row in rows:
        if row.channel == "wechat_template":
            key = (row.recipient, reference_of(stack, row.lead_id))
            assert delivered[key] == (1 if row.status == "sent" else 0), (row, delivered[key])
        if row.status == "dead":
            assert row.last_error, row
    # Every message WeChat accepted belongs to a row recorded as sent: no strays, no doubles.
    assert sum(delivered.values()) == outcome[("wechat_template", "sent")]
    message_ids = [m["Message-ID"] for m in receivers.smtp.received()]
    assert len(message_ids) == len(set(message_ids)) == outcome[("email", "sent")] == leads - 1
    [refused] = [r for r in rows if r.channel == "email" and r.status == "dead"]
    assert "550" in refused.last_error
    assert refused.attempts == 1  # a refused address is final: not retried
    # The faults really fired, and failed attempts were retried.
    faults = [r for r in receivers.wechat.requests() if r["fault"]]
    assert any(r["status"] == 503 for r in faults)
    assert any(r["fault"] == "errcode" for r in faults)
    assert any(r.attempts > 1 for r in rows)
    print(
        f"\n{leads} leads, {len(agents)} agents -> {len(rows)} notifications: "
        + ", ".join(f"{c} {s}={n}" for (c, s), n in sorted(outcome.items()))
        + f"; {len(faults)} WeChat faults injected; attempts per row "
        + str(sorted(collections.Counter(r.attempts for r in rows).items()))
    )


def test_redelivered_send_tasks_deliver_once(stack: LiveStack, receivers: Receivers):
    with stack.app.app_context():
        notification = queue_notification(
            channel=NotificationChannel.EMAIL,
            kind="e2e",
            recipient="li@park.example",
            idempotency_key=f"e2e:{uuid.uuid4().hex}",
            payload={"subject": "重复投递测试", "body": "once"},
        )
        db.session.commit()
        notification_id = notification.id
    celery = stack.app.extensions["celery"]
    for _ in range(6):  # as if the broker redelivered it six times
        celery.send_task(SEND_TASK, args=(notification_id,), queue=stack.queue)
    stack.start_worker(concurrency=4, extra_env=receivers.env)

    wait_until(lambda: all_finished(stack, 1), timeout=30, message="sent")
    time.sleep(1.5)  # let every duplicate run

    assert len(receivers.smtp.received()) == 1
    assert stack.scalar("SELECT attempts FROM notification WHERE id = :i", i=notification_id) == 1


def test_two_sweepers_at_once_enqueue_each_lost_row_once(stack: LiveStack, monkeypatch):
    lost = 300
    with stack.app.app_context():
        long_ago = utcnow().replace(year=2020)
        db.session.add_all(
            Notification(
                channel=NotificationChannel.EMAIL,
                kind="e2e",
                recipient="li@park.example",
                idempotency_key=f"lost:{i}",
                payload={},
                status=NotificationStatus.PENDING,
                next_attempt_at=long_ago,
            )
            for i in range(lost)
        )
        db.session.commit()
    recorder = RecordingDispatcher(stack.app.extensions["dispatcher"])
    lock = threading.Lock()
    per_thread: dict[str, list[int]] = {}

    def record(name: str, args: tuple[Any, ...]) -> None:
        with lock:
            recorder.sent.append((name, args))
            per_thread.setdefault(threading.current_thread().name, []).append(args[0])

    monkeypatch.setattr(recorder, "send", record)
    monkeypatch.setitem(stack.app.extensions, "dispatcher", recorder)
    monkeypatch.setitem(stack.app.config, "NOTIFY_SWEEP_BATCH", 10)
    start = threading.Barrier(2)
    swept: dict[str, int] = {}

    def sweep() -> None:
        with stack.app.app_context():
            start.wait()
            swept[threading.current_thread().name] = service.sweep_outbox()

    threads = [threading.Thread(target=sweep, name=f"sweeper-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    ids = recorder.notification_ids
    assert len(ids) == len(set(ids)) == lost
    assert sum(swept.values()) == lost
    print(f"\nsweepers enqueued {swept} of {lost} lost rows, none twice")


def test_worker_killed_after_wechat_accepted_is_resent_once_the_lease_expires(
    stack: LiveStack, receivers: Receivers
):
    """The documented at-least-once window: WeChat accepted the message, the worker died
    before recording it. The row stays `sending` until its lease expires; the sweeper hands
    it out again and a second worker sends it a second time (nothing can tell them apart)."""
    seed_agents(stack, count=1)
    env = {
        **receivers.env,
        "SMTP_HOST": "",  # WeChat only
        "PARKLEAD_NOTIFY_LEASE_SECONDS": "2",
        "PARKLEAD_NOTIFY_SWEEP_GRACE_SECONDS": "0.5",
    }
    receivers.wechat.add_fault("delay", seconds=3, path="/cgi-bin/message/template/send")
    victim = stack.start_worker(concurrency=1, extra_env=env)
    requests.post(f"{stack.url}/api/leads", timeout=5, json={"phone": "13800001111"})
    sending = "SELECT count(*) FROM notification WHERE status = 'sending'"
    wait_until(lambda: stack.scalar(sending) == 1, timeout=30, message="send in flight")
    time.sleep(0.5)  # the fake WeChat holds the request, then accepts the message
    victim.stop(signal.SIGKILL)

    stack.start_worker(concurrency=1, extra_env=env)
    celery = stack.app.extensions["celery"]

    def swept_and_sent() -> bool:
        celery.send_task("tasks.notifications.sweep_outbox", queue=stack.queue)
        return stack.scalar("SELECT count(*) FROM notification WHERE status = 'sent'") == 1

    wait_until(swept_and_sent, timeout=30, interval=1, message="re-sent by the sweeper")
    wait_until(lambda: len(receivers.wechat.messages()) == 2, timeout=10, message="2 messages")
    assert stack.scalar("SELECT attempts FROM notification") == 2
    first, second = receivers.wechat.messages()
    assert first["data"] == second["data"]
