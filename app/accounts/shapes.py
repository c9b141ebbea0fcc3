"""The JSON the accounts API answers with, and the bodies its routes check by hand, as
pydantic models for the OpenAPI document (`@api_doc`, docs/api.md). They document; the
routes build the answers (`management.team_to_dict` …)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.accounts.models import Role


class TokenIn(BaseModel):
    login: str
    password: str


class Token(BaseModel):
    """Token"""

    token: str
    token_type: str
    expires_in: int
    agent: dict[str, Any]


class Team(BaseModel):
    """The team"""

    id: int
    name: str
    is_default: bool
    strategy: str
    sla_minutes: int | None
    pool_after_days: int | None
    max_private_leads: int | None
    active: bool
    agents: int
    created_at: dt.datetime


class Agent(BaseModel):
    """The agent. Never carries the password or its hash."""

    id: int
    login: str
    name: str
    role: str
    team_id: int | None
    phone: str | None
    email: str | None
    wechat_openid: str | None
    wecom_userid: str | None
    notify_channels: list[str] | None = Field(
        description="alert channels, first choice first; null: defaults"
    )
    notify_events: dict[str, bool] | None = Field(
        description="event kind -> false to switch its alerts off"
    )
    skills: dict[str, Any]
    capacity: int
    weight: int
    working_hours: dict[str, Any] | None
    active: bool
    open_leads: int
    last_assigned_at: dt.datetime | None
    created_at: dt.datetime


class AgentQuery(BaseModel):
    team_id: int | None = None
    role: Role | None = None
    active: bool | None = None
    limit: int | None = Field(None, ge=1, le=200)
    cursor: str | None = None
