"""The privacy settings an admin edits, erasure of a person on request, and retention.

Each step calls the owning domain (leads, wechat, notifications) and writes one audit entry
in the same transaction; the caller commits."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context, request, url_for

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.logging import mask_phones
from app.leads import erasure as lead_erasure
from app.leads.schemas import normalize_phone
from app.notifications.erasure import erase_notifications
from app.settings import service as settings
from app.wechat import erasure as wechat_erasure

log = logging.getLogger(__name__)

SETTING_KEY = "privacy"
DEFAULTS: dict[str, Any] = {
    "notice_zh": (
        "提交即表示您同意我们为联系您、跟进您的招商需求而收集和使用您提供的信息"
        "（联系人、电话、公司和需求）。"
    ),
    "notice_en": (
        "By sending this you agree that we collect and use the details you give (contact, "
        "phone, company and needs) to contact you about your enquiry."
    ),
    # Empty: our own page /privacy with `policy_text`.
    "policy_url": "",
    "policy_text": (
        "个人信息保护说明\n\n"
        "我们收集您主动提供的联系人、电话、公司名称、需求信息以及您在公众号中发送的消息，"
        "仅用于联系您、跟进招商需求和统计招商工作。信息只在本招商办公室内部使用，不向第三方提供。"
        "需求结束后，个人信息按保存期限删除，仅保留不含个人信息的统计数据。"
        "您可以联系招商办公室查询、更正或删除您的个人信息。"
    ),
    "policy_text_en": (
        "Privacy notice\n\n"
        "We collect the contact name, phone, company name and needs you give us, and the "
        "messages you send to our official account, only to contact you, follow up your "
        "enquiry and count our investment-promotion work. The information stays inside this "
        "investment-promotion office and is not given to third parties. When your enquiry is "
        "over, personal information is erased after the retention period; only statistics "
        "without personal information are kept. You may ask the office to show, correct or "
        "erase your personal information."
    ),
    # Days after a closed lead's last activity before its personal data is erased; 0 keeps it.
    "retention_days": 1095,
}
MAX_TEXT = 4000


def current() -> dict[str, Any]:
    stored = settings.get(SETTING_KEY) or {}
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def update(values: dict[str, Any], *, by_agent_id: int) -> dict[str, Any]:
    """Validate and store the privacy settings; audited."""
    merged = current()
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
    settings.put(SETTING_KEY, merged, by_agent_id=by_agent_id)
    audit.record(
        AuditAction.SETTING_CHANGED, agent_id=by_agent_id, setting=SETTING_KEY,
        retention_days=merged["retention_days"], policy_url=merged["policy_url"],
    )  # fmt: skip
    return merged


def policy_link() -> str:
    """Where the notice links: the admin's address, else our /privacy page (absolute inside a
    request, so it works in a WeChat message too)."""
    url = current()["policy_url"]
    if url.startswith("/") and has_request_context():
        return request.url_root.rstrip("/") + url
    if url:
        return url
    return url_for("privacy.policy", _external=True) if has_request_context() else "/privacy"


def notice(lang: str) -> str:
    values = current()
    return (values["notice_en"] or values["notice_zh"]) if lang == "en" else values["notice_zh"]


def policy_text(lang: str) -> str:
    """The /privacy page's text in `lang` (English falls back to the Chinese text)."""
    values = current()
    return (
        (values["policy_text_en"] or values["policy_text"])
        if lang == "en"
        else values["policy_text"]
    )


def bot_notice(lang: str = "zh") -> str:
    """The consent notice the bot appends to its greeting, in the prospect's language."""
    label = "Privacy notice: " if lang == "en" else "个人信息保护说明："
    return f"{notice(lang)}\n{label}{policy_link()}"


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
    days = int(current()["retention_days"])
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
