"""app.routing.engine.route_lead: round-robin within the default team, exactly once.

Leads here are inserted unrouted (as a committed lead whose routing task has not run yet) and
routed by calling the engine directly, as the Celery task does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import Role, Team
from app.core.db import db, utcnow
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.routing.engine import route_lead, unrouted_lead_ids
from tests.conftest import fresh_phone

pytestmark = pytest.mark.usefixtures("app")  # both backends, rolled back after each test


def unrouted_lead(**fields: Any) -> Lead:
    """A committed lead the worker still owes a routing (no task is queued for it here)."""
    fields.setdefault("phone", fresh_phone())
    fields.setdefault("status", LeadStatus.NEW)
    lead = Lead(channel=Channel.WEB_FORM, **fields)
    db.session.add(lead)
    db.session.commit()
    return lead


def route(lead: Lead):
    outcome = route_lead(lead.id)
    db.session.commit()
    return outcome


def owners(count: int) -> list[int | None]:
    leads = [unrouted_lead() for _ in range(count)]
    for lead in leads:
        route(lead)
    return [db.session.get(Lead, lead.id).agent_id for lead in leads]


def events_of(lead: Lead, type_: EventType) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))


# --- the round --------------------------------------------------------------------------------


def test_leads_go_to_each_active_agent_in_turn(make_agent, default_team):
    team = [make_agent(team=default_team) for _ in range(3)]
    assert owners(3) == [a.id for a in team]


def test_round_robin_wraps_around_to_the_first_agent(make_agent, default_team):
    first, second = make_agent(team=default_team), make_agent(team=default_team)
    assert owners(5) == [first.id, second.id, first.id, second.id, first.id]


def test_round_robin_continues_after_the_last_assigned_agent(make_agent, default_team):
    first, second, third = (make_agent(team=default_team) for _ in range(3))
    default_team.last_assigned_agent_id = second.id
    db.session.commit()

    assert owners(2) == [third.id, first.id]


def test_agent_who_joins_the_team_gets_a_turn(make_agent, default_team):
    first = make_agent(team=default_team)
    assert owners(1) == [first.id]
    newcomer = make_agent(team=default_team)
    assert owners(2) == [newcomer.id, first.id]


def test_inactive_agents_are_skipped(make_agent, default_team):
    first = make_agent(team=default_team)
    make_agent(team=default_team, active=False)
    third = make_agent(team=default_team)

    assert owners(3) == [first.id, third.id, first.id]


def test_admins_are_skipped(make_agent, default_team):
    make_agent(team=default_team, role=Role.ADMIN)
    worker = make_agent(team=default_team)

    assert owners(2) == [worker.id, worker.id]


def test_agents_of_other_teams_are_skipped(make_agent, make_team, default_team):
    make_agent(team=make_team("招商二部"))
    own = make_agent(team=default_team)

    assert owners(2) == [own.id, own.id]


def test_assignment_sets_status_team_time_and_events(make_agent, default_team):
    agent = make_agent(team=default_team)
    lead = unrouted_lead()

    outcome = route(lead)

    stored = db.session.get(Lead, lead.id)
    assert (outcome.agent_id, outcome.team_id) == (agent.id, default_team.id)
    assert stored.status is LeadStatus.ASSIGNED
    assert (stored.agent_id, stored.team_id) == (agent.id, default_team.id)
    assert stored.assigned_at is not None
    assert stored.routed_at is not None
    [changed] = events_of(lead, EventType.STATUS_CHANGED)
    assert (changed.data["from"], changed.data["to"]) == ("new", "assigned")
    [assigned] = events_of(lead, EventType.ASSIGNED)
    assert assigned.data["agent_id"] == agent.id


def test_team_remembers_who_got_the_last_lead(make_agent, default_team):
    make_agent(team=default_team)
    second = make_agent(team=default_team)
    owners(2)
    db.session.expire_all()
    assert db.session.get(Team, default_team.id).last_assigned_agent_id == second.id


# --- nobody to give it to: the pool ----------------------------------------------------------


def test_without_a_default_team_the_lead_stays_in_the_pool(make_agent, make_team):
    make_agent(team=make_team("招商二部"))
    lead = unrouted_lead()

    outcome = route(lead)

    stored = db.session.get(Lead, lead.id)
    assert outcome.agent_id is None
    assert stored.status is LeadStatus.NEW
    assert stored.agent_id is None
    assert stored.team_id is None
    assert stored.routed_at is not None
    [unassigned] = events_of(lead, EventType.UNASSIGNED)
    assert "default team" in unassigned.data["reason"]


def test_without_an_active_agent_the_lead_waits_in_the_default_teams_pool(make_agent, default_team):
    make_agent(team=default_team, active=False)
    make_agent(team=default_team, role=Role.ADMIN)
    lead = unrouted_lead()

    outcome = route(lead)

    stored = db.session.get(Lead, lead.id)
    assert outcome.agent_id is None
    assert outcome.team_id == default_team.id
    assert stored.status is LeadStatus.NEW
    assert stored.agent_id is None
    assert stored.team_id == default_team.id
    assert stored.routed_at is not None
    [unassigned] = events_of(lead, EventType.UNASSIGNED)
    assert unassigned.data["pool"] == default_team.id
    assert events_of(lead, EventType.ASSIGNED) == []


def test_pooled_lead_is_not_picked_up_again_by_the_sweeper(default_team):
    lead = unrouted_lead(created_at=utcnow() - dt.timedelta(hours=1))
    route(lead)
    assert lead.id not in unrouted_lead_ids(older_than_seconds=60)


# --- exactly once ---------------------------------------------------------------------------


def test_routing_a_routed_lead_again_changes_nothing(make_agent, default_team):
    first, _second = make_agent(team=default_team), make_agent(team=default_team)
    lead = unrouted_lead()
    route(lead)
    version = db.session.get(Lead, lead.id).version
    event_count = len(
        list(db.session.scalars(select(LeadEvent.id).where(LeadEvent.lead_id == lead.id)))
    )

    assert route(lead) is None

    db.session.expire_all()
    stored = db.session.get(Lead, lead.id)
    assert stored.agent_id == first.id
    assert stored.version == version
    assert db.session.get(Team, default_team.id).last_assigned_agent_id == first.id
    assert (
        len(list(db.session.scalars(select(LeadEvent.id).where(LeadEvent.lead_id == lead.id))))
        == event_count
    )


def test_routing_an_unknown_lead_returns_none():
    assert route_lead(2_000_000_000) is None


def test_lead_claimed_before_routing_is_not_reassigned(make_agent, default_team):
    make_agent(team=default_team)
    claimer = make_agent(team=default_team)
    lead = unrouted_lead(agent_id=claimer.id, status=LeadStatus.ASSIGNED, team_id=default_team.id)

    outcome = route(lead)

    stored = db.session.get(Lead, lead.id)
    assert outcome.agent_id == claimer.id
    assert stored.agent_id == claimer.id
    assert stored.routed_at is not None
    assert events_of(lead, EventType.ASSIGNED) == []
    assert db.session.get(Team, default_team.id).last_assigned_agent_id is None


def test_lead_marked_spam_before_routing_is_not_assigned(make_agent, default_team):
    make_agent(team=default_team)
    lead = unrouted_lead(status=LeadStatus.SPAM)

    route(lead)

    stored = db.session.get(Lead, lead.id)
    assert stored.status is LeadStatus.SPAM
    assert stored.agent_id is None
    assert stored.routed_at is not None


# --- what the sweeper re-enqueues -------------------------------------------------------------


def test_unrouted_lead_ids_lists_only_old_unrouted_leads(default_team):
    long_ago = utcnow() - dt.timedelta(minutes=10)
    old_unrouted = unrouted_lead(created_at=long_ago)
    fresh_unrouted = unrouted_lead()
    old_routed = unrouted_lead(created_at=long_ago, routed_at=long_ago)

    ids = unrouted_lead_ids(older_than_seconds=60)

    assert old_unrouted.id in ids
    assert fresh_unrouted.id not in ids
    assert old_routed.id not in ids


def test_unrouted_lead_ids_lists_the_oldest_first_up_to_the_limit(default_team):
    now = utcnow()
    leads = [unrouted_lead(created_at=now - dt.timedelta(minutes=m)) for m in (5, 30, 15)]
    mine = {lead.id for lead in leads}

    ids = [i for i in unrouted_lead_ids(older_than_seconds=60) if i in mine]
    assert ids == [leads[1].id, leads[2].id, leads[0].id]
    assert len(unrouted_lead_ids(older_than_seconds=60, limit=2)) == 2
