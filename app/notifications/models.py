"""The notification outbox (docs/architecture.md "The outbox contract").

A row is written in the same transaction as the change that causes it; a Celery task sends
it. `idempotency_key` makes the write idempotent (one row per cause) and the send idempotent
(a row that is `sent` is never sent again).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum


class NotificationChannel(enum.StrEnum):
    WECHAT_TEMPLATE = "wechat_template"  # template message to an agent
    WECHAT_CS = "wechat_cs"  # customer-service message to a prospect (48 h window)
    EMAIL = "email"
    WEBHOOK = "webhook"
    WECOM_APP = "wecom_app"  # 企业微信 application message to a member
    WECOM_ROBOT = "wecom_robot"  # 企业微信 group robot webhook
    DINGTALK_ROBOT = "dingtalk_robot"  # 钉钉 group robot webhook (signed)
    SMS = "sms"  # text message through the SMS provider


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (lease until `next_attempt_at`)
    SENT = "sent"
    FAILED = "failed"  # last attempt failed; retried at `next_attempt_at`
    DEAD = "dead"  # gave up after the maximum attempts; an admin may retry it
    SKIPPED = "skipped"  # not sendable by rule (e.g. outside WeChat's 48 h window)
    # Sent, answer unknown: the request went out and no answer came back in time. WeChat has
    # no idempotency key, so it is not sent again unless an admin retries it
    # (docs/security.md).
    UNKNOWN = "unknown"


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[NotificationChannel] = mapped_column(str_enum(NotificationChannel))
    # What caused it: lead_assigned, sla_breach, follow_up_due, daily_digest, ...
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), nullable=True, index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The remote's id for the sent message (WeChat's template msgid), to match its receipt.
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # WeChat's delivery report of a template message (TEMPLATESENDJOBFINISH): "success",
    # "failed:user block" (the agent blocked the account) or "failed: system failed".
    receipt: Mapped[str | None] = mapped_column(String(100), nullable=True)
    receipt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        # Sweeper and retries: due rows that are not finished.
        Index(
            "ix_notification_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending', 'failed')"),
            sqlite_where=text("status IN ('pending', 'sending', 'failed')"),
        ),
        Index("ix_notification_status_created_at", "status", "created_at"),
        Index("ix_notification_remote_id", "remote_id"),
    )
