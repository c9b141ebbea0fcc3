"""Routing rules: each condition (app.routing.rules.mismatch), and the engine taking the first
active matching rule in order, or the default team when none matches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.accounts.models import Strategy
from app.core.db import db
from app.leads.models import Channel, EventType, Lead, LeadStatus, NeedType
from app.routing.rules import mismatch
from tests.routing.helpers import events_of, hold_open_leads, route, unrouted_lead


def lead(**fields: Any) -> Lead:
    fields.setdefault("channel", Channel.WEB_FORM)
    fields.setdefault("need_type", NeedType.FACTORY)
    fields.setdefault("source", {})
    for key in ("tax_wan", "investment_wan", "area_min_m2", "area_max_m2"):
        if key in fields:
            fields[key] = Decimal(str(fields[key]))
    return Lead(**fields)


def matches(conditions: dict[str, Any], score: int = 0, **fields: Any) -> bool:
    return mismatch(conditions, lead(**fields), score) is None


# --- each condition --------------------------------------------------------------------------


def test_rule_without_conditions_matches_every_lead():
    assert matches({})


def test_need_types_match_any_listed():
    assert matches({"need_types": ["land", "factory"]}, need_type=NeedType.FACTORY)
    assert not matches({"need_types": ["land"]}, need_type=NeedType.FACTORY)


def test_districts_match_exactly():
    assert matches({"districts": ["芦淞区", "荷塘区"]}, district="荷塘区")
    assert not matches({"districts": ["芦淞区"]}, district="天元区")


def test_district_condition_fails_when_the_lead_names_no_district():
    assert mismatch({"districts": ["芦淞区"]}, lead(), 0) == "no district stated"


def test_industries_match_as_case_insensitive_substrings():
    assert matches({"industries": ["电池"]}, industry="新能源电池")
    assert matches({"industries": ["ev"]}, industry="EV parts")
    assert not matches({"industries": ["电池"]}, industry="轨道交通装备")


def test_deals_match_listed_deals_and_a_lead_open_to_any_deal():
    assert matches({"deals": ["buy"]}, deal="buy")
    assert matches({"deals": ["buy"]}, deal="any")
    assert not matches({"deals": ["buy"]}, deal="rent")
    assert not matches({"deals": ["buy"]})


def test_channels_match_the_lead_channel():
    assert matches({"channels": ["wechat"]}, channel=Channel.WECHAT)
    assert not matches({"channels": ["wechat"]}, channel=Channel.WEB_FORM)


def test_scenes_match_the_wechat_scene_in_the_source():
    assert matches({"scenes": ["expo2025"]}, source={"scene": "expo2025"})
    assert not matches({"scenes": ["expo2025"]}, source={"scene": "brochure"})
    assert not matches({"scenes": ["expo2025"]}, source={"utm_source": "baidu"})


def test_min_area_is_compared_with_the_largest_stated_area():
    assert matches({"min_area_m2": 10000}, area_min_m2=3000, area_max_m2=12000)
    assert matches({"min_area_m2": 10000}, area_min_m2=10000)
    assert not matches({"min_area_m2": 10000}, area_min_m2=3000, area_max_m2=5000)
    assert not matches({"min_area_m2": 10000})


def test_max_area_is_compared_with_the_smallest_stated_area():
    assert matches({"max_area_m2": 1000}, area_min_m2=300, area_max_m2=5000)
    assert not matches({"max_area_m2": 1000}, area_min_m2=3000)


def test_min_tax_is_a_threshold_on_expected_tax():
    assert matches({"min_tax_wan": 1000}, tax_wan=1000)
    assert not matches({"min_tax_wan": 1000}, tax_wan="999.99")


def test_min_tax_does_not_match_a_lead_of_unknown_tax():
    assert mismatch({"min_tax_wan": 1000}, lead(), 0) == "no tax figure stated"


def test_min_investment_is_a_threshold_on_investment():
    assert matches({"min_investment_wan": 5000}, investment_wan=50000)
    assert not matches({"min_investment_wan": 5000}, investment_wan=100)
    assert not matches({"min_investment_wan": 5000})


def test_min_score_is_compared_with_the_lead_score():
    assert matches({"min_score": 60}, score=60)
    assert not matches({"min_score": 60}, score=59)


def test_every_condition_must_hold():
    conditions = {"need_types": ["land"], "min_tax_wan": 500}
    assert matches(conditions, need_type=NeedType.LAND, tax_wan=600)
    assert not matches(conditions, need_type=NeedType.LAND, tax_wan=100)
    assert not matches(conditions, need_type=NeedType.FACTORY, tax_wan=600)


def test_unknown_condition_never_matches():
    assert mismatch({"colour": ["red"]}, lead(), 0) == "unknown condition 'colour'"


def test_mismatch_says_which_condition_failed():
    reason = mismatch({"districts": ["芦淞区"]}, lead(district="天元区"), 0)
    assert reason == "district 天元区 is not one of 芦淞区"


# --- the engine picks the first active match ---------------------------------------------------

pytestmark_db = pytest.mark.usefixtures("app")


@pytest.fixture
def senior(make_team, member):
    team = make_team("重大项目组")
    return team, member(team)


@pytest.fixture
def general(default_team, member):
    return default_team, member(default_team)


@pytestmark_db
def test_lead_matching_a_rule_goes_to_its_team(make_rule, senior, general):
    team, senior_agent = senior
    rule = make_rule({"min_tax_wan": 1000}, team=team)

    lead_ = unrouted_lead(tax_wan=1500)
    outcome = route(lead_)

    assert (outcome.team_id, outcome.agent_id, outcome.rule_id) == (
        team.id,
        senior_agent.id,
        rule.id,
    )
    [assigned] = events_of(lead_, EventType.ASSIGNED)
    assert assigned.data["rule_id"] == rule.id


@pytestmark_db
def test_lead_matching_no_rule_goes_to_the_default_team(make_rule, senior, general):
    make_rule({"min_tax_wan": 1000}, team=senior[0])

    outcome = route(unrouted_lead(tax_wan=50))

    assert (outcome.team_id, outcome.agent_id, outcome.rule_id) == (
        general[0].id,
        general[1].id,
        None,
    )


@pytestmark_db
def test_first_matching_rule_by_position_wins(make_rule, make_team, member, general):
    land_team, tax_team = make_team("土地组"), make_team("税收组")
    member(land_team)
    member(tax_team)
    make_rule({"min_tax_wan": 100}, team=tax_team, position=2)
    make_rule({"need_types": ["land"]}, team=land_team, position=1)

    outcome = route(unrouted_lead(need_type=NeedType.LAND, tax_wan=500))

    assert outcome.team_id == land_team.id


@pytestmark_db
def test_inactive_rule_is_skipped(make_rule, senior, general):
    make_rule({}, team=senior[0], active=False)

    assert route(unrouted_lead()).team_id == general[0].id


@pytestmark_db
def test_rule_whose_team_is_inactive_is_skipped(make_rule, senior, general):
    team, _ = senior
    team.active = False
    db.session.commit()
    make_rule({}, team=team)

    assert route(unrouted_lead()).team_id == general[0].id


@pytestmark_db
def test_min_score_rule_uses_the_score_stored_on_the_lead(make_rule, senior, general):
    make_rule({"min_score": 50}, team=senior[0])
    rich = unrouted_lead(tax_wan=2000, investment_wan=20000, area_min_m2=30000, company="X")
    bare = unrouted_lead()
    assert rich.score >= 50 > bare.score

    assert route(rich).team_id == senior[0].id
    assert route(bare).team_id == general[0].id


@pytestmark_db
def test_wechat_scene_rule_routes_leads_from_that_qr_code(make_rule, senior, general):
    make_rule({"scenes": ["expo2025"]}, team=senior[0])

    fair = unrouted_lead(channel=Channel.WECHAT, source={"scene": "expo2025"})

    assert route(fair).team_id == senior[0].id


@pytestmark_db
def test_rule_strategy_overrides_the_team_strategy(make_rule, make_team, member, default_team):
    team = make_team("组")
    busy, idle = member(team, capacity=10), member(team, capacity=10)
    hold_open_leads(busy, 5)
    team.last_assigned_agent_id = None  # round robin alone would pick `busy` (lower id)
    db.session.commit()
    make_rule({}, team=team, strategy=Strategy.LEAST_LOADED)

    assert route(unrouted_lead()).agent_id == idle.id


@pytestmark_db
def test_rule_naming_an_agent_gives_the_lead_to_that_agent(make_rule, senior, general):
    _, senior_agent = senior
    make_rule({"need_types": ["land"]}, agent=senior_agent)

    outcome = route(unrouted_lead(need_type=NeedType.LAND))

    assert outcome.agent_id == senior_agent.id
    assert outcome.reason == "rule_agent"


@pytestmark_db
def test_rule_naming_an_unavailable_agent_leaves_the_lead_in_their_teams_pool(
    make_rule, senior, general
):
    team, senior_agent = senior
    senior_agent.capacity = 0
    db.session.commit()
    make_rule({}, agent=senior_agent)

    lead_ = unrouted_lead()
    outcome = route(lead_)

    assert (outcome.agent_id, outcome.team_id) == (None, team.id)
    assert lead_.status is LeadStatus.NEW
    [pooled] = events_of(lead_, EventType.UNASSIGNED)
    assert "capacity 0" in pooled.data["reason"]
    assert pooled.data["skipped"] == [{"agent_id": senior_agent.id, "reasons": ["at_capacity"]}]
