"""Fault tests on real Redis, PostgreSQL and worker processes: work is delayed, never lost."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app.accounts import service as accounts
from app.core.db import db
from tests.e2e.conftest import LiveStack, PrivateRedis, build_stack, wait_until
from tests.notifications.servers import SmtpCapture

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def seed_agents(stack: LiveStack, count: int) -> list[int]:
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        return [
            # Room for all 200 leads: routing skips agents at capacity (default 50).
            accounts.create_agent(
                login=f"fault{i}", password="fault-password", team=team, capacity=100
            ).id
            for i in range(count)
        ]


def post_enquiry(stack: LiveStack, i: int) -> int:
    response = requests.post(
        f"{stack.url}/api/leads",
        timeout=10,
        json={"need_type": "factory", "phone": f"1350000{i:04d}", "company": f"故障测试公司{i}"},
    )
    return response.status_code


def test_broker_down_while_200_enquiries_arrive_then_sweeper_routes_each_once(
    private_redis: PrivateRedis, e2e_database_url: str, tmp_path
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
        stack.start_worker(concurrency=2)
        stack.start_beat()
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


def test_worker_killed_while_routing_redoes_the_work_and_assigns_once(
    live_stack: LiveStack, stack: LiveStack
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
