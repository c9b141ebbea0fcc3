"""Agents (users of the workspace) and the teams they belong to (docs/routing.md)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum


class Role(enum.StrEnum):
    AGENT = "agent"
    LEAD = "lead"  # team lead
    ADMIN = "admin"


class AlertChannel(enum.StrEnum):
    """Where an agent can be alerted, in the order they choose (docs/notifications.md)."""

    WECOM_APP = "wecom_app"  # 企业微信 application message to the agent (wecom_userid)
    WECOM_ROBOT = "wecom_robot"  # 企业微信 group robot, mentioning the agent's mobile
    DINGTALK_ROBOT = "dingtalk_robot"  # 钉钉 group robot, mentioning the agent's mobile
    SMS = "sms"  # text message to the agent's mobile
    WECHAT_TEMPLATE = "wechat_template"  # official-account template message (wechat_openid)
    EMAIL = "email"


class AlertEvent(enum.StrEnum):
    """The events an agent may switch their alerts off for (docs/notifications.md)."""

    LEAD_ASSIGNED = "lead_assigned"  # a new lead is theirs
    SLA_BREACH = "sla_breach"
    WECHAT_HANDOVER = "wechat_handover"  # a WeChat prospect asked for a person
    LISTING_MATCH = "listing_match"
    FOLLOW_UP_DUE = "follow_up_due"


class Strategy(enum.StrEnum):
    """How a team picks one of its agents (docs/routing.md "Strategies")."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"  # fewest open leads relative to capacity
    WEIGHTED = "weighted"  # share of new leads proportional to `Agent.weight`


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Round-robin position: the agent who got the team's last lead.
    last_assigned_agent_id: Mapped[int | None] = mapped_column(nullable=True)
    strategy: Mapped[Strategy] = mapped_column(
        str_enum(Strategy), default=Strategy.ROUND_ROBIN, server_default="round_robin"
    )
    # Time to first contact in working minutes; None: the global SLA_MINUTES.
    sla_minutes: Mapped[int | None] = mapped_column(nullable=True)
    # A lead with no activity for this many days goes back to the team's pool (公海).
    pool_after_days: Mapped[int | None] = mapped_column(nullable=True)
    # An agent of this team holds at most this many open private leads.
    max_private_leads: Mapped[int | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # At most one default team.
        Index(
            "uq_team_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )


class SessionLoginMixin:
    """What Flask-Login asks of a user. The id carries a stamp, so a password change or
    deactivation ends every open session of the agent."""

    id: int
    active: bool
    tokens_valid_after: dt.datetime
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_stamp}"

    @property
    def session_stamp(self) -> str:
        # Microseconds, as the API tokens' epoch: a session opened in the same second as a
        # password reset must end too.
        return str(int(self.tokens_valid_after.timestamp() * 1_000_000))


class Agent(SessionLoginMixin, Base):
    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.AGENT)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The agent's member id (UserID) in the office's 企业微信, for application messages.
    wecom_userid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # AlertChannel values, first choice first: the next is tried when one fails for good.
    # None: every configured channel at once (WeChat template and e-mail), as before.
    notify_channels: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    # {AlertEvent value: false} switches that event's alerts off; absent means on.
    notify_events: Mapped[dict[str, bool] | None] = mapped_column(JSONType, nullable=True)
    # {"need_types": [...], "districts": [...], "industries": [...]}
    skills: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    capacity: Mapped[int] = mapped_column(default=50, server_default=text("50"))
    # Relative share of new leads under the `weighted` strategy.
    weight: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # {"mon": [["09:00", "18:00"]], ...}; None means always available.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Tokens issued before this instant are refused (password change, deactivation).
    tokens_valid_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Agent {self.id} {self.login} {self.role}>"


class PageSession(Base):
    """A logged-in browser session of the pages. The signed cookie names its row; logout
    deletes the row, so a copied cookie stops working (docs/security.md)."""

    __tablename__ = "page_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
