"""Routing rules: ordered conditions that send a lead to a team or an agent (docs/routing.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import Strategy
from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum


class RoutingRule(Base):
    """The first active rule (lowest `position`) whose conditions all hold wins.

    `conditions` keys (all optional, all must match): need_types, districts, industries
    (substring match), deals, channels, scenes (lists); min_area_m2, max_area_m2, min_tax_wan,
    min_investment_wan, min_score (numbers).
    """

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    # Overrides the team's own strategy for leads this rule routes.
    strategy: Mapped[Strategy | None] = mapped_column(str_enum(Strategy), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
