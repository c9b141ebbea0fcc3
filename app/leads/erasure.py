"""Erasing a prospect's personal data from leads and their history (个人信息保护法;
docs/security.md). The one exception to "nothing rewrites the history": the events keep their
type, time and figures, and lose the texts and the contact details.

Kept for reports: need, deal, areas, industry, tax, investment, employees, district, company
(a legal entity, not a person), status, stage, score, every time stamp, the agent and team.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select

from app.core.db import db, utcnow
from app.core.logging import mask_phones
from app.leads.models import OPEN_STATUSES, EventType, Lead, LeadEvent

# Lead columns that identify or describe a person, or hold what they wrote.
PERSONAL_FIELDS = ("contact_name", "phone", "wechat_id", "wechat_openid", "message")
# Keys in an event's data whose values are personal (anywhere in the JSON).
PERSONAL_KEYS = frozenset(
    {
        *PERSONAL_FIELDS,
        "openid",
        "text",
        "transcript",
        "conversation",
        "raw",
        "content",
        "note",
        "summary",
        "recognition",
        "title",
        "description",
        "url",
        "label",
        "media_id",
        "pic_url",
        "from",
        "to",
    }
)
# Field-change events keep "from"/"to" of the fields that are not personal.
_FIGURE_CHANGE_KEYS = frozenset({"from", "to"})


def _scrub(value: Any, *, keep_change: bool) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                None
                if key in PERSONAL_KEYS and not (keep_change and key in _FIGURE_CHANGE_KEYS)
                else _scrub(item, keep_change=keep_change)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, keep_change=keep_change) for item in value]
    # A text under a key not listed above may still quote a phone number: mask it.
    return mask_phones(value) if isinstance(value, str) else value


def scrub_event_data(event_type: EventType, data: dict[str, Any]) -> dict[str, Any]:
    keep_change = event_type is EventType.FIELD_CHANGED and data.get("field") not in PERSONAL_FIELDS
    return _scrub(data, keep_change=keep_change)


def erase_lead(lead: Lead, *, now: dt.datetime | None = None) -> None:
    """Erase `lead`'s personal fields and the texts of its history; the caller commits."""
    for name in PERSONAL_FIELDS:
        setattr(lead, name, None)
    source = dict(lead.source or {})
    if source:
        lead.source = _scrub(source, keep_change=False)
    lead.personal_erased_at = now or utcnow()
    events = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id))
    for event in events:
        scrubbed = scrub_event_data(event.type, event.data or {})
        if scrubbed != event.data:
            event.data = scrubbed
    db.session.flush()


def leads_of_person(*, phone: str | None = None, openid: str | None = None) -> list[Lead]:
    """Every lead with this phone (E.164) or WeChat openid, whatever its status."""
    conditions = []
    if phone:
        conditions.append(Lead.phone == phone)
    if openid:
        conditions.append(Lead.wechat_openid == openid)
    if not conditions:
        return []
    return list(db.session.scalars(select(Lead).where(or_(*conditions)).order_by(Lead.id)))


def closed_leads_past_retention(before: dt.datetime, limit: int = 500) -> list[Lead]:
    """Closed leads (no longer worked: won, landed, producing, lost, spam, duplicate) whose last
    activity is older than `before` and whose personal data is still there."""
    stmt = (
        select(Lead)
        .where(
            Lead.status.not_in(OPEN_STATUSES),
            Lead.personal_erased_at.is_(None),
            Lead.last_activity_at < before,
        )
        .order_by(Lead.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
