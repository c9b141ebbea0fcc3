"""The public listing page in Chromium on a phone (390×844), over real HTTP: no sideways
scrolling, the photo and the key figures visible, 我有意向 stores an enquiry
(docs/listings.md "Public pages")."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.db import db
from app.listings import service
from app.listings.demo import demo_listing_payload
from app.listings.drawings import drawing
from tests.browser.helpers import LiveServer, shoot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _listing(live: LiveServer, photos: Path) -> int:
    live.app.config["LISTINGS_PHOTO_DIR"] = str(photos)
    with live.app.app_context():
        listing = service.create_listing(demo_listing_payload(0), by=None)
        service.add_photo(listing, by=None, data=drawing("factory", (96, 125, 160)))
        db.session.commit()
        return listing.id


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_listing_page_on_a_phone(chromium, live: LiveServer, tmp_path: Path):
    listing_id = _listing(live, tmp_path / "photos")
    context = chromium.new_context(
        base_url=live.url, viewport=PHONE, device_scale_factor=3, is_mobile=True,
        has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
    )  # fmt: skip
    page = context.new_page()
    try:
        page.goto("/listings")
        assert _fits(page)
        page.locator("a.lcard").first.tap()
        page.wait_for_url(f"**/listings/{listing_id}")
        assert _fits(page)
        photo = page.locator("img.photo").first
        assert photo.is_visible()
        assert page.evaluate("document.querySelector('img.photo').naturalWidth") > 0
        figures = page.locator("#key-figures")
        assert figures.is_visible()
        text = figures.inner_text()
        assert "5,200" in text
        assert "7.80" in text
        assert "元/㎡/月" in text
        box = figures.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        shoot(page, "listing-phone")
        page.fill("#i-phone", "139 0733 0001")
        page.fill("#i-name", "刘先生")
        page.locator("#interest-button").tap()
        page.locator("#interest-done").wait_for()
        assert _fits(page)
        shoot(page, "listing-phone-interest")
    finally:
        context.close()
    assert live.scalar("SELECT phone FROM lead") == "+8613907330001"
