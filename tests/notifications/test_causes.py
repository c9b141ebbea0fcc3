"""What queues notifications: assignment, a repeated enquiry, a new lead (webhook)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.accounts.models import Agent
from app.core.db import db
from app.leads import alerts
from app.leads import service as leads
from app.leads.models import Channel, Lead
from app.leads.schemas import EnquiryIn
from app.notifications import service
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.service import Outcome
from app.routing import engine
from tests.notifications.helpers import TEMPLATE_ASSIGNED

C = NotificationChannel


def rows(kind: str | None = None) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def test_assignment_queues_a_template_an_email_and_a_webhook(
    wechat, smtp, webhook, dispatched, reachable_agent: Agent, create_lead
):
    lead = create_lead(company="湘能电池科技有限公司", contact_name="王先生", area_min_m2=5000)

    queued = rows("lead_assigned")
    assert {(n.channel, n.recipient) for n in queued} == {
        (C.WECHAT_TEMPLATE, "o-agent-li"),
        (C.EMAIL, "li@park.example"),
        (C.WEBHOOK, webhook.url),
    }
    cause = f"lead_assigned:{lead.id}:{reachable_agent.id}:{lead.assigned_at.isoformat()}"
    assert {n.idempotency_key for n in queued} == {
        f"{cause}:wechat_template",
        f"{cause}:email",
        f"{cause}:webhook",
    }
    assert all(n.lead_id == lead.id and n.agent_id == reachable_agent.id for n in queued)
    assert all(n.id in dispatched.notification_ids for n in queued)


def test_assignment_messages_carry_the_lead(
    wechat, smtp, webhook, dispatched, reachable_agent: Agent, create_lead
):
    lead = create_lead(
        company="湘能电池科技有限公司", contact_name="王先生", area_min_m2=3000, area_max_m2=5000
    )
    by_channel = {n.channel: n for n in rows("lead_assigned")}

    data = by_channel[C.WECHAT_TEMPLATE].payload["data"]
    assert by_channel[C.WECHAT_TEMPLATE].template == "lead_assigned"
    assert data["keyword1"] == lead.reference
    assert data["keyword2"].startswith("湘能电池科技有限公司 王先生 +86139")
    assert "****" in data["keyword2"]  # the phone is masked outside ParkLead
    assert data["keyword3"] == "厂房，3000-5000㎡"
    mail = by_channel[C.EMAIL].payload
    assert mail["subject"] == f"[ParkLead] 新线索 {lead.reference} 已分配给您"
    assert lead.reference in mail["body"]
    hook = by_channel[C.WEBHOOK].payload
    assert hook["event"] == "lead.assigned"
    assert hook["data"]["reference"] == lead.reference
    assert hook["data"]["agent"]["id"] == reachable_agent.id
    assert hook["data"]["status"] == "assigned"


def test_assignment_notifications_are_delivered(
    wechat, smtp, webhook, dispatched, reachable_agent: Agent, create_lead
):
    create_lead(company="湘能电池科技有限公司")

    outcomes = {service.deliver(i).outcome for i in dispatched.notification_ids}

    assert outcomes == {Outcome.SENT}
    [message] = wechat.messages("template")
    assert (message["touser"], message["template_id"]) == ("o-agent-li", TEMPLATE_ASSIGNED)
    assert len(smtp.received()) == 1
    assert [c.json["event"] for c in webhook.calls] == ["lead.created", "lead.assigned"]
    assert all(c.signature_ok for c in webhook.calls)


def test_channels_not_configured_queue_nothing(dispatched, reachable_agent, create_lead):
    create_lead()

    assert rows() == []


def test_agent_without_openid_or_email_gets_nothing(
    wechat, smtp, dispatched, make_agent: Callable[..., Agent], default_team, create_lead
):
    make_agent("quiet", team=default_team)
    create_lead()

    assert rows() == []


def test_reassignment_is_a_new_cause(
    wechat, dispatched, reachable_agent: Agent, make_agent, default_team, create_lead
):
    lead = create_lead()
    other = make_agent("zhao", team=default_team)
    other.wechat_openid = "o-agent-zhao"
    engine.assign(lead, other, actor="agent", reason="handover", by_agent_id=reachable_agent.id)
    db.session.commit()

    assert [n.recipient for n in rows("lead_assigned")] == ["o-agent-li", "o-agent-zhao"]


def test_repeated_enquiry_tells_the_leads_agent(
    wechat, smtp, dispatched, reachable_agent: Agent, create_lead
):
    lead = create_lead(company="湘能电池科技有限公司")

    result = leads.submit_enquiry(
        EnquiryIn.model_validate({"phone": lead.phone, "message": "还想再看看仓库"}),
        channel=Channel.WEB_FORM,
    )
    db.session.commit()

    assert not result.created
    told = rows("duplicate_enquiry")
    assert {(n.channel, n.recipient) for n in told} == {
        (C.WECHAT_TEMPLATE, "o-agent-li"),
        (C.EMAIL, "li@park.example"),
    }
    template = next(n for n in told if n.channel is C.WECHAT_TEMPLATE)
    assert template.template == "notice"
    assert template.payload["data"]["keyword4"] == "还想再看看仓库"
    assert all(n.lead_id == lead.id for n in told)


def test_repeated_enquiry_on_an_unassigned_lead_tells_nobody(wechat, dispatched, create_lead):
    lead = create_lead()  # no agents: the lead waits in the pool
    leads.submit_enquiry(EnquiryIn.model_validate({"phone": lead.phone}), channel=Channel.WEB_FORM)
    db.session.commit()

    assert rows("duplicate_enquiry") == []


def test_new_lead_posts_the_created_webhook(webhook, dispatched, client):
    response = client.post("/api/leads", json={"phone": "13812345678", "company": "湘能"})

    [created] = rows("lead_created")
    assert created.channel is C.WEBHOOK
    assert created.idempotency_key == f"lead_created:{response.get_json()['id']}:webhook"
    assert created.payload["data"]["company"] == "湘能"
    assert created.payload["data"]["phone"] == "+8613812345678"
    assert created.status is NotificationStatus.PENDING
    assert service.deliver(created.id).outcome is Outcome.SENT
    assert webhook.calls[0].json["data"]["reference"] == response.get_json()["reference"]


def test_no_webhook_without_a_url(dispatched, client):
    client.post("/api/leads", json={"phone": "13812345678"})

    assert rows() == []


@pytest.fixture
def wechat_lead(create_lead, reachable_agent: Agent) -> Lead:
    lead = create_lead()
    lead.wechat_openid = "o-prospect-wang"
    db.session.commit()
    return lead


def test_prospect_message_is_queued_for_the_leads_openid(dispatched, wechat_lead: Lead):
    notification = alerts.queue_prospect_message(wechat_lead, "您好", cause="handover:1")
    db.session.commit()

    assert notification is not None
    assert (notification.channel, notification.recipient) == (C.WECHAT_CS, "o-prospect-wang")
    assert notification.agent_id == wechat_lead.agent_id
    assert notification.idempotency_key == "handover:1:wechat_cs"


def test_prospect_message_without_an_openid_is_not_queued(dispatched, lead: Lead):
    assert alerts.queue_prospect_message(lead, "您好", cause="handover:1") is None


def test_embedded_mode_sends_the_assignment_email_right_after_the_request(
    smtp, reachable_agent: Agent, client
):
    response = client.post("/api/leads", json={"phone": "13812345678", "company": "湘能"})

    [mail] = smtp.received()
    assert response.get_json()["reference"] in mail["Subject"]
    assert [n.status for n in rows("lead_assigned")] == [NotificationStatus.SENT]
