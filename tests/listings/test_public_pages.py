"""The prospects' pages: /listings, /listings/<id> with its Open Graph card and 我有意向,
and a lead's shortlist /s/<token> (docs/listings.md "Public pages")."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Lead, LeadEvent
from app.listings import service
from app.listings.models import ListingStatus


def _listing_events(lead_id: int) -> list[str]:
    events = db.session.scalars(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead_id, LeadEvent.type == "listing")
        .order_by(LeadEvent.id)
    )
    return [e.data["action"] for e in events]


def test_the_index_shows_published_available_listings_only(client, make_listing):
    make_listing(title="公开的厂房", published=True)
    make_listing(title="内部的厂房", published=False)
    gone = make_listing(title="下架的厂房", published=True)
    service.change_status(gone, "withdrawn", by=None)
    db.session.commit()
    html = client.get("/listings").get_data(as_text=True)
    assert "公开的厂房" in html
    assert "内部的厂房" not in html
    assert "下架的厂房" not in html
    assert "公开的厂房" not in client.get("/listings?kind=office").get_data(as_text=True)


def test_a_listing_page_has_key_figures_and_an_open_graph_card(client, make_listing):
    listing = make_listing(
        title="高新区标准厂房", published=True, area_m2=6666.7, available_m2=6666.7,
        min_split_m2=None, lat="27.8350", lng="113.0790",
    )  # fmt: skip
    response = client.get(f"/listings/{listing.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "6,667" in html  # ㎡
    assert "10.00" in html  # 亩
    assert "元/㎡/月" in html
    assert "株洲高新区" in html
    assert 'property="og:title" content="高新区标准厂房"' in html
    assert 'property="og:description"' in html
    assert f'property="og:url" content="http://localhost/listings/{listing.id}"' in html
    assert "uri.amap.com/marker?position=113.079" in html
    assert "<style" not in html
    assert "<script" not in html


def test_unpublished_or_unknown_listings_are_404(client, make_listing):
    hidden = make_listing(published=False)
    for path in (f"/listings/{hidden.id}", "/listings/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "这个载体不存在或已下架" in response.get_data(as_text=True)


def test_interest_creates_a_lead_and_the_answer_is_the_same_for_a_known_phone(
    client, make_listing, create_lead
):
    listing = make_listing(title="芦淞仓库", published=True)
    form = {"phone": "13907330001", "contact_name": "刘先生", "message": "下月看房"}
    first = client.post(f"/listings/{listing.id}/interest", data=form)
    assert first.status_code == 200
    lead = db.session.scalars(select(Lead)).one()
    assert "芦淞仓库" in lead.message
    assert lead.source["listing_id"] == listing.id
    other = create_lead(phone="13907330002", company="另一家公司")
    second = client.post(f"/listings/{listing.id}/interest", data={"phone": "13907330002"})
    assert second.status_code == 200
    assert "另一家公司" not in second.get_data(as_text=True)
    assert other.reference not in second.get_data(as_text=True)
    assert first.get_data(as_text=True).count("已收到您的意向") == 1
    assert second.get_data(as_text=True).count("已收到您的意向") == 1
    # The known phone's enquiry joined its lead behind a receipt (docs/security.md).
    open_leads = select(func.count()).select_from(Lead).where(Lead.merged_into_id.is_(None))
    assert db.session.scalar(open_leads) == 2


def test_interest_without_a_phone_is_refused_and_nothing_written(client, make_listing):
    listing = make_listing(published=True)
    response = client.post(f"/listings/{listing.id}/interest", data={"contact_name": "刘"})
    assert response.status_code == 400
    assert "请填写手机号" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_a_shortlist_is_opened_and_clicked_on_the_leads_timeline(client, agent, lead, make_listing):
    shown = make_listing(title="推荐一号", published=True)
    service.change_status(make_listing(title="推荐二号", published=True), "withdrawn", by=None)
    made = service.create_shortlist(lead, [shown.id], by=agent)
    db.session.commit()
    page = client.get(f"/s/{made.token}")
    assert page.status_code == 200
    assert "推荐一号" in page.get_data(as_text=True)
    client.get(f"/s/{made.token}")  # reopened at once: the same visit
    detail = client.get(f"/s/{made.token}/{shown.id}")
    assert detail.status_code == 200
    assert 'name="token"' in detail.get_data(as_text=True)
    interested = client.post(f"/listings/{shown.id}/interest", data={"token": made.token})
    assert interested.status_code == 200
    db.session.refresh(made)
    assert made.opened_at is not None
    assert _listing_events(lead.id) == ["shortlist_opened", "shortlist_clicked", "interested"]


def test_unknown_and_revoked_tokens_are_404_with_a_message(client, agent, lead, make_listing):
    made = service.create_shortlist(lead, [make_listing(published=True).id], by=agent)
    db.session.commit()
    unknown = client.get("/s/not-a-token")
    assert unknown.status_code == 404
    assert "这个推荐链接不存在" in unknown.get_data(as_text=True)
    service.revoke_shortlist(made.id, lead, by=agent)
    db.session.commit()
    for path in (f"/s/{made.token}", f"/s/{made.token}/1"):
        revoked = client.get(path)
        assert revoked.status_code == 404
        assert "已失效" in revoked.get_data(as_text=True)
    english = client.get(f"/s/{made.token}?lang=en")
    assert "no longer valid" in english.get_data(as_text=True)
    assert _listing_events(lead.id) == []


def test_a_listing_outside_the_shortlist_is_404(client, agent, lead, make_listing):
    made = service.create_shortlist(lead, [make_listing(published=True).id], by=agent)
    other = make_listing(published=True)
    db.session.commit()
    assert client.get(f"/s/{made.token}/{other.id}").status_code == 404


def test_a_reserved_listing_stays_visible_on_its_page(client, agent, lead, make_listing):
    listing = make_listing(published=True)
    service.reserve_for_lead(listing.id, lead, by=agent)
    db.session.commit()
    assert listing.status is ListingStatus.RESERVED
    assert client.get(f"/listings/{listing.id}").status_code == 200


def test_the_listing_page_in_english(client, make_listing):
    listing = make_listing(title="高新区标准厂房", published=True)
    html = client.get(f"/listings/{listing.id}?lang=en").get_data(as_text=True)
    assert "Available area" in html
    assert "yuan/㎡/month" in html
    assert "I&#39;m interested" in html or "I'm interested" in html
    assert "可租售面积" not in html
