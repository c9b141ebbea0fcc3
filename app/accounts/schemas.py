"""Request bodies of the team and agent admin API (pydantic; 400 with one message per field)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, StringConstraints, field_validator

from app.accounts.models import AlertChannel, AlertEvent, Role, Strategy
from app.core.phones import normalize_phone
from app.core.validation import Body, Id
from app.core.vocab import NeedType
from app.settings.worktime import parse_week

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Login = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^[A-Za-z0-9_.@-]+$")


class TeamIn(Body):
    name: Name
    is_default: StrictBool = False
    strategy: Strategy = Strategy.ROUND_ROBIN
    # Minutes of working time to first contact; null: the global SLA_MINUTES.
    sla_minutes: StrictInt | None = Field(default=None, ge=1, le=7 * 24 * 60)
    pool_after_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    max_private_leads: StrictInt | None = Field(default=None, ge=0, le=100_000)
    active: StrictBool = True


class TeamPatch(TeamIn):
    NOT_NULL = ("name", "is_default", "strategy", "active")

    name: Name | None = None  # type: ignore[assignment]
    is_default: StrictBool | None = None  # type: ignore[assignment]
    strategy: Strategy | None = None  # type: ignore[assignment]
    active: StrictBool | None = None  # type: ignore[assignment]


class Skills(Body):
    """What an agent knows; routing prefers agents whose skills fit the lead (skill_fit)."""

    need_types: list[NeedType] = Field(default_factory=list)
    districts: list[Short] = Field(default_factory=list, max_length=100)
    industries: list[Short] = Field(default_factory=list, max_length=100)


class AgentIn(Body):
    login: Login
    password: Password
    name: Name | None = None
    role: Role = Role.AGENT
    team_id: Id | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    wechat_openid: str | None = Field(default=None, max_length=64)
    # The agent's UserID in the office's 企业微信 (application messages).
    wecom_userid: str | None = Field(default=None, max_length=64)
    # Alert channels, first choice first (the next is tried when one fails for good);
    # null: every configured default channel at once (docs/notifications.md).
    notify_channels: list[AlertChannel] | None = Field(default=None, max_length=len(AlertChannel))
    # {"sla_breach": false, ...}: events to hear nothing about; absent events are on.
    notify_events: dict[AlertEvent, StrictBool] | None = None
    skills: Skills = Field(default_factory=Skills)
    # Most open leads routing gives this agent.
    capacity: StrictInt = Field(default=50, ge=0, le=100_000)
    # Share of new leads under the `weighted` strategy.
    weight: StrictInt = Field(default=1, ge=1, le=1000)
    # {"mon": [["09:00", "18:00"]], ...}; null: always available.
    working_hours: dict[str, Any] | None = None
    active: StrictBool = True

    @field_validator("login")
    @classmethod
    def _login(cls, value: str | None) -> str | None:
        if value is not None and not _LOGIN.match(value):
            raise ValueError("may contain only letters, digits and _ . @ -")
        return value

    @field_validator("notify_channels")
    @classmethod
    def _channels(cls, value: list[AlertChannel] | None) -> list[AlertChannel] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("names a channel twice")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not _EMAIL.match(value):
            raise ValueError("is not an e-mail address")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        week = parse_week(value)  # ValueError says what is wrong
        return {
            day: [[f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"] for s, e in spans]
            for day, spans in week.items()
        }


class AgentPatch(AgentIn):
    NOT_NULL = ("login", "password", "name", "role", "skills", "capacity", "weight", "active")

    login: Login | None = None  # type: ignore[assignment]
    password: Password | None = None  # type: ignore[assignment]
    role: Role | None = None  # type: ignore[assignment]
    skills: Skills | None = None  # type: ignore[assignment]
    capacity: StrictInt | None = Field(default=None, ge=0, le=100_000)  # type: ignore[assignment]
    weight: StrictInt | None = Field(default=None, ge=1, le=1000)  # type: ignore[assignment]
    active: StrictBool | None = None  # type: ignore[assignment]
