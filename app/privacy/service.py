"""The privacy settings an admin edits, erasure of a person on request, and retention.

What the settings say (the consent notice, the policy's text and link) is read through
app/settings/privacy_notice.py, below the domains that show it (the form, the WeChat bot).

Each step calls the owning domain (leads, wechat, notifications) and writes one audit entry
in the same transaction; the caller commits."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.logging import mask_phones
from app.core.phones import normalize_phone
from app.leads import erasure as lead_erasure
from app.notifications.erasure import erase_notifications
from app.settings import privacy_notice
from app.settings import service as settings
from app.wechat import erasure as wechat_erasure

log = logging.getLogger(__name__)

MAX_TEXT = 4000


def update(values: dict[str, Any], *, by_agent_id: int) -> dict[str, Any]:
    """Validate and store the privacy settings; audited."""
    merged = privacy_notice.current()
    errors: dict[str, str] = {}
    for name in ("notice_zh", "notice_en", "policy_text", "policy_text_en", "policy_url"):
        if name in values:
            text = str(values[name] or "").strip()
            if len(text) > MAX_TEXT:
                errors[name] = f"at most {MAX_TEXT} characters"
            merged[name] = text
    if not merged["notice_zh"]:
        errors["notice_zh"] = "required"
    url = merged["policy_url"]
    if url and not (url.startswith("https://") or url.startswith("http://") or url.startswith("/")):
        errors["policy_url"] = "an https:// address, or empty for the page /privacy"
    if "retention_days" in values:
        try:
            days = int(str(values["retention_days"]).strip())
        except ValueError:
            days = -1
        if not 0 <= days <= 36500:
            errors["retention_days"] = "a whole number of days, 0 to keep forever"
        merged["retention_days"] = days
    if errors:
        raise ValidationFailed("the privacy settings are not valid", fields=errors)
    settings.put(privacy_notice.SETTING_KEY, merged, by_agent_id=by_agent_id)
    audit.record(
        AuditAction.SETTING_CHANGED, agent_id=by_agent_id, setting=privacy_notice.SETTING_KEY,
        retention_days=merged["retention_days"], policy_url=merged["policy_url"],
    )  # fmt: skip
    return merged


# --- erasure ------------------------------------------------------------------------------------


@dataclass
class Erasure:
    leads: list[int] = field(default_factory=list)
    followers: int = 0
    messages: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "followers": self.followers,
            "messages": self.messages,
            "notifications": self.notifications,
        }


def _mask_openid(openid: str) -> str:
    return openid[:4] + "…" + openid[-4:] if len(openid) > 10 else "…"


def _erase(lead_ids: list[int], openids: set[str], erase_leads: list[Any]) -> Erasure:
    now = utcnow()
    for lead in erase_leads:
        lead_erasure.erase_lead(lead, now=now)
    wechat = wechat_erasure.erase_followers(sorted(openids), lead_ids)
    sent = erase_notifications(lead_ids=lead_ids, recipients=sorted(openids))
    return Erasure(lead_ids, wechat["followers"], wechat["messages"], sent)


def erase_person(*, phone: str | None, openid: str | None, by_agent_id: int) -> Erasure:
    """Erase everything about one person: every lead with their phone or openid (open ones
    too), their WeChat conversation and deliveries, and the outbox's copies. Audited."""
    phone = (phone or "").strip() or None
    openid = (openid or "").strip() or None
    if not phone and not openid:
        raise ValidationFailed(
            "give the person's phone or WeChat openid", fields={"phone": "phone or openid"}
        )
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise ValidationFailed("phone is not valid", fields={"phone": str(exc)}) from None
    leads = lead_erasure.leads_of_person(phone=phone, openid=openid)
    lead_ids = [lead.id for lead in leads]
    openids = {o for o in [openid, *(lead.wechat_openid for lead in leads)] if o}
    openids |= set(wechat_erasure.followers_of_leads(lead_ids))
    result = _erase(lead_ids, openids, leads)
    audit.record(
        AuditAction.ERASE_PERSON,
        agent_id=by_agent_id,
        phone=mask_phones(phone) if phone else None,
        openids=[_mask_openid(o) for o in sorted(openids)],
        **result.as_dict(),
    )
    log.info("privacy: erased person: %s", result.as_dict())
    return result


def run_retention(now: dt.datetime | None = None, batch: int = 500) -> Erasure:
    """Erase the personal data of closed leads idle for longer than the retention setting,
    and WeChat followers who never became a lead and have been silent as long."""
    days = int(privacy_notice.current()["retention_days"])
    if days <= 0:
        return Erasure()
    now = now or utcnow()
    before = now - dt.timedelta(days=days)
    idle = wechat_erasure.erase_idle_followers(before)
    if idle["followers"]:
        audit.record(
            AuditAction.RETENTION_ERASE, agent_id=None, retention_days=days,
            idle_before=before.isoformat(), leads=[], **idle,
        )  # fmt: skip
    leads = lead_erasure.closed_leads_past_retention(before, limit=batch)
    if not leads:
        return Erasure()
    lead_ids = [lead.id for lead in leads]
    # Followers whose latest lead is one of these go entirely; one who has started a newer
    # lead keeps the conversation of that one (only the old lead's deliveries go).
    result = _erase(lead_ids, set(wechat_erasure.followers_of_leads(lead_ids)), leads)
    audit.record(
        AuditAction.RETENTION_ERASE, agent_id=None, retention_days=days,
        idle_before=before.isoformat(), **result.as_dict(),
    )  # fmt: skip
    log.info("privacy: retention erased %s closed leads", len(lead_ids))
    return result
