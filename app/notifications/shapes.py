"""The JSON the notifications API answers with, as pydantic models for the OpenAPI document
(`@api_doc`, docs/api.md). They document; `service.notification_to_dict` builds the answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.notifications.models import NotificationChannel, NotificationStatus


class Notification(BaseModel):
    id: int
    channel: NotificationChannel
    kind: str
    recipient: str
    template: str | None
    payload: dict[str, Any]
    idempotency_key: str
    status: NotificationStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    lead_id: int | None
    agent_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    receipt: str | None = Field(
        description="WeChat's delivery report of a template message "
        "(success, failed:user block, failed: system failed)"
    )
    receipt_at: dt.datetime | None


class NotificationQuery(BaseModel):
    status: str | None = Field(None, description="Comma-separated statuses, e.g. dead,failed")
    channel: NotificationChannel | None = None
    kind: str | None = None
    lead_id: int | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
