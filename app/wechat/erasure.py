"""Erasing a WeChat follower's conversation data on request or after retention
(docs/security.md): the follower row with its conversation state, and every stored delivery
(the raw XML holds what they typed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select

from app.core.db import db, matched_rows
from app.wechat.models import InboundMessage, WechatUser


def followers_of_leads(lead_ids: list[int]) -> list[str]:
    """Openids of followers whose conversation produced one of these leads."""
    if not lead_ids:
        return []
    stmt = select(WechatUser.openid).where(WechatUser.lead_id.in_(lead_ids))
    return list(db.session.scalars(stmt))


def erase_followers(openids: list[str], lead_ids: list[int] | None = None) -> dict[str, int]:
    """Delete the followers and their deliveries (also deliveries linked to `lead_ids`);
    the caller commits. Returns how many rows went."""
    openids = sorted(set(openids))
    lead_ids = lead_ids or []
    if not openids and not lead_ids:
        return {"followers": 0, "messages": 0}
    messages = matched_rows(
        db.session.execute(
            delete(InboundMessage).where(
                or_(InboundMessage.openid.in_(openids), InboundMessage.lead_id.in_(lead_ids))
            )
        )
    )
    followers = matched_rows(
        db.session.execute(
            delete(WechatUser).where(
                or_(WechatUser.openid.in_(openids), WechatUser.lead_id.in_(lead_ids))
            )
        )
    )
    db.session.flush()
    return {"followers": followers or 0, "messages": messages or 0}


def erase_idle_followers(before: dt.datetime) -> dict[str, int]:
    """Followers who never became a lead and have been silent since `before`: their row and
    deliveries go (retention, docs/security.md)."""
    last_seen = func.coalesce(WechatUser.last_inbound_at, WechatUser.created_at)
    idle = select(WechatUser.openid).where(WechatUser.lead_id.is_(None), last_seen < before)
    return erase_followers(list(db.session.scalars(idle)))
