"""The JSON the privacy and audit API takes and answers with, as pydantic models for the
OpenAPI document (`@api_doc`, docs/api.md). They document; the routes check the bodies and
build the answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.audit.models import AuditAction
from app.privacy.service import MAX_TEXT


class PrivacySettings(BaseModel):
    """Settings"""

    notice_zh: str | None = Field(None, max_length=MAX_TEXT)
    notice_en: str | None = Field(None, max_length=MAX_TEXT)
    policy_url: str | None = Field(None, description="https://…, or empty for /privacy")
    policy_text: str | None = Field(None, max_length=MAX_TEXT)
    policy_text_en: str | None = Field(None, max_length=MAX_TEXT)
    retention_days: int | None = Field(None, ge=0, le=36500)


class ErasureIn(BaseModel):
    phone: str | None = None
    openid: str | None = None


class Erasure(BaseModel):
    """Erased"""

    leads: list[int]
    followers: int
    messages: int
    notifications: int


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    action: AuditAction
    agent_id: int | None
    address: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """Entries"""

    items: list[AuditEntry]
    next_cursor: int | None


class AuditQuery(BaseModel):
    action: str | None = None
    before: int | None = None
    limit: int | None = Field(None, ge=1, le=200)
