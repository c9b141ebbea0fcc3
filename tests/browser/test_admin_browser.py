"""Admin pages in Chromium: add a routing rule with an area in 亩, then ask the dry run who
would get a lead, and why."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests.browser.helpers import LiveServer, log_in, shoot

pytestmark = pytest.mark.browser


def test_admin_adds_a_rule_and_the_dry_run_explains_it(browser_page, live: LiveServer):
    admin = live.agent("boss", role=Role.ADMIN, team="招商一部", name="主任")
    live.agent("zhang", team="招商一部", name="张专员")
    page = browser_page
    log_in(page, admin.login)
    page.goto("/app/admin/routing/rules/new")
    page.fill("#f-name", "大厂房")
    page.check("input[name=need_types][value=factory]")
    page.fill("#f-min_area", "5")
    page.select_option("select[name=area_unit]", "mu")
    page.select_option("#f-team_id", label="招商一部")
    page.select_option("#f-strategy", "least_loaded")
    page.check("input[name=active]")
    shoot(page, "admin-rule-form")
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/app/admin/routing")
    rules = page.locator("#rules").inner_text()
    assert "大厂房" in rules
    assert "面积 ≥ 3,333 ㎡（5.0 亩）" in rules
    assert "负载最低优先" in rules
    shoot(page, "admin-rules")
    page.goto("/app/admin/routing/dry-run")
    page.select_option("#f-need_type", "factory")
    page.fill("#f-area_min", "10")
    page.select_option("select[name=area_unit]", "mu")
    page.click("#dry-run-form button[type=submit]")
    result = page.locator("#dry-run-result")
    result.wait_for()
    assert "分给 张专员" in result.inner_text()
    assert "大厂房" in result.inner_text()
    shoot(page, "admin-dry-run")


def test_deleting_a_rule_asks_first_with_no_inline_script(browser_page, live: LiveServer):
    """The confirmation lives in static/confirm.js, allowed by the CSP."""
    admin = live.agent("boss", role=Role.ADMIN, team="招商一部", name="主任")
    page = browser_page
    log_in(page, admin.login)
    page.goto("/app/admin/routing/rules/new")
    page.fill("#f-name", "待删规则")
    page.select_option("#f-team_id", label="招商一部")
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/app/admin/routing")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("#rules button.danger")
    assert questions == ["删除规则 待删规则？"]
    assert "待删规则" in page.locator("#rules").inner_text()  # dismissed: kept
    page.once("dialog", lambda d: answer(d, True))
    page.click("#rules button.danger")
    page.wait_for_load_state()
    assert "待删规则" not in page.locator("#rules").inner_text()
