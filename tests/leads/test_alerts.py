"""The messages about leads (app/leads/alerts.py): the same rows, word for word, as the outbox
queued when it still held them, and what they do when the outbox reports back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts.models import Agent
from app.core.db import db
from app.leads import alerts
from app.leads.models import Channel, EventType, Lead, LeadEvent, NeedType
from app.notifications import signals
from app.notifications.models import Notification, NotificationChannel

C = NotificationChannel
ASSIGNED_AT = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)  # 10:30 in Beijing
DUE_AT = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 12:00 in Beijing


@pytest.fixture
def alerting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A WeChat template and e-mail configured; nothing is sent (no dispatcher runs)."""
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATE_LEAD_ASSIGNED", "tpl-assigned")
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.park.example")
    monkeypatch.setitem(app.config, "WEBHOOK_URL", None)


@pytest.fixture
def li(make_agent: Callable[..., Agent]) -> Agent:
    agent = make_agent("li", email="li@park.example", name="李敏")
    agent.wechat_openid = "o-agent-li"
    db.session.flush()
    return agent


def unassigned_lead(**fields: object) -> Lead:
    lead = Lead(
        phone="+8613912345678", need_type=NeedType.FACTORY, channel=Channel.WEB_FORM, **fields
    )
    db.session.add(lead)
    db.session.flush()
    return lead


def test_lead_assigned_message_is_unchanged(alerting: None, li: Agent) -> None:
    lead = unassigned_lead(
        company="湘能电池科技有限公司",
        contact_name="王先生",
        area_min_m2=Decimal(3000),
        area_max_m2=Decimal(5000),
        district="雨花区",
    )
    lead.assigned_at, lead.sla_due_at = ASSIGNED_AT, DUE_AT

    queued = alerts.notify_lead_assigned(lead, li)

    by_channel = {n.channel: n for n in queued}
    assert set(by_channel) == {C.WECHAT_TEMPLATE, C.EMAIL}
    ref = lead.reference
    cause = f"lead_assigned:{lead.id}:{li.id}:{ASSIGNED_AT.isoformat()}"
    template = by_channel[C.WECHAT_TEMPLATE]
    assert (template.recipient, template.template, template.idempotency_key) == (
        "o-agent-li",
        "lead_assigned",
        f"{cause}:wechat_template",
    )
    assert template.payload["data"] == {
        "first": f"新线索 {ref} 已分配给您",
        "keyword1": ref,
        "keyword2": "湘能电池科技有限公司 王先生 +86139****5678",
        "keyword3": "厂房，3000-5000㎡，雨花区",
        "keyword4": "2026-12-03 10:30",
        "remark": "请在 2026-12-03 12:00 前联系客户。",
    }
    assert template.payload["alert"]["sms_params"] == [ref, "2026-12-03 12:00"]
    mail = by_channel[C.EMAIL]
    assert mail.recipient == "li@park.example"
    assert mail.payload["subject"] == f"[ParkLead] 新线索 {ref} 已分配给您"
    assert mail.payload["body"] == (
        f"李敏，您好：\n\n新线索 {ref} 已分配给您\n\n编号：{ref}\n"
        "客户：湘能电池科技有限公司 王先生 +86139****5678\n需求：厂房，3000-5000㎡，雨花区\n"
        "分配时间：2026-12-03 10:30\n\n请在 2026-12-03 12:00 前联系客户。\n\n— ParkLead\n"
    )
    assert all(n.lead_id == lead.id and n.agent_id == li.id for n in queued)


def test_a_sent_alert_about_a_lead_goes_on_its_timeline(app: Flask, li: Agent) -> None:
    lead = unassigned_lead()
    note = Notification(
        channel=C.EMAIL, kind="lead_assigned", recipient="li@park.example", payload={},
        idempotency_key="t:email", lead_id=lead.id, agent_id=li.id,
    )  # fmt: skip
    db.session.add(note)
    db.session.flush()

    signals.sent.send(note, attempt=2, at=ASSIGNED_AT)
    db.session.flush()

    [event] = db.session.scalars(
        select(LeadEvent).where(
            LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.NOTIFICATION
        )
    )
    assert event.actor == "system"
    assert event.data == {
        "notification_id": note.id, "channel": "email", "kind": "lead_assigned", "attempts": 2,
    }  # fmt: skip


def test_only_a_prospects_message_answers_the_skipped_signal(app: Flask, li: Agent) -> None:
    lead = unassigned_lead(agent_id=li.id)
    mail = Notification(
        channel=C.EMAIL, kind="notice", recipient="li@park.example", payload={},
        idempotency_key="t:mail", lead_id=lead.id, agent_id=li.id,
    )  # fmt: skip
    db.session.add(mail)
    db.session.flush()

    answers = [queued for _, queued in signals.skipped.send(mail, reason="outside_48h_window")]

    assert all(queued is None for queued in answers)
