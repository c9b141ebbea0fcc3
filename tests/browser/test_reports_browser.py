"""The reports page in Chromium: an admin logs in and the charts show a known history."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests.browser.helpers import LiveServer, log_in, shoot
from tests.reports.known_history import FUNNEL, RANGE, WEEKS, seed_known_history

pytestmark = pytest.mark.browser


def test_admin_sees_the_report_with_charts_for_a_known_history(browser_page, live: LiveServer):
    a = live.agent("agent_a", team="招商一部", name="王招商")
    b = live.agent("agent_b", team="招商一部", name="李招商")
    admin = live.agent("boss", role=Role.ADMIN, team="招商一部", name="主任")
    with live.app.app_context():
        seed_known_history(a.id, b.id, a.team_id)
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    log_in(page, admin.login)
    page.goto(f"/app/reports?from={RANGE['from']}&to={RANGE['to']}")
    funnel = page.locator("svg#chart-funnel")
    funnel.wait_for()
    assert funnel.bounding_box()["width"] > 300
    counts = {
        el.get_attribute("data-key"): int(el.text_content())
        for el in funnel.locator("text.value").all()
    }
    assert counts == FUNNEL
    assert funnel.locator("title").first.text_content() == "转化漏斗"
    trend = page.locator("svg#chart-trend")
    created = {el.get_attribute("data-key"): el.text_content()
               for el in trend.locator("text.first").all()}  # fmt: skip
    won = {el.get_attribute("data-key"): el.text_content()
           for el in trend.locator("text.second").all()}  # fmt: skip
    assert {k: (int(created[k]), int(won[k])) for k in created} == WEEKS
    agents = page.locator("svg#chart-agents")
    assert agents.locator(f'g[data-key="{a.id}"] text.first').text_content() == "3"
    assert agents.locator(f'g[data-key="{a.id}"] text.second').text_content() == "2"
    assert page.locator("#m-conversion .num").inner_text() == "40.0%"
    assert page.locator("#m-landing .num").inner_text() == "50.0%"
    assert page.locator("#m-won-tax .num").inner_text() == "1,300 万元"
    assert page.locator("#m-sla .num").inner_text() == "60.0%"
    shoot(page, "report-admin")
    assert all(url.startswith(live.url) for url in requested), "no CDN or other site"
    page.select_option("select[name=group_by]", "channel")
    page.click("form.filters button[type=submit]")
    page.locator("#group-table").wait_for()
    assert "网页表单" in page.locator("#group-table").inner_text()
    shoot(page, "report-admin-by-channel")
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
