"""Two agents reserve the same listing for two leads at the same instant, for real on
PostgreSQL (docs/listings.md "Status"): exactly one wins, the other gets 409, and only the
winner's reservation is on the listing's history and a lead's timeline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.listings import service
from app.listings.models import ListingEvent, ListingEventType, ListingStatus
from tests.listings.conftest import FACTORY
from tests.support import committing_pg_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ITERATIONS = 30


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with committing_pg_app("reserve_race", tmp_path_factory.mktemp("reserve-race")) as app:
        yield app


@pytest.fixture(scope="module")
def racers(race_app: Flask) -> list[dict[str, str]]:
    """Two team leads (they see every lead of the team): bearer headers."""
    with race_app.app_context(), db.transaction():
        team = accounts.ensure_default_team()
        headers = []
        for i in range(2):
            agent = accounts.create_agent(login=f"reserver{i}", password="race-password", team=team)
            agent.role = Role.LEAD
            headers.append({"Authorization": f"Bearer {accounts.issue_token(agent)}"})
        return headers


def committed_listing_and_leads(app: Flask, n: int) -> tuple[int, list[int]]:
    with app.app_context(), db.transaction() as session:
        team = accounts.ensure_default_team()
        leads = []
        for i in range(2):
            lead = Lead(
                channel=Channel.WEB_FORM,
                status=LeadStatus.ASSIGNED,
                team_id=team.id,
                phone=f"+8613800{n:04d}{i:02d}",
            )
            session.add(lead)
            leads.append(lead)
        listing = service.create_listing(FACTORY, by=None)
        session.flush()
        return listing.id, [lead.id for lead in leads]


def race(app: Flask, listing_id: int, lead_ids: list[int], racers: list[dict[str, str]]) -> list:
    start = threading.Barrier(len(racers))
    results: list[Any] = [None] * len(racers)

    def reserve(i: int) -> None:
        try:
            client = app.test_client()
            start.wait()
            response = client.post(
                f"/api/listings/{listing_id}/reserve",
                json={"lead_id": lead_ids[i]},
                headers=racers[i],
            )
            results[i] = (response.status_code, response.get_json())
        except Exception as exc:  # reported by the test, not lost in the thread
            results[i] = exc

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a reservation is stuck (deadlock?)"
    return results


def test_two_reservations_at_once_exactly_one_wins(race_app, racers):
    for n in range(ITERATIONS):
        listing_id, lead_ids = committed_listing_and_leads(race_app, n)
        results = race(race_app, listing_id, lead_ids, racers)
        assert not [r for r in results if isinstance(r, Exception)], results
        statuses = sorted(status for status, _body in results)
        assert statuses == [200, 409], results
        winner = next(i for i, (status, _b) in enumerate(results) if status == 200)
        loser_body = results[1 - winner][1]
        assert loser_body["error"]["code"] == "already_reserved"

        with race_app.app_context():
            listing = service.get_listing(listing_id)
            assert listing.status is ListingStatus.RESERVED
            assert listing.reserved_for_lead_id == lead_ids[winner]
            changes = db.session.scalar(
                select(func.count()).where(
                    ListingEvent.listing_id == listing_id,
                    ListingEvent.type == ListingEventType.STATUS_CHANGED,
                )
            )
            assert changes == 1
            on_timelines = db.session.execute(
                select(LeadEvent.lead_id).where(
                    LeadEvent.lead_id.in_(lead_ids), LeadEvent.type == EventType.LISTING
                )
            ).all()
            assert [row.lead_id for row in on_timelines] == [lead_ids[winner]]
            db.session.remove()
