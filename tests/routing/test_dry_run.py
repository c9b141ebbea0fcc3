"""POST /api/routing/dry-run: where a lead would go and why, without changing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, Team
from app.core.db import db
from app.leads.models import LeadEvent
from tests.routing.helpers import hold_open_leads, unrouted_lead

pytestmark = pytest.mark.usefixtures("app")

MON_FRI = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
NATIONAL_DAY_10AM = "2025-10-01T10:00:00+08:00"
ORDINARY_TUESDAY_10AM = "2025-09-30T10:00:00+08:00"


def dry_run(client, headers, **body):
    return client.post("/api/routing/dry-run", headers=headers, json=body)


@pytest.fixture
def senior(make_team, member):
    team = make_team("重大项目组")
    return team, member(team, name="李总监")


def test_names_the_matching_rule_team_and_agent(client, token_for, admin, make_rule, senior):
    team, agent = senior
    rule = make_rule({"min_tax_wan": 1000}, team=team, name="大项目")

    response = dry_run(client, token_for(admin), tax_wan=1500, need_type="land")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rule"] == {"id": rule.id, "name": "大项目", "position": rule.position}
    assert body["team"] == {"id": team.id, "name": team.name}
    assert body["agent"]["id"] == agent.id
    assert (body["strategy"], body["pool"]) == ("round_robin", False)


def test_lists_the_rules_that_did_not_match_and_why(
    client, token_for, admin, make_rule, senior, default_team
):
    make_rule({"districts": ["芦淞区"]}, team=senior[0], name="芦淞")
    make_rule({"min_tax_wan": 1000}, team=senior[0], name="大项目")

    body = dry_run(client, token_for(admin), district="天元区", tax_wan=1200).get_json()

    assert [(r["name"], r["matched"]) for r in body["rules_checked"]] == [
        ("芦淞", False),
        ("大项目", True),
    ]
    assert body["rules_checked"][0]["reason"] == "district 天元区 is not one of 芦淞区"


def test_without_a_matching_rule_names_the_default_team(client, token_for, admin, default_team):
    body = dry_run(client, token_for(admin), need_type="office").get_json()

    assert body["rule"] is None
    assert body["team"]["id"] == default_team.id


def test_explains_every_skipped_agent(client, token_for, admin, member, default_team):
    default_team.max_private_leads = 3
    db.session.commit()
    gone = member(default_team, active=False)
    full = member(default_team, capacity=1)
    hold_open_leads(full, 1)
    limited = member(default_team, capacity=10)
    hold_open_leads(limited, 3)
    holiday = member(default_team, working_hours=MON_FRI)

    body = dry_run(client, token_for(admin), at=NATIONAL_DAY_10AM).get_json()

    reasons = {s["id"]: [r["code"] for r in s["reasons"]] for s in body["skipped"]}
    assert reasons == {
        gone.id: ["inactive"],
        full.id: ["at_capacity"],
        limited.id: ["over_private_lead_limit"],
        holiday.id: ["outside_working_hours"],
    }
    assert (body["pool"], body["agent"]) == (True, None)
    assert "pool" in body["reason"]


def test_skip_reasons_carry_readable_messages(client, token_for, admin, member, default_team):
    full = member(default_team, capacity=2)
    hold_open_leads(full, 2)

    body = dry_run(client, token_for(admin)).get_json()

    [skipped] = body["skipped"]
    assert skipped["reasons"][0]["message"] == "2 open leads, capacity 2"


def test_agent_with_office_hours_is_available_on_a_working_morning(
    client, token_for, admin, member, default_team
):
    agent = member(default_team, working_hours=MON_FRI)

    body = dry_run(client, token_for(admin), at=ORDINARY_TUESDAY_10AM).get_json()

    assert body["agent"]["id"] == agent.id
    assert body["skipped"] == []


def test_existing_lead_is_judged_with_its_own_fields(
    client, token_for, admin, make_rule, senior, default_team
):
    make_rule({"min_tax_wan": 1000}, team=senior[0])
    lead = unrouted_lead(tax_wan=3000)

    body = dry_run(client, token_for(admin), lead_id=lead.id).get_json()

    assert body["lead_id"] == lead.id
    assert body["score"] == lead.score
    assert body["team"]["id"] == senior[0].id


def test_score_is_computed_from_the_fields_unless_given(client, token_for, admin, default_team):
    headers = token_for(admin)
    computed = dry_run(client, headers, tax_wan=1000).get_json()["score"]
    assert computed > 0
    assert dry_run(client, headers, tax_wan=1000, score=77).get_json()["score"] == 77


def test_dry_run_changes_nothing(client, token_for, admin, member, default_team):
    member(default_team)
    lead = unrouted_lead()
    events = db.session.scalar(select(func.count()).select_from(LeadEvent))

    assert dry_run(client, token_for(admin), lead_id=lead.id).status_code == 200

    db.session.expire_all()
    assert db.session.get(Team, default_team.id).last_assigned_agent_id is None
    assert db.session.scalar(select(func.count()).select_from(LeadEvent)) == events
    assert lead.routed_at is None
    assert lead.agent_id is None


def test_team_lead_may_dry_run(client, token_for, member, default_team):
    lead_role = member(default_team, role=Role.LEAD)
    assert dry_run(client, token_for(lead_role)).status_code == 200


def test_agent_may_not_dry_run(client, token_for, agent):
    assert dry_run(client, token_for(agent)).status_code == 403


def test_lead_id_together_with_fields_is_400(client, token_for, admin, default_team):
    lead = unrouted_lead()
    response = dry_run(client, token_for(admin), lead_id=lead.id, tax_wan=5)
    assert response.status_code == 400
    assert "lead_id" in response.get_json()["error"]["fields"]


def test_unknown_lead_id_is_404(client, token_for, admin):
    assert dry_run(client, token_for(admin), lead_id=99999999).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at": "2025-10-01T10:00:00"}, "at"),
        ({"tax_wan": -1}, "tax_wan"),
        ({"need_type": "castle"}, "need_type"),
        ({"score": 101}, "score"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(client, token_for, admin, body, field):
    response = dry_run(client, token_for(admin), **body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
