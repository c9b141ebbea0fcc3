"""The messages about leads (docs/notifications.md): to the agent a lead was assigned to, about
a repeated enquiry or a prospect WeChat could not reach, to the prospect on WeChat, and the
webhooks `lead.created` and `lead.assigned`.

Each is queued in the transaction of its cause, through the agent's channels
(`app.accounts.alerts.notify_agent`) or the generic outbox (`queue_notification`,
`queue_webhook`) with plain data; the outbox imports nothing from here. What the outbox
announces back (`app.notifications.signals`) is handled here too: a sent alert about a lead
goes on the lead's timeline, and a prospect's message WeChat would not take is told to the
agent instead. Functions here only flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.alerts import notify_agent, shorten
from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.core.i18n import localtime
from app.core.logging import mask_phones
from app.leads.labels import label
from app.leads.lifecycle import record_events
from app.leads.models import EventType, Lead
from app.leads.serialize import lead_to_dict
from app.notifications import signals
from app.notifications.models import Notification, NotificationChannel
from app.notifications.outbox import queue_notification
from app.notifications.service import queue_webhook, webhooks_on

# --- causes: called in the transaction of the change that causes them ------------------------


def notify_lead_assigned(lead: Lead, agent: Agent) -> list[Notification]:
    """Tell `agent` about a lead just assigned to them; webhook `lead.assigned`."""
    assigned_at = lead.assigned_at or utcnow()
    cause = f"lead_assigned:{lead.id}:{agent.id}:{assigned_at.isoformat()}"
    reference = lead.reference
    due_at = localtime(lead.sla_due_at) if lead.sla_due_at else None
    queued = notify_agent(
        agent,
        kind="lead_assigned",
        cause=cause,
        template="lead_assigned",
        title=f"新线索 {reference} 已分配给您",
        lines=[
            ("编号", reference),
            ("客户", _customer(lead)),
            ("需求", _need_summary(lead)),
            ("分配时间", localtime(assigned_at)),
        ],
        remark=f"请在 {due_at} 前联系客户。" if due_at else "请尽快联系客户。",
        lead_id=lead.id,
        sms_params=[reference, due_at or "尽快"],
    )
    if webhooks_on():
        queued.append(
            queue_webhook(
                "lead.assigned",
                cause=cause,
                data=_lead_data(lead, agent),
                occurred_at=assigned_at,
                lead_id=lead.id,
                agent_id=agent.id,
            )
        )
    return queued


def notify_lead_created(lead: Lead) -> Notification | None:
    """Webhook `lead.created` (when a webhook is configured)."""
    if not webhooks_on():
        return None
    return queue_webhook(
        "lead.created",
        cause=f"lead_created:{lead.id}",
        data=_lead_data(lead, None),
        lead_id=lead.id,
        occurred_at=lead.created_at,
    )


def notify_duplicate_enquiry(
    lead: Lead, submitted: dict[str, Any] | None = None
) -> list[Notification]:
    """Tell the lead's agent that its prospect enquired again
    (docs/leads.md "Intake and dedupe")."""
    if lead.agent_id is None:
        return []  # in the pool: whoever claims it sees the enquiry on the timeline
    agent = db.session.get(Agent, lead.agent_id)
    if agent is None:
        return []
    at = lead.last_activity_at or utcnow()
    message = str((submitted or {}).get("message") or "").strip()
    lines = [("编号", lead.reference), ("客户", _customer(lead)), ("时间", localtime(at))]
    if message:
        lines.append(("留言", shorten(message, 60)))
    return notify_agent(
        agent,
        kind="duplicate_enquiry",
        cause=f"duplicate_enquiry:{lead.id}:{at.isoformat()}",
        template="notice",
        title=f"您跟进的客户再次提交了需求（{lead.reference}）",
        lines=lines,
        remark="已并入原线索，请及时跟进。",
        lead_id=lead.id,
    )


def queue_prospect_message(
    lead: Lead, text: str, *, cause: str, agent_id: int | None = None
) -> Notification | None:
    """A WeChat customer-service message to the lead's prospect. Sent only inside WeChat's
    48-hour window and its 5-message quota; otherwise the row ends `skipped` and the agent
    is told instead."""
    return _queue_prospect(lead, {"text": text}, cause=cause, agent_id=agent_id)


def _queue_prospect(
    lead: Lead, payload: dict[str, Any], *, cause: str, agent_id: int | None
) -> Notification | None:
    if not lead.wechat_openid:
        return None
    return queue_notification(
        channel=NotificationChannel.WECHAT_CS,
        kind="prospect_message",
        recipient=lead.wechat_openid,
        idempotency_key=f"{cause}:wechat_cs",
        payload=payload,
        lead_id=lead.id,
        agent_id=agent_id if agent_id is not None else lead.agent_id,
    )


def queue_prospect_news(
    lead: Lead, article: dict[str, str], *, cause: str, agent_id: int | None = None
) -> Notification | None:
    """One news card (title, description, url, image) to the lead's prospect as a
    customer-service message, under the same window rule as `queue_prospect_message`
    (the listings' shortlist, docs/listings.md)."""
    payload = {"news": article, "text": article.get("title", "")}
    return _queue_prospect(lead, payload, cause=cause, agent_id=agent_id)


_SKIP_REASONS = {
    "outside_48h_window": "客户48小时内没有给公众号发消息，无法发送客服消息",
    "window_quota_used": "本次48小时窗口内的5条客服消息已用完",
}


def tell_agent_prospect_unreachable(notification: Notification, reason: str) -> list[Notification]:
    """Tell the agent that a message to their prospect was not sent (`reason`) and how to
    reach them instead; connected to the outbox's `skipped` signal."""
    lead = db.session.get(Lead, notification.lead_id) if notification.lead_id else None
    agent_id = notification.agent_id or (lead.agent_id if lead else None)
    agent = db.session.get(Agent, agent_id) if agent_id else None
    if agent is None:
        return []
    reference = lead.reference if lead else "—"
    text = str(notification.payload.get("text") or "")
    return notify_agent(
        agent,
        kind="prospect_unreachable",
        cause=f"prospect_unreachable:{notification.id}",
        template="notice",
        title=f"未能通过公众号联系客户（{reference}）",
        lines=[
            ("编号", reference),
            ("原因", _SKIP_REASONS.get(reason, reason)),
            ("未发出的消息", shorten(text, 60)),
        ],
        remark="请改用电话或企业微信联系客户。",
        lead_id=lead.id if lead else None,
    )


def _lead_data(lead: Lead, agent: Agent | None) -> dict[str, Any]:
    # The lead as GET /api/leads/<id> shows it, which integrators already read.
    return lead_to_dict(lead, agent=agent)


def _customer(lead: Lead) -> str:
    parts = [p for p in (lead.company, lead.contact_name) if p]
    if lead.phone:
        parts.append(mask_phones(lead.phone))
    return " ".join(parts) or "—"


def _need_summary(lead: Lead) -> str:
    need = label(lead.need_type)
    parts = [need]
    low, high = lead.area_min_m2, lead.area_max_m2
    if low is not None or high is not None:
        if low is not None and high is not None and low != high:
            parts.append(f"{low:.0f}-{high:.0f}㎡")
        else:
            parts.append(f"{(low if low is not None else high):.0f}㎡")
    for extra in (lead.district, lead.industry):
        if extra:
            parts.append(extra)
    if lead.tax_wan is not None:
        parts.append(f"年税收{lead.tax_wan:.0f}万")
    return "，".join(parts)


def connect_signals() -> None:
    """Called by `create_app`: what the outbox announces about rows about leads."""
    signals.sent.connect(_record_sent, weak=False)
    signals.sent_many.connect(_record_sent_many, weak=False)
    signals.skipped.connect(_skipped, weak=False)


def _record_sent(notification: Notification, *, attempt: int, at: dt.datetime, **_: Any) -> None:
    """A sent alert about a lead is on the lead's timeline."""
    _record_sent_many([(notification, attempt)], at=at)


def _record_sent_many(rows: list[tuple[Notification, int]], *, at: dt.datetime, **_: Any) -> None:
    """The sent alerts about leads on their leads' timelines, with one INSERT."""
    events = [
        {
            "lead_id": n.lead_id,
            "type": EventType.NOTIFICATION,
            "actor": "system",
            "data": {
                "notification_id": n.id,
                "channel": n.channel.value,
                "kind": n.kind,
                "attempts": attempt,
            },
            "created_at": at,
        }
        for n, attempt in rows
        if n.lead_id is not None
    ]
    if events:
        record_events(events)


def _skipped(notification: Notification, *, reason: str, **_: Any) -> list[Notification] | None:
    if notification.channel is not NotificationChannel.WECHAT_CS:
        return None
    return tell_agent_prospect_unreachable(notification, reason)
