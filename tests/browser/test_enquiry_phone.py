"""The public enquiry form in Chromium on a phone-sized screen, over real HTTP."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import LiveServer, shoot, watch_csp

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_enquiry_form_on_a_phone_shows_a_reference(chromium, live: LiveServer):
    context = chromium.new_context(
        base_url=live.url, viewport=PHONE, device_scale_factor=3, is_mobile=True,
        has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
    )  # fmt: skip
    page = context.new_page()
    blocked = watch_csp(page)
    try:
        page.goto("/enquiry")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.select_option("#need_type", "factory")
        page.fill("input[name=area_min]", "3000")
        page.fill("input[name=area_max]", "5000")
        page.fill("#company", "湘能电池科技有限公司")
        page.fill("#contact_name", "王先生")
        page.fill("#phone", "138 1234 5678")
        page.fill("#message", "想在芦淞区租标准厂房，层高8米")
        shoot(page, "enquiry-phone-filled")
        page.locator("button[type=submit]").tap()
        reference = page.locator("#reference")
        reference.wait_for()
        assert re.fullmatch(r"PL-\d{8}-\d{4,}", reference.inner_text())
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "enquiry-phone-done")
    finally:
        context.close()
    assert not blocked, f"the CSP blocked: {blocked}"
    stored = live.scalar("SELECT phone FROM lead WHERE company = '湘能电池科技有限公司'")
    assert stored == "+8613812345678"
