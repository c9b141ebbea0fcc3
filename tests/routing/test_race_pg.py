"""Exactly-once assignment, raced for real on PostgreSQL (docs/routing.md).

Two routing workers and two claiming agents go for the same lead at the same instant, each in
its own thread with its own session and connection, committing for real on a database of
this test's own (not the rolled-back per-test transaction). Whatever the interleaving, one of
them gets the lead, there is one `assigned` event, and the others lose cleanly: the workers
find the lead routed and do nothing, the agents get 409 "already claimed by …" (or 404 when
the lead had already left their pool when they looked).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.routing import engine
from tests.support import committing_pg_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ITERATIONS = 100
WORKERS = 2
CLAIMERS = 2


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """ParkLead on a PostgreSQL database of its own, migrated, with real commits."""
    with committing_pg_app("routing_race", tmp_path_factory.mktemp("routing-race")) as app:
        yield app


@pytest.fixture(scope="module")
def claimers(race_app: Flask) -> list[tuple[int, dict[str, str]]]:
    """A team whose agents can all take leads; returns (agent id, bearer headers) of those who
    claim. A private-lead limit is set so that claims also take the agent-row lock."""
    with race_app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        team.max_private_leads = 10_000
        agents = [
            accounts.create_agent(
                login=f"racer{i}", password="race-password", team=team, capacity=10_000
            )
            for i in range(2 + CLAIMERS)
        ]
        for agent in agents:
            agent.role = Role.AGENT
        return [
            (a.id, {"Authorization": f"Bearer {accounts.issue_token(a)}"})
            for a in agents[-CLAIMERS:]
        ]


def committed_unrouted_lead(app: Flask, n: int) -> int:
    """A committed lead whose routing task has not run (none is queued: the race queues it)."""
    with app.app_context(), db.transaction() as session:
        lead = Lead(channel=Channel.WEB_FORM, status=LeadStatus.NEW, phone=f"+8613700{n:06d}")
        session.add(lead)
        session.flush()
        return lead.id


def race(app: Flask, lead_id: int, claimers: list[tuple[int, dict[str, str]]]) -> dict[str, Any]:
    """Start every contender at once; return what each got (or the exception it raised)."""
    start = threading.Barrier(WORKERS + len(claimers))
    results: dict[str, Any] = {}

    def worker(name: str) -> None:
        start.wait()
        with app.app_context(), db.transaction():
            results[name] = engine.route_lead(lead_id)

    def claimer(name: str, headers: dict[str, str]) -> None:
        client = app.test_client()
        start.wait()
        response = client.post(f"/api/leads/{lead_id}/claim", headers=headers)
        results[name] = (response.status_code, response.get_json())

    def guarded(name: str, target: Callable[..., None], *args: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                target(name, *args)
            except Exception as exc:  # reported by the test, not lost in the thread
                results[name] = exc

        return run

    threads = [threading.Thread(target=guarded(f"worker{i}", worker)) for i in range(WORKERS)]
    threads += [
        threading.Thread(target=guarded(f"claimer{agent_id}", claimer, headers))
        for agent_id, headers in claimers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a contender is stuck (deadlock?)"
    return results


def won(result: Any) -> bool:
    if isinstance(result, engine.RoutingOutcome):
        return result.agent_id is not None
    return isinstance(result, tuple) and result[0] == 200


def test_workers_and_claiming_agents_racing_assign_each_lead_exactly_once(race_app, claimers):
    tally: Counter[str] = Counter()
    for n in range(ITERATIONS):
        lead_id = committed_unrouted_lead(race_app, n)
        results = race(race_app, lead_id, claimers)

        errors = {k: v for k, v in results.items() if isinstance(v, Exception)}
        assert not errors, f"lead {lead_id}: {errors!r}"
        winners = [name for name, result in results.items() if won(result)]
        assert len(winners) == 1, f"lead {lead_id}: winners {winners}: {results!r}"
        tally["claim" if winners[0].startswith("claimer") else "worker"] += 1
        for name, result in results.items():
            if name == winners[0]:
                continue
            if name.startswith("worker"):
                assert result is None, f"losing worker did something: {result!r}"
            else:
                # A loser who saw it in the pool hears who won; one who looked after the
                # winner's commit no longer sees it (an agent sees only the pool and their own).
                status, body = result
                assert status in (404, 409), body
                if status == 409:
                    assert body["error"]["code"] == "already_claimed"
                    assert "already claimed by" in body["error"]["message"]

    with race_app.app_context():
        per_lead = select(LeadEvent.lead_id, func.count().label("n")).where(
            LeadEvent.type == EventType.ASSIGNED
        )
        counts = {i: n for i, n in db.session.execute(per_lead.group_by(LeadEvent.lead_id))}
        leads = db.session.scalars(select(Lead)).all()
        assert len(leads) == ITERATIONS
        assert all(counts.get(lead.id) == 1 for lead in leads), counts
        assert all(lead.status is LeadStatus.ASSIGNED and lead.agent_id for lead in leads)
        assert all(lead.routed_at is not None for lead in leads)
        # One status change per lead: nobody moved it from new to assigned twice.
        changes = db.session.scalar(
            select(func.count()).where(LeadEvent.type == EventType.STATUS_CHANGED)
        )
        assert changes == ITERATIONS
    print(f"\n{ITERATIONS} races: won by {dict(tally)}")


BATCH_ROUNDS = 10
BATCH = 12


def batch_race(
    app: Flask, ids: list[int], claimers: list[tuple[int, dict[str, str]]]
) -> dict[str, Any]:
    """Two workers route overlapping batches of `ids` (in opposite orders) while each
    claimer claims every third lead, all starting at once; what each got."""
    start = threading.Barrier(2 + len(claimers))
    results: dict[str, Any] = {}

    def worker(name: str, lead_ids: list[int]) -> None:
        start.wait()
        try:
            with app.app_context(), db.transaction():
                results[name] = engine.route_leads(lead_ids)
        except Exception as exc:  # reported by the test, not lost in the thread
            results[name] = exc

    def claimer(name: str, headers: dict[str, str], lead_ids: list[int]) -> None:
        client = app.test_client()
        start.wait()
        results[name] = [
            client.post(f"/api/leads/{i}/claim", headers=headers).status_code for i in lead_ids
        ]

    threads = [
        threading.Thread(target=worker, args=("worker0", ids[: len(ids) * 2 // 3])),
        threading.Thread(target=worker, args=("worker1", ids[len(ids) // 3 :][::-1])),
    ]
    threads += [
        threading.Thread(target=claimer, args=(f"claimer{n}", headers, ids[n::3]))
        for n, (_, headers) in enumerate(claimers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a contender is stuck (deadlock?)"
    return results


def test_overlapping_batches_and_claims_racing_assign_each_lead_exactly_once(race_app, claimers):
    """Two workers route overlapping batches (`engine.route_leads`: every lead, the team and
    its agents locked) while the agents claim some of the same leads: no deadlock, one winner
    per lead, one `assigned` and one status change each."""
    first_id = None
    for round_ in range(BATCH_ROUNDS):
        ids = [committed_unrouted_lead(race_app, 10_000 + round_ * BATCH + i) for i in range(BATCH)]
        first_id = first_id or ids[0]
        results = batch_race(race_app, ids, claimers)
        errors = {k: v for k, v in results.items() if isinstance(v, Exception)}
        assert not errors, errors
        routed = [o.lead_id for name in ("worker0", "worker1") for o in results[name]]
        assert len(routed) == len(set(routed)), f"a lead routed twice: {routed}"

    with race_app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.id >= first_id)).all()
        assert len(leads) == BATCH_ROUNDS * BATCH
        per_lead = (
            select(LeadEvent.lead_id, func.count())
            .where(LeadEvent.type == EventType.ASSIGNED, LeadEvent.lead_id >= first_id)
            .group_by(LeadEvent.lead_id)
        )
        counts = dict(db.session.execute(per_lead).all())
        assert all(counts.get(lead.id) == 1 for lead in leads), counts
        assert all(lead.status is LeadStatus.ASSIGNED and lead.agent_id for lead in leads)
        changes = db.session.scalar(
            select(func.count()).where(
                LeadEvent.type == EventType.STATUS_CHANGED, LeadEvent.lead_id >= first_id
            )
        )
        assert changes == len(leads)
