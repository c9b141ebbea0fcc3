"""Intake over real HTTP, routed by a real Celery worker process on Redis and PostgreSQL."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from tests.e2e.conftest import LiveStack, wait_until
from tests.support import make_app

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]


def seed_team(stack: LiveStack, agents: int = 2) -> list[int]:
    with stack.app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        return [
            accounts.create_agent(
                login=f"e2e{i}", password="e2e-password", team=team, role=Role.AGENT
            ).id
            for i in range(agents)
        ]


def assigned_agent(stack: LiveStack, lead_id: int) -> int | None:
    return stack.scalar(
        "SELECT agent_id FROM lead WHERE id = :id AND status = 'assigned'", id=lead_id
    )


def test_lead_posted_over_http_is_assigned_by_the_worker(stack: LiveStack):
    agent_ids = seed_team(stack)
    stack.start_worker()
    response = requests.post(
        f"{stack.url}/api/leads",
        timeout=5,
        json={
            "need_type": "factory",
            "phone": "13812345678",
            "company": "湘能电池科技有限公司",
            "message": "想租5000平厂房",
        },
    )
    assert response.status_code == 201
    lead_id = response.json()["id"]
    owner = wait_until(lambda: assigned_agent(stack, lead_id), message="assignment")
    assert owner in agent_ids
    events = stack.rows("SELECT type FROM lead_event WHERE lead_id = :id ORDER BY id", id=lead_id)
    assert [e.type for e in events] == ["created", "status_changed", "assigned"]


def test_the_worker_lowers_its_cpu_priority_and_still_routes(stack: LiveStack):
    """WORKER_NICE: on a host the worker shares with the web, the web's answers come first."""
    agent_ids = seed_team(stack)
    worker = stack.start_worker(concurrency=1, extra_env={"PARKLEAD_WORKER_NICE": "7"})
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == min(19, ours + 7)
    pool = [int(pid) for pid in _children(worker.process.pid)]
    assert pool
    assert all(os.getpriority(os.PRIO_PROCESS, pid) == min(19, ours + 7) for pid in pool)
    response = requests.post(
        f"{stack.url}/api/leads", timeout=5, json={"need_type": "land", "phone": "13912345670"}
    )
    assert response.status_code == 201
    owner = wait_until(lambda: assigned_agent(stack, response.json()["id"]), message="assignment")
    assert owner in agent_ids


def _children(pid: int) -> list[str]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as handle:
        return handle.read().split()


def test_leads_are_spread_round_robin_and_each_assigned_once(stack: LiveStack):
    agent_ids = seed_team(stack, agents=3)
    stack.start_worker(concurrency=2)
    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(
                lambda i: requests.post(
                    f"{stack.url}/api/leads", timeout=10, json={"phone": f"1390000{i:04d}"}
                ),
                range(30),
            )
        )
    assert {r.status_code for r in responses} == {201}
    wait_until(
        lambda: stack.scalar("SELECT count(*) FROM lead WHERE status = 'assigned'") == 30,
        message="30 assignments",
    )
    per_agent = dict(stack.rows("SELECT agent_id, count(*) FROM lead GROUP BY agent_id"))
    assert set(per_agent) == set(agent_ids)
    assert sorted(per_agent.values()) == [10, 10, 10]
    assert stack.scalar("SELECT count(*) FROM lead_event WHERE type = 'assigned'") == 30


def test_redelivered_routing_tasks_assign_only_once(stack: LiveStack):
    seed_team(stack, agents=2)
    lead_id = requests.post(
        f"{stack.url}/api/leads", timeout=5, json={"phone": "13812340000"}
    ).json()["id"]
    celery = stack.app.extensions["celery"]
    for _ in range(5):  # as if the broker redelivered the task five times
        celery.send_task("tasks.leads.route_lead", args=(lead_id,), queue=stack.queue)
    stack.start_worker(concurrency=2)
    wait_until(lambda: assigned_agent(stack, lead_id), message="assignment")
    time.sleep(1.5)  # let every duplicate run
    assert (
        stack.scalar(
            "SELECT count(*) FROM lead_event WHERE lead_id = :id AND type = 'assigned'", id=lead_id
        )
        == 1
    )
    assert stack.scalar("SELECT version FROM lead WHERE id = :id", id=lead_id) == 2


def test_intake_answers_while_broker_is_down_and_sweeper_routes_later(stack: LiveStack):
    seed_team(stack, agents=1)
    broken = make_app(
        stack.database_url, stack.tmp, REDIS_URL="redis://127.0.0.1:1/0", CELERY_QUEUE=stack.queue
    )
    client = broken.test_client()
    started = time.monotonic()
    ids = [
        client.post("/api/leads", json={"phone": f"1370000{i:04d}"}).get_json()["id"]
        for i in range(5)
    ]
    assert time.monotonic() - started < 5  # answered without waiting on the dead broker
    broken.extensions["dispatcher"].flush()
    assert stack.scalar("SELECT count(*) FROM lead WHERE routed_at IS NULL") == 5
    broken.extensions["db_engine"].dispose()

    stack.start_worker()
    time.sleep(1.1)  # older than PARKLEAD_ROUTING_SWEEP_AFTER_SECONDS=1
    stack.app.extensions["celery"].send_task("tasks.leads.sweep_unrouted", queue=stack.queue)
    wait_until(lambda: all(assigned_agent(stack, i) for i in ids), message="sweeper routing")


def test_rate_limit_counts_live_in_redis(stack: LiveStack):
    """With REDIS_URL set, the per-IP counters are in Redis, so every web process (and
    machine) shares one budget."""
    app = make_app(
        stack.database_url,
        stack.tmp / "limited",
        REDIS_URL=stack.redis_url,
        CELERY_QUEUE=stack.queue,
        INTAKE_RATE_LIMIT="3/minute",
    )
    address = f"198.51.100.{time.time_ns() % 250 + 1}"  # a fresh client for every run
    client = app.test_client()
    statuses = [
        client.post(
            "/api/leads", json={"phone": f"1360000{i:04d}"}, environ_base={"REMOTE_ADDR": address}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    keys = redis.Redis.from_url(stack.redis_url).keys(f"*{address}*")
    assert keys, "the limiter's counter for this address is stored in Redis"
    app.extensions["dispatcher"].flush()
    app.extensions["db_engine"].dispose()
