"""The listings pages of the workspace and the 匹配载体 panel of the lead page
(docs/listings.md "Pages"), over HTTP with a logged-in browser."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core.db import db, utcnow
from app.leads.models import LeadEvent, LeadStatus
from app.listings.drawings import drawing
from app.listings.models import Listing, ListingEvent, ListingStatus, Shortlist
from app.notifications.models import Notification
from app.wechat.models import WechatUser
from tests.workspace.helpers import Browser, give


@pytest.fixture
def outsider_agent(make_agent, make_team):
    """An agent of another team."""
    return make_agent("zhao-other", team=make_team("招商五部"))


def _browser(app, agent) -> Browser:
    return Browser(app.test_client()).log_in(agent)


def test_the_list_filters_and_pages(app, agent, make_listing):
    make_listing(title="天元标准厂房")
    make_listing(kind="warehouse", subtype="cold_storage", title="荷塘冷库", district="荷塘区")
    make_listing(kind="office", title="芦淞写字楼", district="芦淞区")
    page = _browser(app, agent)
    assert all(t in page.text("/app/listings") for t in ("天元标准厂房", "荷塘冷库", "芦淞写字楼"))
    only = page.text("/app/listings?kind=warehouse")
    assert "荷塘冷库" in only
    assert "天元标准厂房" not in only
    assert "芦淞写字楼" in page.text("/app/listings?district=芦淞区")
    assert "荷塘冷库" not in page.text("/app/listings?q=写字楼")
    assert "芦淞写字楼" not in page.text("/app/listings?status=withdrawn")


def test_an_unknown_kind_in_the_filter_is_explained(app, agent):
    page = _browser(app, agent)
    response = page.get("/app/listings?kind=castle", follow_redirects=True)
    assert "没有这个载体类型" in response.get_data(as_text=True)


def test_paging_links_the_next_page(app, agent, make_listing):
    for n in range(32):
        make_listing(title=f"厂房{n:02d}号")
    page = _browser(app, agent)
    first = page.text("/app/listings")
    link = re.search(r'href="\?([^"]*cursor=[^"]+)"', first)
    assert link
    second = page.text("/app/listings?" + link[1].replace("&amp;", "&"))
    assert "厂房00号" in second
    assert "厂房00号" not in first


def test_a_manager_creates_a_listing_and_sees_it(app, manager):
    page = _browser(app, manager)
    assert "新建载体" in page.text("/app/listings/new")
    response = page.post(
        "/app/listings/new",
        {
            "title": "渌口区单层厂房",
            "kind": "factory",
            "subtype": "single_storey",
            "deals": "rent",
            "district": "渌口区",
            "area_m2": "5000",
            "ceiling_height_m": "10",
            "rent_yuan_m2_month": "15",
            "published": "on",
        },
    )
    assert response.status_code == 303
    listing = db.session.scalars(select(Listing)).one()
    assert listing.title == "渌口区单层厂房"
    assert listing.published
    assert "渌口区单层厂房" in page.text(response.headers["Location"])


def test_bad_figures_are_shown_on_the_form_and_nothing_is_written(app, manager):
    page = _browser(app, manager)
    response = page.post(
        "/app/listings/new",
        {"title": "荒唐", "kind": "factory", "area_m2": "0", "ceiling_height_m": "200"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0


def test_an_agent_may_not_create_listings(app, agent):
    page = _browser(app, agent)
    assert page.get("/app/listings/new").status_code == 403


def test_edit_with_the_version_and_a_stale_one(app, manager, make_listing):
    listing = make_listing(by=manager)
    page = _browser(app, manager)
    form = {
        "title": "改名的厂房",
        "kind": "factory",
        "area_m2": "3000",
        "deals": "rent",
        "version": str(listing.version),
    }
    assert page.post(f"/app/listings/{listing.id}/edit", form).status_code == 303
    db.session.refresh(listing)
    assert listing.title == "改名的厂房"
    stale = page.post(f"/app/listings/{listing.id}/edit", {**form, "title": "又改"})
    assert stale.status_code == 409
    db.session.refresh(listing)
    assert listing.title == "改名的厂房"


def test_status_changes_are_in_the_history(app, manager, make_listing):
    listing = make_listing(by=manager)
    page = _browser(app, manager)
    response = page.post(
        f"/app/listings/{listing.id}/status", {"to": "withdrawn", "reason": "业主收回"}
    )
    assert response.status_code == 303
    html = page.text(f"/app/listings/{listing.id}")
    assert "业主收回" in html
    assert "已下架" in html
    bad = page.post(f"/app/listings/{listing.id}/status", {"to": "sold"})
    assert bad.status_code == 409


def test_photo_upload_and_bad_images(app, manager, make_listing, monkeypatch):
    listing = make_listing(by=manager)
    page = _browser(app, manager)
    path = f"/app/listings/{listing.id}/photos"
    ok = page.post(
        path,
        {"file": (io.BytesIO(drawing("factory", (120, 80, 60), width=40, height=30)), "a.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 303
    not_image = page.post(
        path, {"file": (io.BytesIO(b"%PDF-1.4 hello"), "x.png")}, content_type="multipart/form-data"
    )
    assert not_image.status_code == 400
    assert "图片" in not_image.get_data(as_text=True)
    small = drawing("factory", (120, 80, 60), width=4, height=3)
    huge = page.post(
        path,
        {"file": (io.BytesIO(small), "big.png")},
        content_type="multipart/form-data",
        environ_overrides={"CONTENT_LENGTH": str(50 << 20)},
    )
    assert huge.status_code == 413
    assert "图片不能超过 8 MB" in huge.get_data(as_text=True)
    monkeypatch.setitem(app.config, "LISTINGS_PHOTO_MAX_BYTES", 100_000)
    over = page.post(
        path,
        {"file": (io.BytesIO(small + b"\0" * 150_000), "over.png")},
        content_type="multipart/form-data",
    )
    assert over.status_code == 413
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ListingEvent)
            .where(ListingEvent.listing_id == listing.id, ListingEvent.type == "photo_added")
        )
        == 1
    )
    by_url = page.post(path, {"url": "https://example.com/a.jpg"})
    assert by_url.status_code == 303


def test_who_fits_this_listing(app, agent, create_lead, make_listing):
    lead = give(
        create_lead(
            company="湘江电机",
            need_type="factory",
            area_min_m2=1000,
            area_max_m2=2000,
            district="天元区",
        ),
        agent,
    )
    listing = make_listing()
    html = _browser(app, agent).text(f"/app/listings/{listing.id}")
    assert "湘江电机" in html
    assert f"/app/leads/{lead.id}" in html


def test_the_lead_page_panel_reserve_shortlist_and_close(app, agent, create_lead, make_listing):
    lead = give(
        create_lead(
            company="湘江电机",
            need_type="factory",
            area_min_m2=1000,
            area_max_m2=2000,
            district="天元区",
            deal="rent",
        ),
        agent,
    )
    listing = make_listing(title="高新区A3栋", published=True)
    page = _browser(app, agent)
    html = page.text(f"/app/leads/{lead.id}")
    assert "匹配载体" in html
    assert "高新区A3栋" in html
    # reserve, then reserving again is refused with a message
    assert (
        page.post(f"/app/leads/{lead.id}/listings/reserve", {"listing_id": listing.id}).status_code
        == 303
    )
    db.session.refresh(listing)
    assert listing.status is ListingStatus.RESERVED
    assert listing.reserved_for_lead_id == lead.id
    again = page.post(
        f"/app/leads/{lead.id}/listings/reserve", {"listing_id": listing.id}, follow_redirects=True
    )
    assert again.status_code == 409
    assert "该载体已为此线索预留" in again.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ListingEvent)
            .where(ListingEvent.listing_id == listing.id, ListingEvent.to_status == "reserved")
        )
        == 1
    )
    # a shortlist link, shown on the page
    other = make_listing(title="高新区B1栋", published=True)
    made = page.post(
        f"/app/leads/{lead.id}/listings/shortlist",
        {"listing_ids": [str(other.id)]},
        follow_redirects=True,
    )
    shortlist = db.session.scalars(select(Shortlist)).one()
    assert shortlist.listing_ids == [other.id]
    assert len(shortlist.token) >= 32
    assert f"/s/{shortlist.token}" in made.get_data(as_text=True)
    # won: the reserved listing is let to the lead; both histories say so
    give(lead, agent, status=LeadStatus.WON)
    assert (
        page.post(
            f"/app/leads/{lead.id}/listings/close", {"listing_id": listing.id, "to": "let"}
        ).status_code
        == 303
    )
    db.session.refresh(listing)
    assert listing.status is ListingStatus.LET
    assert listing.closed_with_lead_id == lead.id
    actions = [
        e.data.get("action")
        for e in db.session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == "listing")
        )
    ]
    assert actions == ["reserved", "let"]


def test_send_outside_the_wechat_window_gives_the_link(app, agent, create_lead, make_listing):
    lead = give(
        create_lead(need_type="factory", area_min_m2=1000), agent, wechat_openid="o-prospect-1"
    )
    listing = make_listing(published=True)
    page = _browser(app, agent)
    response = page.post(
        f"/app/leads/{lead.id}/listings/shortlist",
        {"listing_ids": [str(listing.id)], "send": "1"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    token = db.session.scalars(select(Shortlist.token)).one()
    assert "其他渠道" in html
    assert f"/s/{token}" in html


def test_an_empty_shortlist_is_refused(app, agent, lead):
    page = _browser(app, agent)
    response = page.post(f"/app/leads/{lead.id}/listings/shortlist", {})
    assert response.status_code == 400
    assert "请至少选择一个载体" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Shortlist)) == 0


def test_export_csv_and_xlsx_guard_formulas(app, manager, make_listing):
    make_listing(title='=HYPERLINK("http://evil")')
    page = _browser(app, manager)
    csv_text = page.get("/app/listings/export?format=csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    assert "标题" in csv_text
    xlsx = page.get("/app/listings/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2].startswith("'=")


def test_import_checks_every_row_then_imports_all(app, manager):
    page = _browser(app, manager)
    template = page.get("/app/listings/import/template?format=csv").get_data().decode("utf-8-sig")
    assert template.splitlines()[0].startswith("标题,类型")
    bad = "标题,类型,面积㎡,层高m\n好厂房,厂房,1000,8\n坏厂房,城堡,0,200\n"
    checked = page.post(
        "/app/listings/import",
        {"file": (io.BytesIO(bad.encode()), "l.csv"), "action": "import"},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 400
    html = checked.get_data(as_text=True)
    assert html.count("<tr><td>3</td>") >= 2  # every error of row 3 listed
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0
    good = "标题,类型,面积㎡,层高m\n好厂房,厂房,1000,8\n好仓库,仓库,2000,\n"
    dry = page.post(
        "/app/listings/import",
        {"file": (io.BytesIO(good.encode()), "l.csv"), "action": "check"},
        content_type="multipart/form-data",
    )
    assert dry.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0
    done = page.post(
        "/app/listings/import",
        {"file": (io.BytesIO(good.encode()), "l.csv"), "action": "import"},
        content_type="multipart/form-data",
    )
    assert done.status_code == 200
    assert sorted(db.session.scalars(select(Listing.title))) == ["好仓库", "好厂房"]


def test_send_inside_the_wechat_window_queues_one_news_card(app, agent, create_lead, make_listing):
    db.session.add(WechatUser(openid="o-prospect-2", last_inbound_at=utcnow()))
    lead = give(
        create_lead(need_type="factory", area_min_m2=1000), agent, wechat_openid="o-prospect-2"
    )
    listing = make_listing(title="高新区A3栋", published=True)
    page = _browser(app, agent)
    response = page.post(
        f"/app/leads/{lead.id}/listings/shortlist",
        {"listing_ids": [str(listing.id)], "send": "1"},
        follow_redirects=True,
    )
    assert "推荐清单已进入微信发送队列" in response.get_data(as_text=True)
    token = db.session.scalars(select(Shortlist.token)).one()
    [notification] = db.session.scalars(select(Notification)).all()
    news = notification.payload["news"]
    assert notification.recipient == "o-prospect-2"
    assert news["url"] == f"http://localhost/s/{token}"
    assert news["title"] == "为您推荐的 1 个载体"
    assert "高新区A3栋" in news["description"]
    actions = [
        e.data.get("action")
        for e in db.session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == "listing")
        )
    ]
    assert actions == ["shortlist_sent"]


def test_revoking_a_shortlist_from_the_lead_page(app, client, agent, lead, make_listing):
    give(lead, agent)
    listing = make_listing(published=True)
    page = _browser(app, agent)
    page.post(f"/app/leads/{lead.id}/listings/shortlist", {"listing_ids": [str(listing.id)]})
    shortlist = db.session.scalars(select(Shortlist)).one()
    assert client.get(f"/s/{shortlist.token}").status_code == 200
    response = page.post(f"/app/leads/{lead.id}/listings/shortlist/{shortlist.id}/revoke")
    assert response.status_code == 303
    assert client.get(f"/s/{shortlist.token}").status_code == 404
    unknown = page.post(f"/app/leads/{lead.id}/listings/shortlist/999999/revoke")
    assert unknown.status_code == 404
    assert "没有这份推荐清单" in unknown.get_data(as_text=True)


def test_removing_a_photo_from_the_listing_page(app, manager, make_listing):
    listing = make_listing(by=manager)
    page = _browser(app, manager)
    page.post(f"/app/listings/{listing.id}/photos", {"url": "https://example.com/a.jpg"})
    html = page.text(f"/app/listings/{listing.id}")
    assert "https://example.com/a.jpg" in html
    photo_id = re.search(rf"/app/listings/{listing.id}/photos/(\d+)/delete", html)[1]
    response = page.post(f"/app/listings/{listing.id}/photos/{photo_id}/delete")
    assert response.status_code == 303
    assert "https://example.com/a.jpg" not in page.text(f"/app/listings/{listing.id}")


def test_an_agent_of_another_team_cannot_act_on_a_lead(app, outsider_agent, lead, make_listing):
    listing = make_listing(published=True)
    page = _browser(app, outsider_agent)
    response = page.post(f"/app/leads/{lead.id}/listings/reserve", {"listing_id": listing.id})
    assert response.status_code == 404
    assert "找不到这条线索" in response.get_data(as_text=True)
    db.session.refresh(listing)
    assert listing.status is ListingStatus.AVAILABLE
