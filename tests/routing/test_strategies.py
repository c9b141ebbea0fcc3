"""Strategies within a team (app.routing.strategies and the engine): distributions over many
leads, the agents routing skips, and the pool when nobody fits."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from app.accounts.models import Agent, Strategy
from app.core.db import db, utcnow
from app.leads.models import EventType, Lead, LeadStatus
from app.routing import strategies
from app.routing.strategies import Candidate
from tests.routing.helpers import events_of, hold_open_leads, owners, route, unrouted_lead

# --- the pure choices ----------------------------------------------------------------------------


def candidate(agent_id: int, open_leads: int = 0, **settings) -> Candidate:
    agent = Agent(id=agent_id, capacity=settings.pop("capacity", 10), weight=1, **settings)
    return Candidate(agent, open_leads, recent_assignments=settings.pop("recent", 0))


def test_round_robin_takes_the_next_id_after_the_last():
    pool = [candidate(3), candidate(1), candidate(7)]
    assert strategies.round_robin(pool, last_agent_id=3).agent.id == 7
    assert strategies.round_robin(pool, last_agent_id=7).agent.id == 1
    assert strategies.round_robin(pool, last_agent_id=None).agent.id == 1


def test_least_loaded_compares_open_leads_relative_to_capacity():
    small = candidate(1, open_leads=4, capacity=10)  # 40 %
    large = candidate(2, open_leads=6, capacity=20)  # 30 %
    assert strategies.least_loaded([small, large]).agent.id == 2


def test_least_loaded_tie_goes_to_whoever_waited_longest():
    now = utcnow()
    recent = candidate(1, open_leads=2, last_assigned_at=now)
    waiting = candidate(2, open_leads=2, last_assigned_at=now - dt.timedelta(hours=1))
    assert strategies.least_loaded([recent, waiting]).agent.id == 2


def test_least_loaded_tie_prefers_an_agent_never_assigned():
    assigned = candidate(1, last_assigned_at=utcnow())
    never = candidate(2)
    assert strategies.least_loaded([assigned, never]).agent.id == 2


def test_weighted_sequence_gives_three_to_one_in_every_four():
    heavy, light = candidate(1), candidate(2)
    heavy.agent.weight = 3
    sequence = []
    for _ in range(8):
        chosen = strategies.weighted([heavy, light])
        chosen.recent_assignments += 1
        sequence.append(chosen.agent.id)
    assert sequence == [1, 1, 1, 2, 1, 1, 1, 2]


def test_pick_with_no_candidates_is_none():
    assert strategies.pick(Strategy.ROUND_ROBIN, [], last_agent_id=None) is None


# --- the engine over many leads -----------------------------------------------------------------

pytestmark_db = pytest.mark.usefixtures("app")


def with_strategy(team, strategy: Strategy) -> None:
    team.strategy = strategy
    db.session.commit()


@pytestmark_db
def test_round_robin_spreads_leads_evenly(default_team, member):
    agents = [member(default_team) for _ in range(3)]
    assert Counter(owners(30)) == {a.id: 10 for a in agents}


@pytestmark_db
def test_least_loaded_fills_agents_in_proportion_to_capacity(default_team, member):
    with_strategy(default_team, Strategy.LEAST_LOADED)
    small, large = member(default_team, capacity=10), member(default_team, capacity=20)
    hold_open_leads(large, 6)  # 30 % full; small is empty

    got = Counter(owners(24))

    # Both end at 100 %: small 10 of 10, large 6 + 14 of 20.
    assert got == {small.id: 10, large.id: 14}


@pytestmark_db
def test_least_loaded_gives_the_first_lead_to_the_emptiest_agent(default_team, member):
    with_strategy(default_team, Strategy.LEAST_LOADED)
    busy, free = member(default_team), member(default_team)
    hold_open_leads(busy, 3)
    hold_open_leads(free, 1)

    assert owners(1) == [free.id]


@pytestmark_db
def test_weighted_shares_leads_by_weight(default_team, member):
    with_strategy(default_team, Strategy.WEIGHTED)
    heavy, light = member(default_team, weight=3), member(default_team, weight=1)

    got = Counter(owners(40))

    assert got == {heavy.id: 30, light.id: 10}


@pytestmark_db
def test_weighted_counts_only_assignments_inside_the_window(app, default_team, member):
    with_strategy(default_team, Strategy.WEIGHTED)
    veteran, newcomer = member(default_team), member(default_team)
    old = utcnow() - dt.timedelta(days=app.config["ROUTING_WEIGHTED_WINDOW_DAYS"] + 1)
    hold_open_leads(veteran, 5)
    for held in db.session.scalars(select(Lead).where(Lead.agent_id == veteran.id)):
        held.assigned_at = old  # assigned before the window: no longer counted
    db.session.commit()

    assert Counter(owners(4)) == {veteran.id: 2, newcomer.id: 2}


# --- skipped agents and the pool ----------------------------------------------------------------


@pytestmark_db
def test_agent_at_capacity_is_skipped(default_team, member):
    full, other = member(default_team, capacity=2), member(default_team)
    hold_open_leads(full, 2)

    assert owners(3) == [other.id] * 3


@pytestmark_db
def test_closed_leads_do_not_count_towards_capacity(default_team, member):
    agent = member(default_team, capacity=2)
    hold_open_leads(agent, 5, status=LeadStatus.LOST)
    hold_open_leads(agent, 1)

    assert owners(1) == [agent.id]


@pytestmark_db
def test_agent_reaching_capacity_stops_receiving_leads(default_team, member):
    first, second = member(default_team, capacity=1), member(default_team, capacity=3)

    assert owners(4) == [first.id, second.id, second.id, second.id]


@pytestmark_db
def test_agent_outside_working_hours_is_skipped(default_team, member):
    member(default_team, working_hours={})  # no working time at all
    always = member(default_team, working_hours=None)

    assert owners(2) == [always.id, always.id]


@pytestmark_db
def test_agent_at_the_teams_private_lead_limit_is_skipped(default_team, member):
    default_team.max_private_leads = 2
    db.session.commit()
    limited, other = member(default_team, capacity=50), member(default_team, capacity=50)
    hold_open_leads(limited, 2)

    assert owners(2) == [other.id, other.id]


@pytestmark_db
def test_when_nobody_fits_the_lead_waits_in_the_teams_pool(default_team, member):
    full = member(default_team, capacity=0)
    off = member(default_team, working_hours={})
    gone = member(default_team, active=False)
    lead = unrouted_lead()

    outcome = route(lead)

    assert (outcome.agent_id, outcome.team_id) == (None, default_team.id)
    assert (lead.status, lead.team_id, lead.agent_id) == (LeadStatus.NEW, default_team.id, None)
    assert lead.routed_at is not None
    [pooled] = events_of(lead, EventType.UNASSIGNED)
    assert "no agent of team" in pooled.data["reason"]
    assert pooled.data["pool"] == default_team.id
    assert pooled.data["skipped"] == [
        {"agent_id": full.id, "reasons": ["at_capacity"]},
        {"agent_id": off.id, "reasons": ["outside_working_hours"]},
        {"agent_id": gone.id, "reasons": ["inactive"]},
    ]
    assert events_of(lead, EventType.ASSIGNED) == []


@pytestmark_db
def test_team_without_agents_leaves_the_lead_in_its_pool(default_team):
    outcome = route(unrouted_lead())

    assert outcome.agent_id is None
    assert "has no agents" in outcome.reason


@pytestmark_db
def test_assignment_records_when_the_agent_last_got_a_lead(default_team, member):
    agent = member(default_team)
    before = utcnow()

    owners(1)

    db.session.refresh(agent)
    assert agent.last_assigned_at >= before
