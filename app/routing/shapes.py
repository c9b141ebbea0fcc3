"""The JSON the routing API answers with, as pydantic models for the OpenAPI document
(`@api_doc`, docs/api.md). They document; the routes build the answers
(`service.rule_to_dict`, `service.dry_run`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.routing.rules import RuleConditions


class RoutingRule(BaseModel):
    """The rule"""

    id: int
    name: str
    position: int
    active: bool
    conditions: RuleConditions
    team_id: int | None
    agent_id: int | None
    strategy: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DryRunResult(BaseModel):
    """The decision"""

    lead_id: int | None
    at: dt.datetime
    score: int
    rule: dict[str, Any] | None
    rules_checked: list[dict[str, Any]]
    team: dict[str, Any] | None
    strategy: str | None
    agent: dict[str, Any] | None
    pool: bool
    reason: str
    available: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = Field(
        description="Agents passed over, each with reasons: inactive, at_capacity, "
        "outside_working_hours, over_private_lead_limit"
    )


class PoolQuery(BaseModel):
    team_id: int | None = None
    limit: int | None = None
    cursor: str | None = None
