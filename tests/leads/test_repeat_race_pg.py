"""A repeat enquiry is never lost to our own concurrency (docs/security.md), raced for real
on PostgreSQL: threads post the same phone through HTTP while the open lead is routed and
edited by others, each thread with its own connection, committing for real."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.core.db import db
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.routing import engine
from tests.support import committing_pg_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONCURRENT = 10
ROUNDS = 8
SEQUENTIAL = 40


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with committing_pg_app("repeat_race", tmp_path_factory.mktemp("repeat-race")) as app:
        with app.app_context(), db.transaction():
            team = accounts.ensure_default_team()
            accounts.create_agent(login="router", password="race-password", team=team)
        yield app


def post(app: Flask, phone: str, n: int) -> tuple[int, dict[str, Any]]:
    response = app.test_client().post(
        "/api/leads", json={"phone": phone, "message": f"第{n}次询问", "tax_wan": n}
    )
    return response.status_code, response.get_json()


def first_lead(app: Flask, phone: str) -> int:
    """A committed open lead for `phone` whose routing has not run yet."""
    with app.app_context(), db.transaction() as session:
        lead = Lead(channel=Channel.WEB_FORM, status=LeadStatus.NEW, phone=phone)
        session.add(lead)
        session.flush()
        return lead.id


def enquiry_events(app: Flask, lead_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(
                LeadEvent.lead_id == lead_id, LeadEvent.type == EventType.ENQUIRY
            )
        )


def race_round(app: Flask, phone: str, lead_id: int) -> dict[str, Any]:
    """CONCURRENT repeats of `phone` and the routing of its lead, all started at once."""
    start = threading.Barrier(CONCURRENT + 1)
    results: dict[str, Any] = {}

    def poster(n: int) -> None:
        start.wait()
        try:
            results[f"post{n}"] = post(app, phone, n)
        except Exception as exc:  # reported by the test, not lost in the thread
            results[f"post{n}"] = exc

    def router() -> None:
        start.wait()
        try:
            with app.app_context(), db.transaction():
                results["router"] = engine.route_lead(lead_id)
        except Exception as exc:
            results["router"] = exc

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(CONCURRENT)]
    threads.append(threading.Thread(target=router))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "stuck (deadlock?)"
    return results


def test_ten_concurrent_repeats_while_the_lead_is_routed_are_all_stored(race_app):
    tally: Counter[int] = Counter()
    for round_ in range(ROUNDS):
        phone = f"+861370001{round_:04d}"
        lead_id = first_lead(race_app, phone)
        results = race_round(race_app, phone, lead_id)
        errors = {k: v for k, v in results.items() if isinstance(v, Exception)}
        assert not errors, errors
        statuses = [results[f"post{n}"][0] for n in range(CONCURRENT)]
        tally.update(statuses)
        assert statuses == [201] * CONCURRENT, [results[f"post{n}"] for n in range(CONCURRENT)]
        # Every answer is a receipt of its own, never the open lead.
        ids = {results[f"post{n}"][1]["id"] for n in range(CONCURRENT)}
        assert len(ids) == CONCURRENT
        assert lead_id not in ids
        assert enquiry_events(race_app, lead_id) == CONCURRENT
        with race_app.app_context():
            lead = db.session.get(Lead, lead_id)
            assert lead.agent_id is not None
            assert lead.merged_into_id is None
            assert lead.tax_wan is not None  # a repeat filled the blank
    print(f"\n{ROUNDS}x{CONCURRENT} concurrent repeats while routing: {dict(tally)}")


def test_sequential_repeats_while_others_lock_and_change_the_lead_are_all_stored(race_app):
    """As routing does, another connection keeps locking the lead, changing it (a versioned
    change) and committing a moment later; repeats arriving meanwhile must wait, not lose."""
    phone = "+8613700029999"
    lead_id = first_lead(race_app, phone)
    stop = threading.Event()
    edits = Counter[str]()

    def editor() -> None:
        n = 0
        while not stop.is_set():
            with race_app.app_context(), db.transaction() as session:
                lead = session.scalars(
                    select(Lead).where(Lead.id == lead_id).with_for_update()
                ).one()
                lead.timeline = f"edit {n}"
                session.flush()  # the version moves on under the lock
                time.sleep(0.03)
            n += 1
            edits["edits"] += 1
            time.sleep(0.005)

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        statuses = Counter(post(race_app, phone, n)[0] for n in range(SEQUENTIAL))
    finally:
        stop.set()
        thread.join(30)
    assert statuses == {201: SEQUENTIAL}, statuses
    assert enquiry_events(race_app, lead_id) == SEQUENTIAL
    assert edits["edits"] > 0
    with race_app.app_context():
        assert db.session.get(Lead, lead_id).timeline.startswith("edit ")
