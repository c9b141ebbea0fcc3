"""Matching over HTTP, both ways, and the agents told about a new listing (docs/listings.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.db import db
from app.notifications.models import Notification
from tests.notifications.helpers import RecordingDispatcher


def test_a_leads_matches_best_first_with_reasons(
    client, agent, token_for, create_lead, make_listing
):
    lead = create_lead(
        need_type="warehouse", area_min_m2=1500, area_max_m2=2500, district="天元区", deal="rent"
    )
    best = make_listing(kind="warehouse", subtype="cold_storage", title="冷库", available_m2=2000,
                        area_m2=2000, min_split_m2=None)  # fmt: skip
    factory = make_listing(title="厂房", area_m2=2000, available_m2=2000, min_split_m2=None)
    elsewhere = make_listing(kind="warehouse", title="荷塘仓库", district="荷塘区",
                             park="荷塘物流园", area_m2=2000, available_m2=2000,
                             min_split_m2=None)  # fmt: skip
    make_listing(kind="office", subtype="grade_a", title="写字楼", min_split_m2=None)  # wrong kind
    make_listing(
        kind="warehouse", title="小仓库", area_m2=500, available_m2=500, min_split_m2=None
    )  # too small
    make_listing(kind="warehouse", title="只售", deals=["sale"], min_split_m2=None)  # deal

    response = client.get(f"/api/leads/{lead.id}/matches?limit=10", headers=token_for(agent))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["listing"]["id"] for item in items] == [best.id, factory.id, elsewhere.id]
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert "类型相符：仓库" in items[0]["reasons"]
    assert any("不在意向区域" in w for w in items[2]["warnings"])
    assert items[0]["listing"]["photos"] == []


def test_matches_in_english(client, agent, token_for, create_lead, make_listing):
    lead = create_lead(need_type="factory", area_min_m2=1000, area_max_m2=1200)
    make_listing()
    response = client.get(
        f"/api/leads/{lead.id}/matches", headers={**token_for(agent), "Accept-Language": "en"}
    )
    [item] = response.get_json()["items"]
    assert "kind fits: factory" in item["reasons"]


def test_a_lead_with_no_requirements_gets_a_sensible_answer(
    client, agent, token_for, create_lead, make_listing
):
    lead = create_lead(need_type="other")
    listing = make_listing()
    response = client.get(f"/api/leads/{lead.id}/matches", headers=token_for(agent))
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["listing"]["id"] == listing.id
    assert item["score"] == 50
    assert item["warnings"] == ["客户尚未说明具体要求，仅按类型列出"]


def test_matches_limit_is_checked(client, agent, token_for, lead):
    headers = token_for(agent)
    assert client.get(f"/api/leads/{lead.id}/matches?limit=0", headers=headers).status_code == 400
    assert client.get(f"/api/leads/{lead.id}/matches?limit=x", headers=headers).status_code == 400
    assert client.get("/api/leads/999999/matches", headers=headers).status_code == 404


def test_a_listings_leads_best_first_and_only_visible_ones(
    client, agent, make_agent, default_team, manager, token_for, create_lead, make_listing
):
    listing = make_listing()  # factory 3000 ㎡ from 1000, ceiling 9 m, 天元区, rent 18
    close = create_lead(need_type="factory", area_min_m2=1000, area_max_m2=1500,
                        district="天元区", budget_rent_yuan_m2_month=20)  # fmt: skip
    farther = create_lead(need_type="warehouse", area_min_m2=2500, district="芦淞区")
    create_lead(need_type="office", area_min_m2=1000)  # wrong kind
    create_lead(need_type="factory", area_min_m2=1000, ceiling_height_min_m=12)  # too low
    create_lead(need_type="factory", area_min_m2=10000)  # too small
    create_lead(need_type="factory", area_min_m2=1000, eia_category="电镀")  # no such EIA
    create_lead(need_type="factory", area_min_m2=1000, industry="精细化工")  # excluded

    response = client.get(f"/api/listings/{listing.id}/matches", headers=token_for(manager))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["lead"]["id"] for item in items] == [close.id, farther.id]
    assert items[0]["score"] > items[1]["score"]
    assert items[0]["lead"]["reference"] == close.reference

    # An agent sees only their own leads (and the pool; routing assigned both leads).
    stranger = make_agent("stranger", team=default_team)
    seen = client.get(f"/api/listings/{listing.id}/matches", headers=token_for(stranger))
    assert seen.get_json()["items"] == []
    own = client.get(f"/api/listings/{listing.id}/matches", headers=token_for(agent))
    mine = [lead.id for lead in (close, farther) if lead.agent_id == agent.id]
    assert [item["lead"]["id"] for item in own.get_json()["items"]] == mine


def test_closed_leads_are_not_matched(client, manager, token_for, create_lead, make_listing):
    from app.leads import lifecycle

    lead = create_lead(need_type="factory", area_min_m2=1000)
    lifecycle.change_status(lead, "lost", actor="agent", reason="预算不足")
    db.session.commit()
    listing = make_listing()
    items = client.get(f"/api/listings/{listing.id}/matches", headers=token_for(manager))
    assert items.get_json()["items"] == []


# --- agents told about a new listing -------------------------------------------------------


@pytest.fixture
def dispatched(app, monkeypatch) -> RecordingDispatcher:
    recorder = RecordingDispatcher(app.extensions["dispatcher"])
    monkeypatch.setitem(app.extensions, "dispatcher", recorder)
    return recorder


def listing_notices() -> list[Notification]:
    stmt = select(Notification).where(Notification.kind == "listing_match")
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def test_a_new_listing_tells_the_agents_of_its_best_leads_once(
    app, client, agent, manager, token_for, create_lead, dispatched, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.invalid")
    agent.email = "zhang@example.com"
    db.session.commit()
    lead = create_lead(need_type="factory", area_min_m2=1000, area_max_m2=2000)
    assert lead.agent_id == agent.id  # routed to the only agent of the default team
    create_lead(need_type="office", area_min_m2=100)  # not a match: nobody told

    from tests.listings.conftest import FACTORY

    headers = token_for(manager)
    created = client.post("/api/listings", json=FACTORY, headers=headers).get_json()
    [notice] = listing_notices()
    assert notice.idempotency_key == f"listing_match:{created['id']}:{lead.id}:email"
    assert notice.lead_id == lead.id
    assert notice.agent_id == agent.id
    assert "天元区标准厂房 A3 栋" in notice.payload["body"]

    # Withdrawn and back: the same listing and lead are not announced twice.
    url = f"/api/listings/{created['id']}/status"
    client.post(url, json={"to": "withdrawn"}, headers=headers)
    client.post(url, json={"to": "available"}, headers=headers)
    assert len(listing_notices()) == 1


def test_nothing_is_told_when_the_listing_is_not_committed(
    app, manager, create_lead, agent, dispatched, monkeypatch
):
    from app.listings import service
    from tests.listings.conftest import FACTORY

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.invalid")
    agent.email = "zhang@example.com"
    db.session.commit()
    create_lead(need_type="factory", area_min_m2=1000)
    service.create_listing(FACTORY, by=manager)
    db.session.rollback()
    assert listing_notices() == []


# --- the database narrows, matching decides ------------------------------------------------

LISTING_SHAPES = [
    {},
    {"kind": "warehouse", "subtype": "cold_storage", "min_split_m2": None},
    {"kind": "land", "deals": ["sale"], "area_m2": 20000, "available_m2": 20000,
     "min_split_m2": 6667, "ceiling_height_m": None, "crane_t": None, "floor_load_t_m2": None,
     "min_tax_wan_per_mu": 20, "land_price_wan_per_mu": 30},
    {"kind": "office", "area_m2": 300, "available_m2": 300, "min_split_m2": None,
     "ceiling_height_m": None, "crane_t": None, "power_kva": None, "floor_load_t_m2": None},
    {"ceiling_height_m": None, "power_kva": None},
    {"area_m2": 900, "available_m2": 900, "min_split_m2": None, "district": "芦淞区"},
    {"deals": ["rent", "sale"], "eia_categories": []},
    {"area_m2": 12000, "available_m2": 12000, "min_split_m2": 6000, "crane_t": 32},
]  # fmt: skip
LEAD_SHAPES = [
    {"need_type": "factory", "area_min_m2": 1000, "area_max_m2": 2000},
    {"need_type": "warehouse", "area_min_m2": 2500, "district": "天元区", "deal": "rent"},
    {"need_type": "land", "area_min_m2": 13000, "deal": "buy", "tax_wan": 500},
    {"need_type": "incubator", "area_max_m2": 250},
    {"need_type": "factory", "ceiling_height_min_m": 8, "power_kva": 630},
    {"need_type": "factory", "area_min_m2": 800, "eia_category": "喷涂", "industry": "电子"},
    {"need_type": "other"},
    {"need_type": "factory", "area_min_m2": 7000, "crane_t": 20, "deal": "buy"},
]  # fmt: skip


def test_sql_candidates_agree_with_the_rules(create_lead, make_listing, manager):
    from app.listings import matching, service

    listings = [make_listing(**shape) for shape in LISTING_SHAPES]
    leads = [create_lead(**shape) for shape in LEAD_SHAPES]
    pairs = sum(
        isinstance(matching.evaluate(lead, x), matching.Match) for lead in leads for x in listings
    )
    assert 5 < pairs < len(leads) * len(listings) - 5  # the shapes test both outcomes
    for lead in leads:
        expected = {
            x.id for x in listings if isinstance(matching.evaluate(lead, x), matching.Match)
        }
        found = {x.id for x, _m in service.match_listings_for_lead(lead, limit=50)}
        assert found == expected, (lead.need_type, lead.area_min_m2)
    for listing in listings:
        expected = {
            x.id for x in leads if isinstance(matching.evaluate(x, listing), matching.Match)
        }
        found = {x.id for x, _m in service.match_leads_for_listing(listing, limit=50)}
        assert found == expected, listing.title
