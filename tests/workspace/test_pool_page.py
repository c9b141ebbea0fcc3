"""The team's pool page and its claim button (through the routing service's claim)."""

from __future__ import annotations

from sqlalchemy import select

from app.core.db import db
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from tests.workspace.helpers import give


def test_pool_page_lists_my_teams_unassigned_leads_with_claim_buttons(
    browse, agent, default_team, other_team, create_lead
):
    ours = give(create_lead(company="公海里的公司"), None, team=default_team)
    give(create_lead(company="别的团队的公司"), None, team=other_team)
    html = browse(agent).text("/app/pool")
    assert "公海里的公司" in html
    assert "别的团队的公司" not in html
    assert f'action="/app/leads/{ours.id}/claim"' in html


def test_claim_button_gives_me_the_lead(browse, agent, default_team, create_lead):
    lead = give(create_lead(), None, team=default_team)
    response = browse(agent).post(f"/app/leads/{lead.id}/claim")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/leads/{lead.id}"
    db.session.expire_all()
    claimed = db.session.get(Lead, lead.id)
    assert claimed.agent_id == agent.id
    assert claimed.status is LeadStatus.ASSIGNED
    last_assignment = (
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.ASSIGNED)
        .order_by(LeadEvent.id.desc())
    )
    assert db.session.scalars(last_assignment).first().data["reason"] == "claimed"


def test_claim_without_the_csrf_token_is_refused(browse, agent, default_team, create_lead):
    lead = give(create_lead(), None, team=default_team)
    response = browse(agent).post(f"/app/leads/{lead.id}/claim", csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).agent_id is None


def test_claiming_a_lead_someone_took_says_so(browse, agent, colleague, default_team, create_lead):
    lead = give(create_lead(), None, team=default_team)
    browser = browse(agent)
    give(lead, colleague)
    response = browser.post(f"/app/leads/{lead.id}/claim", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "这条线索已不在您的公海中" in page
    assert colleague.name not in page
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).agent_id == colleague.id
