"""The JSON the bot-answers API answers with, and how WeChat calls the callback, as pydantic
models for the OpenAPI document (`@api_doc`, docs/api.md). They document; the routes build
the answers and `callback.py` checks WeChat's requests."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.wechat.answers import TOPICS


class BotAnswer(BaseModel):
    """The answer"""

    id: int
    topic: str = Field(json_schema_extra={"enum": list(TOPICS)})
    keywords: str = Field(description="comma-separated")
    answer_zh: str
    answer_en: str
    active: bool
    updated_at: dt.datetime


class UrlCheck(BaseModel):
    """WeChat's signature on the URL check (docs/security.md)."""

    signature: str
    timestamp: str
    nonce: str
    echostr: str


class Delivery(BaseModel):
    """WeChat's signature on a delivery, and the envelope's in safe mode."""

    signature: str | None = None
    timestamp: str | None = None
    nonce: str | None = None
    encrypt_type: Literal["raw", "aes"] | None = None
    msg_signature: str | None = None
    openid: str | None = None
