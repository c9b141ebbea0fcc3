"""Agents' skills in routing: within a team, agents skilled for the lead come first, then
generalists, then the others; the strategy picks among the best level available."""

from __future__ import annotations

from collections import Counter

import pytest

from app.accounts.models import Strategy
from app.core.db import db
from app.leads.models import EventType
from app.routing import strategies
from app.routing.strategies import FITS, GENERALIST, OFF_SKILL, Candidate
from tests.routing.helpers import events_of, hold_open_leads, owners, route, unrouted_lead

LAND = {"need_types": ["land"]}


@pytest.mark.parametrize(
    ("skills", "lead", "fit"),
    [
        (None, ("land", None, None), GENERALIST),
        ({}, ("land", "天元区", "新能源"), GENERALIST),
        (LAND, ("land", None, None), FITS),
        (LAND, ("factory", None, None), OFF_SKILL),
        (LAND, (None, None, None), GENERALIST),  # the lead does not say
        ({"districts": ["天元区"], "need_types": ["land"]}, ("land", "天元区", None), FITS),
        ({"districts": ["天元区"], "need_types": ["land"]}, ("land", "芦淞区", None), OFF_SKILL),
        ({"districts": ["天元区"]}, ("factory", None, None), GENERALIST),
        ({"industries": ["新能源", "汽车"]}, ("factory", None, "新能源电池"), FITS),
        ({"industries": ["新能源", "汽车"]}, ("factory", None, "食品加工"), OFF_SKILL),
    ],
)
def test_skill_fit(skills, lead, fit):
    assert strategies.skill_fit(skills, *lead) == fit


def test_best_fits_keeps_the_best_level_present():
    def c(agent_id: int) -> Candidate:
        from app.accounts.models import Agent

        return Candidate(Agent(id=agent_id, capacity=10, weight=1), 0)

    pool = [c(1), c(2), c(3)]
    assert [x.agent.id for x in strategies.best_fits(pool, {1: 0, 2: 2, 3: 2})] == [2, 3]
    assert [x.agent.id for x in strategies.best_fits(pool, {1: 0, 2: 1, 3: 0})] == [2]
    assert strategies.best_fits([], {}) == []


@pytest.mark.usefixtures("app")
def test_land_leads_go_to_the_land_specialists_and_the_rest_to_generalists(default_team, member):
    land_a, land_b = member(default_team, skills=LAND), member(default_team, skills=LAND)
    generalist = member(default_team)
    office = member(default_team, skills={"need_types": ["office"]})

    assert Counter(owners(6, need_type="land")) == {land_a.id: 3, land_b.id: 3}
    assert Counter(owners(4, need_type="factory")) == {generalist.id: 4}
    assert Counter(owners(2, need_type="office")) == {office.id: 2}


@pytest.mark.usefixtures("app")
def test_a_specialist_at_capacity_leaves_the_lead_to_the_others(default_team, member):
    default_team.strategy = Strategy.LEAST_LOADED
    db.session.commit()
    specialist = member(default_team, skills=LAND, capacity=1)
    hold_open_leads(specialist, 1)
    generalist = member(default_team)

    lead = unrouted_lead(need_type="land")
    route(lead)

    assert lead.agent_id == generalist.id
    why = events_of(lead, EventType.ASSIGNED)[0].data["why"]
    assert (
        why
        == f"least_loaded in team {default_team.name}; no agent skilled for this lead is available"
    )


@pytest.mark.usefixtures("app")
def test_dry_run_says_the_agent_was_chosen_for_skills(
    client, token_for, admin, member, default_team
):
    specialist = member(default_team, skills=LAND)
    member(default_team)

    body = client.post(
        "/api/routing/dry-run", headers=token_for(admin), json={"need_type": "land"}
    ).get_json()

    assert body["agent"]["id"] == specialist.id
    assert "among the agents skilled for this lead (1)" in body["reason"]
