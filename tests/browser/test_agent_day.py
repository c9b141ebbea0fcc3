"""An agent's day in Chromium: claim a lead from the pool, log a call, mark it contacted."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.db import db, utcnow
from app.leads.models import Channel, Lead, LeadStatus, NeedType
from tests.browser.helpers import LiveServer, log_in, shoot

pytestmark = pytest.mark.browser


def test_agent_claims_a_lead_logs_a_call_and_marks_it_contacted(browser_page, live: LiveServer):
    agent = live.agent("zhang", team="招商一部", name="张专员")
    with live.app.app_context():
        # Waiting in the team's pool (routed, nobody free at the time).
        now = utcnow()
        lead = Lead(
            channel=Channel.WEB_FORM, need_type=NeedType.WAREHOUSE, status=LeadStatus.NEW,
            team_id=agent.team_id, phone="+8613900001111", company="株洲物流有限公司",
            contact_name="赵经理", created_at=now, last_activity_at=now, routed_at=now,
            sla_due_at=now + dt.timedelta(minutes=30),
        )  # fmt: skip
        db.session.add(lead)
        db.session.commit()
        lead_id = lead.id
    page = browser_page
    log_in(page, agent.login)
    page.goto("/app/pool")
    row = page.locator("tr", has_text="株洲物流有限公司")
    shoot(page, "agent-pool")
    row.locator("button", has_text="领取").click()
    page.wait_for_load_state()
    page.goto(f"/app/leads/{lead_id}")
    assert "张专员" in page.locator("dl.facts").inner_text()
    page.select_option("#f-outcome", "connected")
    page.fill("#f-duration", "5")
    page.fill("#f-call-note", "客户确认需要三千平仓库")
    page.locator("form", has=page.locator("#f-outcome")).locator("button[type=submit]").click()
    page.locator(".offer button", has_text="标记为已联系").click()
    page.wait_for_load_state()
    assert page.locator(".headline .badge").inner_text() == "已联系"
    shoot(page, "agent-lead-contacted")
    assert live.scalar("SELECT status FROM lead WHERE id = :i", i=lead_id) == "contacted"
    assert live.scalar("SELECT agent_id FROM lead WHERE id = :i", i=lead_id) == agent.id
    calls = live.scalar(
        "SELECT count(*) FROM lead_event WHERE lead_id = :i AND type = 'call'", i=lead_id
    )
    assert calls == 1
