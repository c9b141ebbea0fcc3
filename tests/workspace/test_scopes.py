"""Views for every role (docs/workspace.md): my leads, my team's, all leads, through HTTP.

Team leads see their team's leads and admins all leads, with the queue's filters, counts and
paging plus an agent filter; a search finds closed leads too, among those the user may see.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from app.accounts.models import Agent, Role
from app.leads.models import Lead, LeadStatus
from tests.workspace.helpers import give


@pytest.fixture
def office(create_lead, agent, colleague, outsider, default_team, other_team) -> dict[str, Lead]:
    """Leads of my team (mine, a colleague's, one in the pool, one I lost) and another team's."""
    return {
        "mine": give(create_lead(company="我的公司", phone="13973312345"), agent),
        "colleague": give(create_lead(company="同事的公司"), colleague),
        "pool": give(create_lead(company="公海公司"), None, team=default_team),
        "lost": give(
            create_lead(company="已流失公司", phone="0731-22334455"),
            agent,
            status=LeadStatus.LOST,
        ),
        "other": give(create_lead(company="外团队公司"), outsider),
        "other_lost": give(create_lead(company="外团队流失公司"), outsider, status=LeadStatus.LOST),
    }


def companies(html: str) -> set[str]:
    return set(re.findall(r'<td class="who">([^<]+)<', html))


def open_count(html: str) -> int:
    match = re.search(r'进行中 <span class="count">(\d+)</span>', html)
    assert match, "the open count is shown"
    return int(match[1])


@pytest.fixture
def admin_user(make_agent: Callable[..., Agent], default_team) -> Agent:
    return make_agent("boss", role=Role.ADMIN, team=default_team)


def test_admin_sees_every_teams_open_leads_with_counts(browse, admin_user, office):
    html = browse(admin_user).text("/app/leads?scope=all")
    assert companies(html) == {"我的公司", "同事的公司", "公海公司", "外团队公司"}
    assert open_count(html) == 4
    assert '流失 <span class="count">2</span>' in html
    assert "<h1>全部线索</h1>" in html


def test_admin_filters_all_leads_by_agent_and_unassigned(browse, admin_user, office, colleague):
    browser = browse(admin_user)
    by_colleague = browser.text(f"/app/leads?scope=all&agent={colleague.id}")
    assert companies(by_colleague) == {"同事的公司"}
    assert open_count(by_colleague) == 1
    assert companies(browser.text("/app/leads?scope=all&agent=none")) == {"公海公司"}


def test_all_leads_page_through_every_lead_once(browse, admin_user, office, monkeypatch):
    from app.workspace import routes

    monkeypatch.setattr(routes, "QUEUE_PAGE", 3)
    browser = browse(admin_user)
    first = browser.text("/app/leads?scope=all")
    cursor = re.search(r'href="\?([^"]*cursor=[^"]+)"', first)
    assert cursor, "a next-page link"
    second = browser.text("/app/leads?" + cursor[1].replace("&amp;", "&"))
    assert len(companies(first)) == 3
    assert companies(first) | companies(second) == {
        "我的公司",
        "同事的公司",
        "公海公司",
        "外团队公司",
    }
    assert not companies(first) & companies(second)


def test_team_lead_sees_the_teams_leads_not_another_teams(browse, team_lead, office):
    html = browse(team_lead).text("/app/leads?scope=team")
    assert companies(html) == {"我的公司", "同事的公司", "公海公司"}
    assert open_count(html) == 3
    assert "外团队公司" not in html


def test_team_lead_cannot_open_all_leads(browse, team_lead, office):
    response = browse(team_lead).get("/app/leads?scope=all")
    assert response.status_code == 403
    assert "外团队公司" not in response.get_data(as_text=True)


@pytest.mark.parametrize("scope", ["team", "all"])
def test_agent_cannot_open_a_team_or_all_leads(browse, agent, office, scope):
    response = browse(agent).get(f"/app/leads?scope={scope}")
    assert response.status_code == 403
    assert "同事的公司" not in response.get_data(as_text=True)


def test_agent_cannot_reach_another_teams_leads_by_filter_or_search(
    browse, agent, office, outsider
):
    browser = browse(agent)
    assert companies(browser.text(f"/app/leads?agent={outsider.id}")) == {"我的公司"}
    assert companies(browser.text("/app/leads?q=外团队")) == set()
    assert browser.get(f"/app/leads/{office['other'].id}").status_code == 404


def test_unknown_scope_is_a_400(browse, agent):
    assert browse(agent).get("/app/leads?scope=everything").status_code == 400


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("已流失", "已流失公司"),  # company
        ("0731-2233 4455", "已流失公司"),  # a landline as people write it
        ("139 7331 2345", "我的公司"),  # a mobile as people write it
    ],
)
def test_search_finds_my_closed_leads_too(browse, agent, office, typed, found):
    html = browse(agent).text(f"/app/leads?q={typed}")
    assert companies(html) == {found}


def test_search_by_reference_finds_a_closed_lead(browse, agent, office):
    html = browse(agent).text(f"/app/leads?q={office['lost'].reference}")
    assert companies(html) == {"已流失公司"}


def test_admin_search_covers_every_teams_closed_leads(browse, admin_user, office):
    html = browse(admin_user).text("/app/leads?scope=all&q=流失")
    assert companies(html) == {"已流失公司", "外团队流失公司"}


def test_team_lead_search_stays_within_the_team(browse, team_lead, office):
    html = browse(team_lead).text("/app/leads?scope=team&q=流失")
    assert companies(html) == {"已流失公司"}


def test_export_of_all_leads_follows_the_page_filters(browse, admin_user, office, colleague):
    response = browse(admin_user).get(
        f"/app/leads/export?scope=all&agent={colleague.id}&view=queue&format=csv"
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "同事的公司" in body
    assert "外团队公司" not in body
    assert "我的公司" not in body


def test_agent_nav_has_only_my_leads(browse, agent):
    html = browse(agent).text("/app/leads")
    assert "全部线索" not in html
    assert "团队线索" not in html


def test_team_lead_nav_offers_the_teams_leads(browse, team_lead):
    assert 'href="/app/leads?scope=team"' in browse(team_lead).text("/app/leads")


def test_admin_nav_offers_all_leads(browse, admin_user):
    assert 'href="/app/leads?scope=all"' in browse(admin_user).text("/app/leads")


def test_api_queue_takes_the_same_scope_and_agent_filter(
    client, token_for, admin_user, team_lead, agent, colleague, office
):
    def names(user: Agent, args: str) -> set[str]:
        response = client.get(f"/api/leads?view=queue{args}", headers=token_for(user))
        assert response.status_code == 200, response.get_json()
        return {item["company"] for item in response.get_json()["items"]}

    assert names(admin_user, "&scope=all") == {"我的公司", "同事的公司", "公海公司", "外团队公司"}
    assert names(admin_user, f"&scope=all&agent={colleague.id}") == {"同事的公司"}
    assert names(team_lead, "&scope=team&q=流失") == {"已流失公司"}
    refused = client.get("/api/leads?view=queue&scope=team", headers=token_for(agent))
    assert refused.status_code == 403
