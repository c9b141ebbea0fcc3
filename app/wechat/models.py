"""WeChat followers and every delivery received from WeChat (docs/wechat-bot.md,
docs/security.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.types import JSONType


class WechatUser(Base):
    """A prospect on the official account, with the bot's conversation state."""

    __tablename__ = "wechat_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subscribed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    first_scene: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_scene: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subscribed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The prospect's last message opens WeChat's 48-hour customer-service window.
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # Customer-service messages sent since `last_inbound_at` (WeChat allows 5 per window).
    cs_sent_in_window: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The last menu click, follow or scan: 3 customer-service messages within a minute of it.
    last_event_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    cs_sent_after_event: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Draft fields, pending question, hand-over flag; expires with the window (48 h).
    conversation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    conversation_expires_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """Every delivery, stored before it is handled: the dedupe key and the audit trail.

    `dedupe_key` is the MsgId for messages, or FromUserName + CreateTime for events; a
    repeated delivery finds its row and is answered with the stored `reply_xml`.
    """

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    raw_xml: Mapped[str] = mapped_column(Text)
    # The plain (unencrypted) reply body; encrypted afresh for each retry.
    reply_xml: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), nullable=True)

    __table_args__ = (Index("ix_inbound_message_openid_received_at", "openid", "received_at"),)


class BotAnswer(Base):
    """An answer the WeChat bot gives to questions holding one of its keywords (docs/wechat-bot.md).

    Admins edit these (policies 优惠政策, location, transport, and the rent and price answers
    used while no listing can answer); each answer is kept in Chinese and in English.
    """

    __tablename__ = "bot_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    # price, location, transport, policy or other: what kind of question it answers.
    topic: Mapped[str] = mapped_column(String(32), default="other", server_default="other")
    # Words separated by commas or spaces, matched case-insensitively on the folded text.
    keywords: Mapped[str] = mapped_column(Text)
    answer_zh: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
