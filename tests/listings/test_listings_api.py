"""The listings API over HTTP (docs/listings.md): create, validate, list, edit, lifecycle."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.db import db
from app.leads import lifecycle
from app.leads.models import EventType, LeadEvent
from app.listings.models import Listing, ListingEvent
from tests.listings.conftest import FACTORY


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- creating and validating ---------------------------------------------------------------


def test_a_team_lead_adds_a_listing_with_every_field(client, manager, token_for):
    body = {
        **FACTORY,
        "title_en": "Standard factory A3",
        "description": "近高速，独门独院",
        "lat": 27.8367,
        "lng": 113.0827,
        "floors": 4,
        "storey": 1,
        "own_yard": True,
        "dormitory": True,
        "canteen": False,
        "truck_access": True,
        "property_fee_yuan_m2_month": 1.5,
        "published": True,
    }
    response = client.post("/api/listings", json=body, headers=token_for(manager))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["kind"] == "factory"
    assert data["deals"] == ["rent"]
    assert data["status"] == "available"
    assert data["version"] == 1
    assert data["area_m2"] == 3000
    assert data["area_mu"] == 4.5
    assert data["eia_categories"] == ["一般", "喷涂"]
    assert data["fire_class"] == "丙"
    assert data["published"] is True
    assert data["agent_id"] == manager.id
    assert [e["type"] for e in data["events"]] == ["created"]
    assert data["events"][0]["agent_id"] == manager.id
    again = client.get(f"/api/listings/{data['id']}", headers=token_for(manager)).get_json()
    assert again["title_en"] == "Standard factory A3"
    assert again["lat"] == 27.8367


def test_an_agent_may_not_add_listings(client, agent, token_for):
    response = client.post("/api/listings", json=FACTORY, headers=token_for(agent))
    assert response.status_code == 403
    assert count(Listing) == 0


def test_absurd_figures_are_refused_per_field_and_nothing_is_written(client, manager, token_for):
    body = {
        **FACTORY,
        "area_m2": 0,
        "ceiling_height_m": 200,
        "rent_yuan_m2_month": -3,
    }
    response = client.post("/api/listings", json=body, headers=token_for(manager))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"area_m2", "ceiling_height_m", "rent_yuan_m2_month"}
    assert error["fields"]["area_m2"] == "应大于 0"
    assert error["fields"]["ceiling_height_m"] == "不能大于 60"
    assert count(Listing) == 0
    assert count(ListingEvent) == 0


def test_errors_come_in_english_when_asked(client, manager, token_for):
    headers = {**token_for(manager), "Accept-Language": "en"}
    body = {**FACTORY, "min_split_m2": 5000}
    response = client.post("/api/listings", json=body, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"] == "Some fields are not valid"
    assert error["fields"]["min_split_m2"] == "The smallest divisible part cannot exceed the area"


def test_a_divisible_part_larger_than_the_area_is_refused(client, manager, token_for):
    response = client.post(
        "/api/listings", json={**FACTORY, "min_split_m2": 5000}, headers=token_for(manager)
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["min_split_m2"] == "最小可分割面积不能大于总面积"


def test_unknown_kind_subtype_and_fields_are_refused(client, manager, token_for):
    headers = token_for(manager)
    bad_kind = client.post("/api/listings", json={**FACTORY, "kind": "castle"}, headers=headers)
    assert bad_kind.status_code == 400
    assert "kind" in bad_kind.get_json()["error"]["fields"]
    wrong_subtype = client.post(
        "/api/listings", json={**FACTORY, "subtype": "cold_storage"}, headers=headers
    )
    assert wrong_subtype.get_json()["error"]["fields"]["subtype"].startswith("该类型可选")
    extra = client.post("/api/listings", json={**FACTORY, "floor_count": 3}, headers=headers)
    assert extra.get_json()["error"]["fields"]["floor_count"] == "不是此接口的字段"
    assert count(Listing) == 0


def test_a_new_listing_may_carry_its_status_as_its_json_does(
    client, manager, token_for, lead, make_listing
):
    """`status` in the body, as a listing's JSON has it: anything but available is recorded
    as a status change by the status rules; a status those rules refuse writes nothing."""
    headers = token_for(manager)
    plain = client.post("/api/listings", json={**FACTORY, "status": "available"}, headers=headers)
    assert plain.status_code == 201, plain.get_json()
    assert [e["type"] for e in plain.get_json()["events"]] == ["created"]

    withdrawn = client.post(
        "/api/listings", json={**FACTORY, "status": "withdrawn"}, headers=headers
    )
    assert withdrawn.status_code == 201, withdrawn.get_json()
    data = withdrawn.get_json()
    assert data["status"] == "withdrawn"
    change = [e for e in data["events"] if e["type"] == "status_changed"]
    assert [(e["from_status"], e["to_status"]) for e in change] == [("available", "withdrawn")]

    reserved = client.post(
        "/api/listings", json={**FACTORY, "status": "reserved", "lead_id": lead.id}, headers=headers
    )
    assert reserved.status_code == 201, reserved.get_json()
    assert reserved.get_json()["reserved_for_lead_id"] == lead.id

    before = count(Listing)
    for body, field in (
        ({**FACTORY, "status": "reserved"}, "lead_id"),  # a reservation names its lead
        ({**FACTORY, "status": "demolished"}, "status"),
        ({**FACTORY, "status": ["let"]}, "status"),
        ({**FACTORY, "lead_id": lead.id}, "lead_id"),  # a lead without a status to go with
    ):
        refused = client.post("/api/listings", json=body, headers=headers)
        assert refused.status_code == 400, body
        assert field in refused.get_json()["error"]["fields"], refused.get_json()
    assert count(Listing) == before  # nothing half-written


def test_patch_may_change_the_status_and_version_is_optional(
    client, manager, token_for, make_listing
):
    listing = make_listing()
    headers = token_for(manager)
    url = f"/api/listings/{listing.id}"
    changed = client.patch(url, json={"status": "withdrawn", "reason": "业主收回"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()
    assert data["status"] == "withdrawn"
    [event] = [e for e in data["events"] if e["type"] == "status_changed"]
    assert event["reason"] == "业主收回"

    same = client.patch(url, json={"status": "withdrawn", "title": "新名字"}, headers=headers)
    assert same.status_code == 200, same.get_json()  # its own status again: no change
    assert same.get_json()["title"] == "新名字"

    refused = client.patch(url, json={"status": "let"}, headers=headers)
    assert refused.status_code == 409  # the status rules: withdrawn → available only
    assert refused.get_json()["error"]["code"] == "transition_not_allowed"
    stale = client.patch(url, json={"version": 1, "status": "available"}, headers=headers)
    assert stale.status_code == 409
    assert client.get(url, headers=headers).get_json()["status"] == "withdrawn"


# --- listing and filtering -----------------------------------------------------------------


def test_list_filters_and_keyset_pages(client, manager, token_for, make_listing):
    headers = token_for(manager)
    factories = [make_listing(title=f"厂房 {i}") for i in range(3)]
    office = make_listing(
        kind="office", subtype="grade_a", title="中心写字楼", district="芦淞区", min_split_m2=None
    )
    page = client.get("/api/listings?limit=2", headers=headers).get_json()
    assert [x["id"] for x in page["items"]] == [office.id, factories[2].id]
    rest = client.get(f"/api/listings?limit=2&cursor={page['next_cursor']}", headers=headers)
    assert [x["id"] for x in rest.get_json()["items"]] == [factories[1].id, factories[0].id]
    assert rest.get_json()["next_cursor"] is None
    kinds = client.get("/api/listings?kind=office", headers=headers).get_json()["items"]
    assert [x["id"] for x in kinds] == [office.id]
    district = client.get("/api/listings?district=芦淞区", headers=headers).get_json()["items"]
    assert [x["id"] for x in district] == [office.id]
    found = client.get("/api/listings?q=写字楼", headers=headers).get_json()["items"]
    assert [x["id"] for x in found] == [office.id]
    none = client.get("/api/listings?status=let", headers=headers).get_json()["items"]
    assert none == []


def test_unknown_filters_are_400(client, agent, token_for):
    headers = token_for(agent)
    assert client.get("/api/listings?status=gone", headers=headers).status_code == 400
    assert client.get("/api/listings?kind=castle", headers=headers).status_code == 400
    assert client.get("/api/listings?cursor=nonsense", headers=headers).status_code == 400


# --- editing -------------------------------------------------------------------------------


def test_patch_checks_the_version_and_records_the_change(client, manager, token_for, make_listing):
    listing = make_listing()
    headers = token_for(manager)
    url = f"/api/listings/{listing.id}"
    changed = client.patch(url, json={"version": 1, "rent_yuan_m2_month": 16}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()
    assert data["rent_yuan_m2_month"] == 16
    assert data["version"] == 2
    assert data["events"][-1]["type"] == "updated"
    assert data["events"][-1]["data"]["changes"] == {"rent_yuan_m2_month": [18.0, 16.0]}
    stale = client.patch(url, json={"version": 1, "title": "新名字"}, headers=headers)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_version"


def test_patch_validates_with_the_other_values(client, manager, token_for, make_listing):
    listing = make_listing()  # area 3000, smallest part 1000
    response = client.patch(
        f"/api/listings/{listing.id}",
        json={"version": 1, "area_m2": 800},
        headers=token_for(manager),
    )
    assert response.status_code == 400
    assert "min_split_m2" in response.get_json()["error"]["fields"]
    db.session.refresh(listing)
    assert listing.area_m2 == 3000
    assert listing.version == 1


def test_an_agent_edits_only_their_own_listings(client, agent, manager, token_for, make_listing):
    theirs = make_listing(agent_id=agent.id)
    other = make_listing(by=manager)
    headers = token_for(agent)
    ok = client.patch(
        f"/api/listings/{theirs.id}", json={"version": 1, "title": "改"}, headers=headers
    )
    assert ok.status_code == 200
    refused = client.patch(
        f"/api/listings/{other.id}", json={"version": 1, "title": "改"}, headers=headers
    )
    assert refused.status_code == 403


def test_unknown_listing_is_404(client, agent, token_for):
    assert client.get("/api/listings/999999", headers=token_for(agent)).status_code == 404
    assert client.get("/api/listings/abc", headers=token_for(agent)).status_code == 404


# --- the lifecycle -------------------------------------------------------------------------


def test_lifecycle_with_an_event_per_change(client, manager, token_for, make_listing):
    listing = make_listing()
    headers = token_for(manager)
    url = f"/api/listings/{listing.id}/status"
    withdrawn = client.post(url, json={"to": "withdrawn", "reason": "业主收回"}, headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["allowed_transitions"] == ["available"]
    refused = client.post(url, json={"to": "let"}, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "transition_not_allowed"
    back = client.post(url, json={"to": "available"}, headers=headers).get_json()
    changes = [e for e in back["events"] if e["type"] == "status_changed"]
    assert [(e["from_status"], e["to_status"]) for e in changes] == [
        ("available", "withdrawn"),
        ("withdrawn", "available"),
    ]
    assert changes[0]["reason"] == "业主收回"
    assert changes[0]["agent_id"] == manager.id


def test_unknown_status_is_400(client, manager, token_for, make_listing):
    listing = make_listing()
    response = client.post(
        f"/api/listings/{listing.id}/status", json={"to": "demolished"}, headers=token_for(manager)
    )
    assert response.status_code == 400
    assert "to" in response.get_json()["error"]["fields"]


def test_a_let_needs_rent_offered(client, manager, token_for, make_listing):
    listing = make_listing(deals=["sale"])
    response = client.post(
        f"/api/listings/{listing.id}/status", json={"to": "let"}, headers=token_for(manager)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deal_not_offered"


def lead_events(lead, type_=EventType.LISTING) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))


def test_reserve_for_a_lead_then_let_when_won(client, agent, token_for, lead, make_listing):
    listing = make_listing()
    headers = token_for(agent)  # the lead's agent, not a manager
    reserved = client.post(
        f"/api/listings/{listing.id}/reserve",
        json={"lead_id": lead.reference, "reason": "客户看厂满意"},
        headers=headers,
    )
    assert reserved.status_code == 200, reserved.get_json()
    data = reserved.get_json()
    assert data["status"] == "reserved"
    assert data["reserved_for_lead_id"] == lead.id
    assert data["events"][-1]["lead_id"] == lead.id
    [event] = lead_events(lead)
    assert event.data["action"] == "reserved"
    assert event.data["listing"]["id"] == listing.id
    assert event.agent_id == agent.id
    assert event.data["note"] == "客户看厂满意"

    url = f"/api/listings/{listing.id}/status"
    early = client.post(url, json={"to": "let"}, headers=headers)
    assert early.status_code == 409
    assert early.get_json()["error"]["code"] == "lead_not_won"

    for stage in ("contacted", "qualified", "site_visit", "negotiating", "won"):
        lifecycle.change_status(lead, stage, agent_id=agent.id, actor="agent")
    db.session.commit()
    let = client.post(url, json={"to": "let"}, headers=headers)
    assert let.status_code == 200, let.get_json()
    data = let.get_json()
    assert data["status"] == "let"
    assert data["closed_with_lead_id"] == lead.id
    assert data["reserved_for_lead_id"] is None
    assert [e.data["action"] for e in lead_events(lead)] == ["reserved", "let"]


def test_a_second_reservation_gets_409(client, agent, token_for, create_lead, make_listing):
    first, second = create_lead(), create_lead()
    listing = make_listing()
    headers = token_for(agent)
    url = f"/api/listings/{listing.id}/reserve"
    assert client.post(url, json={"lead_id": first.id}, headers=headers).status_code == 200
    response = client.post(url, json={"lead_id": second.id}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_reserved"
    assert lead_events(second) == []


def test_releasing_a_reservation_is_on_the_leads_timeline(
    client, agent, manager, token_for, lead, make_listing
):
    listing = make_listing()
    client.post(
        f"/api/listings/{listing.id}/reserve", json={"lead_id": lead.id}, headers=token_for(agent)
    )
    released = client.post(
        f"/api/listings/{listing.id}/status",
        json={"to": "available", "reason": "客户放弃"},
        headers=token_for(manager),
    )
    assert released.status_code == 200
    assert [e.data["action"] for e in lead_events(lead)] == ["reserved", "released"]


def test_reserving_needs_a_lead_the_agent_can_see(
    client, make_agent, default_team, token_for, lead, make_listing
):
    stranger = make_agent("stranger", team=default_team)
    listing = make_listing()
    response = client.post(
        f"/api/listings/{listing.id}/reserve",
        json={"lead_id": lead.id},
        headers=token_for(stranger),
    )
    assert response.status_code == 404
    missing = client.post(
        f"/api/listings/{listing.id}/reserve", json={}, headers=token_for(stranger)
    )
    assert missing.status_code == 400


# --- lead requirements ---------------------------------------------------------------------


def test_lead_requirements_through_intake_edit_and_json(client, agent, token_for):
    created = client.post(
        "/api/leads",
        json={
            "phone": "13812345678",
            "need_type": "factory",
            "ceiling_height_min_m": 8,
            "crane_t": 10,
            "power_kva": 630,
            "floor_load_t_m2": 3,
            "eia_category": "喷涂",
            "budget_rent_yuan_m2_month": 20,
        },
    )
    assert created.status_code == 201, created.get_json()
    lead_id = created.get_json()["id"]
    headers = token_for(agent)
    data = client.get(f"/api/leads/{lead_id}", headers=headers).get_json()
    assert data["ceiling_height_min_m"] == 8
    assert data["crane_t"] == 10
    assert data["power_kva"] == 630
    assert data["eia_category"] == "喷涂"
    edited = client.patch(
        f"/api/leads/{lead_id}",
        json={"version": data["version"], "budget_land_wan_per_mu": 25, "crane_t": None},
        headers=headers,
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["budget_land_wan_per_mu"] == 25
    assert edited.get_json()["crane_t"] is None


def test_absurd_lead_requirements_are_refused(client):
    response = client.post(
        "/api/leads",
        json={"phone": "13812345679", "ceiling_height_min_m": 200, "budget_rent_yuan_m2_month": -1},
    )
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {
        "ceiling_height_min_m",
        "budget_rent_yuan_m2_month",
    }


def test_the_lead_page_shows_the_reservation_on_the_timeline(
    app, client, agent, token_for, lead, make_listing
):
    from tests.web.pages import page_client

    listing = make_listing()
    client.post(
        f"/api/listings/{listing.id}/reserve",
        json={"lead_id": lead.id, "reason": "看厂满意"},
        headers=token_for(agent),
    )
    browser = page_client(app, agent.login)
    html = browser.get(f"/app/leads/{lead.id}").get_data(as_text=True)
    assert "已为客户预留：天元区标准厂房 A3 栋" in html
    english = browser.get(f"/app/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert "Reserved for this prospect: 天元区标准厂房 A3 栋" in english


def test_a_won_leads_reserved_listings_are_closed_in_one_call(agent, lead, make_listing):
    from app.listings import service

    rent = make_listing()
    sale_only = make_listing(deals=["sale"])
    other = make_listing()
    for listing in (rent, sale_only):
        service.reserve_for_lead(listing.id, lead, by=agent)
    db.session.commit()
    for stage in ("contacted", "qualified", "site_visit", "negotiating", "won"):
        lifecycle.change_status(lead, stage, agent_id=agent.id, actor="agent")
    events = service.close_reserved_for_won_lead(lead, by=agent)
    db.session.commit()
    assert sorted(e.to_status.value for e in events) == ["let", "sold"]
    assert (rent.status.value, sale_only.status.value, other.status.value) == (
        "let",
        "sold",
        "available",
    )
    assert rent.closed_with_lead_id == lead.id
    assert [e.data["action"] for e in lead_events(lead)] == ["reserved", "reserved", "let", "sold"]


def test_letting_names_a_signed_lead_given_explicitly(
    client, manager, token_for, create_lead, make_listing
):
    signed = create_lead()
    for stage in ("contacted", "qualified", "site_visit", "negotiating", "won"):
        lifecycle.change_status(signed, stage, actor="agent")
    db.session.commit()
    listing = make_listing()
    response = client.post(
        f"/api/listings/{listing.id}/status",
        json={"to": "let", "lead_id": signed.id, "reason": "签约"},
        headers=token_for(manager),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["closed_with_lead_id"] == signed.id
    assert [e.data["action"] for e in lead_events(signed)] == ["let"]


def test_a_new_area_keeps_what_is_available(client, manager, token_for, make_listing):
    headers = token_for(manager)
    whole = make_listing(min_split_m2=None)  # 3000 ㎡, all available
    partly = make_listing(available_m2=1200, min_split_m2=None)
    grown = client.patch(
        f"/api/listings/{whole.id}", json={"version": 1, "area_m2": 3500}, headers=headers
    ).get_json()
    assert grown["available_m2"] == 3500
    shrunk = client.patch(
        f"/api/listings/{partly.id}", json={"version": 1, "area_m2": 1000}, headers=headers
    ).get_json()
    assert (shrunk["area_m2"], shrunk["available_m2"]) == (1000, 1000)
    bad = client.patch(
        f"/api/listings/{partly.id}", json={"version": 2, "area_m2": "lots"}, headers=headers
    )
    assert bad.status_code == 400
    assert "area_m2" in bad.get_json()["error"]["fields"]
