"""The agent's queue: order, keyset pagination, filters and counts (service, API, page)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import event

from app.core.db import db
from app.core.errors import ValidationFailed
from app.leads.models import LeadStatus, NeedType
from app.leads.queue import LeadQuery, decode_queue_cursor, list_queue, queue_counts
from tests.workspace.helpers import assert_error, give

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


@pytest.fixture
def mine(create_lead, agent):
    """`mine(due_minutes, score, **fields)`: a lead of mine with that SLA due time and score."""

    def _make(due: int | None, score: int = 0, **fields):
        lead = create_lead(company=fields.pop("company", None))
        due_at = at(due) if due is not None else None
        return give(lead, agent, sla_due_at=due_at, score=score, **fields)

    return _make


def walk(agent, query: LeadQuery, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        leads, cursor = list_queue(agent, query, limit=limit, cursor=cursor)
        pages.append([lead.id for lead in leads])
        if cursor is None:
            return pages


# --- order and pagination ---------------------------------------------------------------------


def test_queue_orders_by_sla_due_then_score_then_id_with_no_due_time_last(agent, mine):
    no_due = mine(None, 90)
    late_high = mine(30, 80)
    soon_low = mine(10, 5)
    soon_high = mine(10, 50)
    soon_high_again = mine(10, 50)
    leads, cursor = list_queue(agent, LeadQuery())
    assert [lead.id for lead in leads] == [
        soon_high.id, soon_high_again.id, soon_low.id, late_high.id, no_due.id,
    ]  # fmt: skip
    assert cursor is None


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_queue_pages_walk_every_lead_exactly_once_with_ties_and_null_due_times(agent, mine, limit):
    made = [
        mine(due, score)
        for due, score in [
            (5, 10), (5, 10), (5, 10), (5, 20), (None, 0), (None, 0), (None, 30),
            (-20, 0), (60, 40), (60, 40), (None, 30), (-20, 0),
        ]
    ]  # fmt: skip
    expected = sorted(
        made,
        key=lambda lead: (
            lead.sla_due_at is None, lead.sla_due_at or NOW, -lead.score, lead.id
        ),
    )  # fmt: skip
    pages = walk(agent, LeadQuery(), limit)
    assert [i for page in pages for i in page] == [lead.id for lead in expected]
    assert all(len(page) == limit for page in pages[:-1])


def test_queue_pages_keep_their_filters(agent, mine):
    wanted = [mine(due, 0, district="芦淞区") for due in (1, 2, 3, 4, 5)]
    mine(3, 0, district="天元区")
    pages = walk(agent, LeadQuery(district="芦淞区"), 2)
    assert [i for page in pages for i in page] == [lead.id for lead in wanted]


def test_queue_cursor_that_was_tampered_with_is_refused():
    forged = base64.urlsafe_b64encode(json.dumps({"q": ["2026-01-01T00:00:00", 1, 2]}).encode())
    with pytest.raises(ValidationFailed):
        decode_queue_cursor(forged.decode())  # a naive time
    with pytest.raises(ValidationFailed):
        decode_queue_cursor("not-a-cursor")


# --- what is in it ----------------------------------------------------------------------------


def test_queue_holds_only_my_open_leads(agent, colleague, create_lead, mine):
    own = mine(10)
    give(create_lead(), colleague)
    give(create_lead(), None)  # the pool
    mine(5, status=LeadStatus.WON)
    leads, _ = list_queue(agent, LeadQuery())
    assert [lead.id for lead in leads] == [own.id]


def test_queue_status_filter_shows_my_leads_in_closed_stages_too(agent, mine):
    mine(10)
    won = mine(5, status=LeadStatus.WON)
    leads, _ = list_queue(agent, LeadQuery(status=(LeadStatus.WON,)))
    assert [lead.id for lead in leads] == [won.id]


def test_queue_filters_by_need_type_and_district(agent, mine):
    land = mine(10, need_type=NeedType.LAND, district="天元区")
    mine(10, need_type=NeedType.LAND, district="芦淞区")
    mine(10, need_type=NeedType.FACTORY, district="天元区")
    query = LeadQuery(need_type=NeedType.LAND, district="天元区")
    assert [lead.id for lead in list_queue(agent, query)[0]] == [land.id]


def test_queue_overdue_filter_keeps_leads_past_due_and_not_contacted(agent, mine):
    late = mine(-30)
    mine(-30, first_contacted_at=at(-40), status=LeadStatus.CONTACTED)
    mine(30)
    mine(None)
    assert [lead.id for lead in list_queue(agent, LeadQuery(overdue=True))[0]] == [late.id]


@pytest.mark.parametrize("text", ["湘能", "王先", "1390"])
def test_queue_search_matches_company_contact_or_phone(agent, mine, text):
    found = mine(10, company="湘能电池", contact_name="王先生", phone="+8613900001111")
    mine(10, company="别的公司", contact_name="李女士", phone="+8613800002222")
    assert [lead.id for lead in list_queue(agent, LeadQuery(q=text))[0]] == [found.id]


def test_queue_search_takes_wildcards_literally(agent, mine):
    mine(10, company="百分百公司")
    percent = mine(10, company="100%科技")
    assert [lead.id for lead in list_queue(agent, LeadQuery(q="%"))[0]] == [percent.id]


# --- counts ----------------------------------------------------------------------------------


def test_queue_counts_give_every_status_of_my_leads(agent, colleague, create_lead, mine):
    mine(10)
    mine(10)
    mine(10, status=LeadStatus.CONTACTED)
    mine(10, status=LeadStatus.LOST, lost_reason="选了别处")
    give(create_lead(), colleague)
    counts = queue_counts(agent, LeadQuery())
    assert counts[LeadStatus.ASSIGNED] == 2
    assert counts[LeadStatus.CONTACTED] == 1
    assert counts[LeadStatus.LOST] == 1
    assert counts[LeadStatus.WON] == 0
    assert set(counts) == set(LeadStatus)


def test_queue_counts_apply_the_other_filters(agent, mine):
    mine(10, district="天元区")
    mine(10, district="芦淞区")
    counts = queue_counts(agent, LeadQuery(district="天元区"))
    assert counts[LeadStatus.ASSIGNED] == 1


def test_queue_counts_take_one_query(app, agent, mine):
    mine(10)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        queue_counts(agent, LeadQuery())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert "GROUP BY" in selects[0].upper()


# --- the API ---------------------------------------------------------------------------------


def test_api_queue_view_answers_items_cursor_and_counts(client, agent, mine, token_for):
    first, second = mine(5), mine(10)
    response = client.get("/api/leads?view=queue&limit=1", headers=token_for(agent))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [first.id]
    assert body["counts"]["assigned"] == 2
    following = client.get(
        f"/api/leads?view=queue&limit=1&cursor={body['next_cursor']}", headers=token_for(agent)
    ).get_json()
    assert [item["id"] for item in following["items"]] == [second.id]
    assert following["next_cursor"] is None


def test_api_queue_view_filters_overdue(client, agent, mine, token_for):
    late = mine(-5)
    mine(30)
    body = client.get("/api/leads?view=queue&overdue=1", headers=token_for(agent)).get_json()
    assert [item["id"] for item in body["items"]] == [late.id]


def test_api_list_without_a_view_filters_overdue(client, agent, mine, token_for):
    late = mine(-5)
    mine(30)
    body = client.get("/api/leads?overdue=true", headers=token_for(agent)).get_json()
    assert [item["id"] for item in body["items"]] == [late.id]


def test_api_list_refuses_an_overdue_that_is_not_true_or_false(client, agent, token_for):
    response = client.get("/api/leads?overdue=maybe", headers=token_for(agent))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"overdue": "true or false"}


def test_api_queue_view_needs_a_token(client, agent):
    assert_error(client.get("/api/leads?view=queue"), 401)


def test_api_queue_view_refuses_a_bad_cursor(client, agent, token_for):
    response = client.get("/api/leads?view=queue&cursor=xyz", headers=token_for(agent))
    assert_error(response, 400, "validation_error")


def test_api_pool_view_lists_my_teams_unassigned_leads(
    client, agent, default_team, other_team, create_lead, token_for
):
    ours = give(create_lead(), None, team=default_team)
    give(create_lead(), None, team=other_team)
    body = client.get("/api/leads?view=pool", headers=token_for(agent)).get_json()
    assert [item["id"] for item in body["items"]] == [ours.id]


def test_api_unknown_view_is_400(client, agent, token_for):
    assert_error(client.get("/api/leads?view=all", headers=token_for(agent)), 400)


# --- the page --------------------------------------------------------------------------------


def test_queue_page_lists_my_leads_and_not_my_colleagues(
    browse, agent, colleague, create_lead, mine
):
    mine(10, company="我的客户公司")
    give(create_lead(company="同事的客户公司"), colleague)
    html = browse(agent).text("/app/leads")
    assert "我的客户公司" in html
    assert "同事的客户公司" not in html


def test_queue_page_marks_overdue_leads(browse, agent, mine):
    mine(-10, company="超时公司")
    html = browse(agent).text("/app/leads")
    assert 'class="due overdue"' in html
    assert "已超时" in html


def test_queue_page_shows_status_counts(browse, agent, mine):
    mine(10)
    mine(10, status=LeadStatus.CONTACTED)
    html = browse(agent).text("/app/leads")
    assert '已联系 <span class="count">1</span>' in html


def test_queue_page_next_link_leads_to_the_following_page(browse, agent, mine, monkeypatch):
    from app.workspace import routes

    monkeypatch.setattr(routes, "QUEUE_PAGE", 2)
    leads = [mine(due, company=f"公司{due}") for due in (1, 2, 3)]
    browser = browse(agent)
    first = browser.text("/app/leads")
    assert "公司1" in first
    assert "公司3" not in first
    link = first.split("下一页")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = browser.text("/app/leads" + link)
    assert leads[2].reference in second
    assert leads[0].reference not in second


@pytest.mark.parametrize(("role_fixture", "shown"), [("agent", False), ("team_lead", True)])
def test_queue_page_offers_exports_to_team_leads_only(request, browse, role_fixture, shown):
    user = request.getfixturevalue(role_fixture)
    html = browse(user).text("/app/leads")
    assert ("/app/leads/export?" in html) is shown


def test_queue_page_speaks_english_when_asked(browse, agent):
    html = browse(agent).text("/app/leads?lang=en")
    assert "Only overdue, not contacted" in html
    assert "只看超时未联系" not in html
