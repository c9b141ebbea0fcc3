"""The agent's pages and the role views on a phone (390×844) in Chromium (docs/workspace.md):
no horizontal overflow, the queue as cards with the SLA countdown visible, tap-to-call and
tap-to-copy phone numbers written as people write them, report charts within the screen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from app.accounts.models import Agent, Role
from app.core.db import db, utcnow
from app.leads.models import Channel, Lead, LeadStatus, NeedType
from tests.browser.helpers import PHONE, LiveServer, log_in, shoot
from tests.reports.known_history import RANGE, seed_known_history

pytestmark = pytest.mark.browser
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def phone(phone_page: Any) -> Any:
    return phone_page


def add_lead(live: LiveServer, agent_id: int | None, team_id: int | None, **fields: Any) -> int:
    with live.app.app_context():
        now = utcnow()
        lead = Lead(
            channel=Channel.WEB_FORM, need_type=NeedType.FACTORY,
            status=fields.pop("status", LeadStatus.ASSIGNED), agent_id=agent_id,
            team_id=team_id, created_at=now, last_activity_at=now, routed_at=now,
            sla_due_at=now + dt.timedelta(minutes=fields.pop("due", 30)),
            score=fields.pop("score", 50), **fields,
        )  # fmt: skip
        db.session.add(lead)
        db.session.commit()
        return lead.id


def within_screen(box: dict[str, float] | None) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5


def test_queue_is_cards_with_countdown_and_tap_to_call(phone, live: LiveServer):
    agent = live.agent("zhang", team="招商一部", name="张专员")
    long_name = "湘能电池科技有限公司超长名称的新能源电池制造企业"
    add_lead(live, agent.id, agent.team_id, company=long_name, contact_name="王先生",
             phone="+8613973312345", due=25)  # fmt: skip
    add_lead(live, agent.id, agent.team_id, company="株洲物流有限公司", contact_name="赵经理",
             phone="+8673122334455", due=-40)  # fmt: skip
    add_lead(live, agent.id, agent.team_id, company="香港贸易公司", phone="+85221234567", due=90)
    log_in(phone, agent.login)
    phone.goto("/app/leads")
    cards = phone.locator("tr.lead-card")
    assert cards.count() == 3
    assert phone.evaluate(OVERFLOW)
    shoot(phone, "phone-queue")
    for card in cards.all():
        assert card.evaluate("el => getComputedStyle(el).display") == "flex"  # a card
        countdown = card.locator(".sla .countdown")
        assert countdown.is_visible()
        assert within_screen(countdown.bounding_box())
        assert re.fullmatch(r"(剩|已超时) .*分钟", countdown.inner_text())
        call = card.locator("a.tel")
        assert call.get_attribute("href").startswith("tel:+")
        assert within_screen(call.bounding_box())
    numbers = [a.inner_text() for a in phone.locator("a.tel").all()]
    assert numbers == ["0731-2233 4455", "139 7331 2345", "+852 2123 4567"]  # most urgent first
    assert phone.locator("a.tel").first.get_attribute("href") == "tel:+8673122334455"
    assert "已超时" in cards.first.locator(".countdown").inner_text()


def test_copy_button_copies_the_number_as_written(phone, live: LiveServer):
    agent = live.agent("zhang", team="招商一部", name="张专员")
    lead_id = add_lead(live, agent.id, agent.team_id, company="湘能电池", phone="+8613973312345")
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    log_in(phone, agent.login)
    phone.goto(f"/app/leads/{lead_id}")
    assert phone.evaluate(OVERFLOW)
    button = phone.locator("dl.facts button.copy")
    button.tap()
    phone.wait_for_function(
        "document.querySelector('dl.facts button.copy').textContent === '已复制'"
    )
    assert phone.evaluate("navigator.clipboard.readText()") == "139 7331 2345"
    assert phone.locator("dl.facts a.tel").get_attribute("href") == "tel:+8613973312345"
    shoot(phone, "phone-lead")


def test_every_agent_page_fits_a_phone(phone, live: LiveServer):
    agent = live.agent("zhang", team="招商一部", name="张专员")
    lead_id = add_lead(live, agent.id, agent.team_id, company="湘能电池科技有限公司",
                       phone="+8613973312345")  # fmt: skip
    add_lead(live, None, agent.team_id, company="公海里的公司", status=LeadStatus.NEW)
    log_in(phone, agent.login)
    for path in ("/app/leads", "/app/pool", f"/app/leads/{lead_id}", "/app/leads/new",
                 "/account/password"):  # fmt: skip
        phone.goto(path)
        assert phone.evaluate(OVERFLOW), f"{path} runs off a 390 px screen"


@pytest.fixture
def two_teams(live: LiveServer) -> dict[str, Agent]:
    """An agent with a lead in each of two teams (招商一部 is the default team)."""
    mate = live.agent("zhang", team="招商一部", name="张专员")
    other = live.agent("li", team="招商二部", name="李专员")
    add_lead(live, mate.id, mate.team_id, company="本团队公司", phone="+8613973312345")
    add_lead(live, other.id, other.team_id, company="外团队公司", phone="+8613973312346")
    return {"mate": mate, "other": other}


def test_team_lead_sees_the_teams_leads_on_a_phone(phone, live: LiveServer, two_teams):
    lead_user = live.agent("chen", role=Role.LEAD, team="招商一部", name="陈主管")
    log_in(phone, lead_user.login)
    phone.goto("/app/leads?scope=team")
    text = phone.locator("#queue").inner_text()
    assert "本团队公司" in text
    assert "外团队公司" not in text
    assert "张专员" in phone.locator("tr.lead-card .owner").first.inner_text()
    assert phone.evaluate(OVERFLOW)
    shoot(phone, "phone-team-leads")


def test_admin_filters_all_leads_by_agent_on_a_phone(phone, live: LiveServer, two_teams):
    admin = live.agent("boss", role=Role.ADMIN, team="招商一部", name="王主任")
    other = two_teams["other"]
    log_in(phone, admin.login)
    phone.goto("/app/leads")
    phone.locator("nav a", has_text="全部线索").first.tap()
    phone.wait_for_url(re.compile(r"scope=all"))
    assert phone.locator("tr.lead-card").count() == 2
    phone.select_option("select[name=agent]", str(other.id))
    phone.locator("form.filters button[type=submit]").tap()
    phone.wait_for_url(re.compile(rf"agent={other.id}"))
    assert phone.locator("#queue").inner_text().count("外团队公司") == 1
    assert "本团队公司" not in phone.locator("#queue").inner_text()
    assert phone.evaluate(OVERFLOW)


def test_report_charts_fit_the_phone(phone, live: LiveServer):
    a = live.agent("agent_a", team="招商一部", name="王招商")
    b = live.agent("agent_b", team="招商一部", name="李招商")
    admin = live.agent("boss", role=Role.ADMIN, team="招商一部", name="主任")
    with live.app.app_context():
        seed_known_history(a.id, b.id, a.team_id)
    log_in(phone, admin.login)
    phone.goto(f"/app/reports?from={RANGE['from']}&to={RANGE['to']}")
    phone.locator("svg#chart-funnel").wait_for()
    assert phone.evaluate(OVERFLOW)
    for chart in phone.locator("svg.chart").all():
        box = chart.bounding_box()
        assert within_screen(box), box
        assert box["width"] > PHONE["width"] * 0.7  # the screen's width, not a thumbnail
        label = chart.locator("text").first.bounding_box()
        assert label["height"] >= 9  # readable: the text is not shrunk away
    shoot(phone, "phone-report")
