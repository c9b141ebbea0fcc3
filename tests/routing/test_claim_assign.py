"""POST /api/leads/<id>/claim and /assign, and GET /api/routing/pool, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core.db import db, utcnow
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.routing.engine import route_lead
from tests.routing.helpers import events_of, hold_open_leads, unrouted_lead

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def pooled(default_team):
    """A routed lead waiting in the default team's pool (as routing leaves it when nobody
    is available; routing itself is tested in test_strategies)."""

    def _make(**fields) -> Lead:
        return unrouted_lead(team_id=default_team.id, routed_at=utcnow(), **fields)

    return _make


@pytest.fixture
def other_team(make_team):
    return make_team("招商二部")


@pytest.fixture
def team_lead(member, default_team):
    return member(default_team, role=Role.LEAD, login="zhou")


def claim(client, headers, lead):
    return client.post(f"/api/leads/{lead.id}/claim", headers=headers)


def assign(client, headers, lead, agent_id):
    return client.post(f"/api/leads/{lead.id}/assign", headers=headers, json={"agent_id": agent_id})


# --- claiming ------------------------------------------------------------------------------------


def test_agent_of_the_team_claims_a_pooled_lead(client, token_for, member, default_team, pooled):
    lead = pooled()
    agent = member(default_team)

    response = claim(client, token_for(agent), lead)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["agent"]["id"] == agent.id
    assert body["status"] == "assigned"
    db.session.refresh(lead)
    assert (lead.agent_id, lead.status) == (agent.id, LeadStatus.ASSIGNED)
    [assigned] = events_of(lead, EventType.ASSIGNED)
    assert (assigned.data["reason"], assigned.agent_id) == ("claimed", agent.id)
    assert assigned.data["from_agent_id"] is None


def test_second_claim_by_an_agent_who_can_no_longer_see_it_is_404_naming_nobody(
    client, token_for, member, default_team, pooled
):
    lead = pooled()
    first, second = member(default_team, name="张敏"), member(default_team)
    assert claim(client, token_for(first), lead).status_code == 200

    response = claim(client, token_for(second), lead)

    assert response.status_code == 404
    assert "张敏" not in response.get_data(as_text=True)
    assert len(events_of(lead, EventType.ASSIGNED)) == 1


def test_team_lead_who_sees_the_lead_hears_who_claimed_it(
    client, token_for, member, default_team, pooled, team_lead
):
    lead = pooled()
    assert claim(client, token_for(member(default_team, name="张敏")), lead).status_code == 200

    response = claim(client, token_for(team_lead), lead)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "already_claimed"
    assert "already claimed by 张敏" in error["message"]


def test_agent_of_another_team_may_not_claim(client, token_for, member, other_team, pooled):
    lead = pooled()

    response = claim(client, token_for(member(other_team)), lead)

    assert response.status_code == 404  # another team's pool is not theirs to see
    assert db.session.get(Lead, lead.id).agent_id is None


def test_team_lead_claims_a_pooled_lead(client, token_for, team_lead, pooled):
    lead = pooled()
    assert claim(client, token_for(team_lead), lead).status_code == 200


def test_admin_claims_a_pooled_lead(client, token_for, admin, pooled):
    lead = pooled()
    assert claim(client, token_for(admin), lead).status_code == 200


def test_claim_respects_the_teams_private_lead_limit(
    client, token_for, member, default_team, pooled
):
    lead = pooled()
    default_team.max_private_leads = 2
    db.session.commit()
    agent = member(default_team)
    hold_open_leads(agent, 2)

    response = claim(client, token_for(agent), lead)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "private_lead_limit"
    assert db.session.get(Lead, lead.id).agent_id is None


def test_claim_below_the_limit_succeeds(client, token_for, member, default_team, pooled):
    lead = pooled()
    default_team.max_private_leads = 2
    db.session.commit()
    agent = member(default_team)
    hold_open_leads(agent, 1)

    assert claim(client, token_for(agent), lead).status_code == 200


def test_closed_lead_cannot_be_claimed(client, token_for, member, default_team, pooled):
    lead = pooled()
    lead.status, lead.lost_reason = LeadStatus.LOST, "预算不足"
    db.session.commit()

    response = claim(client, token_for(member(default_team)), lead)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_in_pool"


def test_claiming_an_unknown_lead_is_404(client, token_for, member, default_team):
    response = client.post("/api/leads/99999999/claim", headers=token_for(member(default_team)))
    assert response.status_code == 404


def test_claim_needs_a_token(client, pooled):
    assert client.post(f"/api/leads/{pooled().id}/claim").status_code == 401


def test_lead_claimed_before_the_worker_ran_is_left_alone_by_it(
    client, token_for, member, default_team
):
    agent, _other = member(default_team), member(default_team)
    lead = unrouted_lead()
    assert claim(client, token_for(agent), lead).status_code == 200

    assert route_lead(lead.id) is None
    db.session.commit()

    db.session.refresh(lead)
    assert lead.agent_id == agent.id
    assert lead.routed_at is not None
    assert len(events_of(lead, EventType.ASSIGNED)) == 1


def test_claim_by_reference_works(client, token_for, member, default_team, pooled):
    lead = pooled()
    response = client.post(
        f"/api/leads/{lead.reference}/claim", headers=token_for(member(default_team))
    )
    assert response.status_code == 200


# --- assigning by hand ---------------------------------------------------------------------------


def test_team_lead_assigns_a_pooled_lead_to_an_agent_of_the_team(
    client, token_for, team_lead, member, default_team, pooled
):
    lead = pooled()
    agent = member(default_team)

    response = assign(client, token_for(team_lead), lead, agent.id)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["agent"]["id"] == agent.id
    [assigned] = events_of(lead, EventType.ASSIGNED)
    assert (assigned.agent_id, assigned.data["reason"]) == (team_lead.id, "assigned_by_hand")


def test_reassigning_records_a_reassigned_event_and_keeps_the_stage(
    client, token_for, team_lead, member, default_team, pooled
):
    lead = pooled()
    first, second = member(default_team), member(default_team)
    assert assign(client, token_for(team_lead), lead, first.id).status_code == 200
    lead.status = LeadStatus.CONTACTED
    db.session.commit()

    response = assign(client, token_for(team_lead), lead, second.id)

    assert response.status_code == 200
    db.session.refresh(lead)
    assert (lead.agent_id, lead.status) == (second.id, LeadStatus.CONTACTED)
    [moved] = events_of(lead, EventType.REASSIGNED)
    assert (moved.data["from_agent_id"], moved.data["agent_id"]) == (first.id, second.id)


def test_agents_may_not_assign(client, token_for, member, default_team, pooled):
    agent = member(default_team)
    assert assign(client, token_for(agent), pooled(), agent.id).status_code == 403


def test_team_lead_may_not_assign_to_another_teams_agent(
    client, token_for, team_lead, member, other_team, pooled
):
    response = assign(client, token_for(team_lead), pooled(), member(other_team).id)
    assert response.status_code == 403


def test_admin_assigns_to_any_teams_agent(client, token_for, admin, member, other_team, pooled):
    lead = pooled()
    outsider = member(other_team)

    assert assign(client, token_for(admin), lead, outsider.id).status_code == 200
    db.session.refresh(lead)
    assert lead.team_id == other_team.id


def test_assigning_to_an_unknown_agent_is_400(client, token_for, admin, pooled):
    response = assign(client, token_for(admin), pooled(), 99999999)
    assert response.status_code == 400
    assert "agent_id" in response.get_json()["error"]["fields"]


def test_assigning_to_a_deactivated_agent_is_400(
    client, token_for, admin, member, default_team, pooled
):
    gone = member(default_team, active=False)
    response = assign(client, token_for(admin), pooled(), gone.id)
    assert response.status_code == 400
    assert "deactivated" in response.get_json()["error"]["fields"]["agent_id"]


def test_assign_without_agent_id_is_400(client, token_for, admin, pooled):
    response = client.post(f"/api/leads/{pooled().id}/assign", headers=token_for(admin), json={})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["agent_id"]


def test_assigning_to_the_current_agent_is_409(
    client, token_for, admin, member, default_team, pooled
):
    lead = pooled()
    agent = member(default_team)
    assert assign(client, token_for(admin), lead, agent.id).status_code == 200

    response = assign(client, token_for(admin), lead, agent.id)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_assigned"


def test_closed_lead_cannot_be_assigned(client, token_for, admin, member, default_team, pooled):
    lead = pooled()
    lead.status = LeadStatus.SPAM
    db.session.commit()

    response = assign(client, token_for(admin), lead, member(default_team).id)

    assert response.status_code == 409


def test_assign_respects_the_targets_private_lead_limit(
    client, token_for, admin, member, default_team, pooled
):
    lead = pooled()
    default_team.max_private_leads = 1
    db.session.commit()
    agent = member(default_team)
    hold_open_leads(agent, 1)

    response = assign(client, token_for(admin), lead, agent.id)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "private_lead_limit"


# --- the pool ------------------------------------------------------------------------------------


def test_pool_lists_the_best_scored_leads_first(client, token_for, member, default_team, pooled):
    low = pooled()
    high = pooled(tax_wan=2000, investment_wan=50000, company="株洲中车配套集团")
    middle = pooled(tax_wan=100)
    assert high.score > middle.score > low.score

    response = client.get("/api/routing/pool", headers=token_for(member(default_team)))

    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [high.id, middle.id, low.id]


def test_pool_pages_follow_the_score_order(client, token_for, member, default_team, pooled):
    leads = [pooled(tax_wan=tax) for tax in (10, 500, 100, 5000)]
    expected = [lead.id for lead in sorted(leads, key=lambda lead: -lead.score)]
    headers = token_for(member(default_team))

    first = client.get("/api/routing/pool?limit=3", headers=headers).get_json()
    second = client.get(
        f"/api/routing/pool?limit=3&cursor={first['next_cursor']}", headers=headers
    ).get_json()

    assert [i["id"] for i in first["items"] + second["items"]] == expected
    assert second["next_cursor"] is None


def test_pool_of_an_agent_is_their_own_teams(client, token_for, member, other_team, pooled):
    pooled()
    response = client.get("/api/routing/pool", headers=token_for(member(other_team)))
    assert response.get_json()["items"] == []


def test_claimed_lead_leaves_the_pool(client, token_for, member, default_team, pooled):
    lead = pooled()
    headers = token_for(member(default_team))
    claim(client, headers, lead)

    items = client.get("/api/routing/pool", headers=headers).get_json()["items"]

    assert lead.id not in [i["id"] for i in items]


def test_every_claim_writes_one_status_change_with_the_lead(
    client, token_for, member, default_team, pooled
):
    lead = pooled()
    claim(client, token_for(member(default_team)), lead)
    changes = db.session.scalars(
        select(LeadEvent).where(
            LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.STATUS_CHANGED
        )
    ).all()
    assert [(c.data["from"], c.data["to"]) for c in changes] == [("new", "assigned")]
