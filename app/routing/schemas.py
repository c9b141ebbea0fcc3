"""Request bodies of the routing API, validated by pydantic (400 with one message per field)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from app.accounts.models import Strategy
from app.core.errors import ValidationFailed
from app.core.validation import Body, Id
from app.leads.models import Channel, Deal, NeedType
from app.routing.rules import RuleConditions

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class RuleIn(Body):
    """A new routing rule: conditions → a team (with an optional strategy) or one agent."""

    name: Name
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    team_id: Id | None = None
    agent_id: Id | None = None
    strategy: Strategy | None = None
    active: StrictBool = True
    # 1 = checked first; left out: after the last rule.
    position: Id | None = None

    def field_errors(self) -> dict[str, str]:
        return target_errors(self.team_id, self.agent_id, self.strategy)


class RulePatch(Body):
    """A change to a rule; fields left out keep their value. Naming a team clears the agent
    and the other way round."""

    NOT_NULL = ("name", "conditions", "active", "position")

    name: Name | None = None
    conditions: RuleConditions | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    strategy: Strategy | None = None
    active: StrictBool | None = None
    position: Id | None = None

    def field_errors(self) -> dict[str, str]:
        errors = super().field_errors()
        if self.team_id is not None and self.agent_id is not None:
            errors["agent_id"] = "a rule names a team or an agent, not both"
        return errors


def target_errors(
    team_id: int | None, agent_id: int | None, strategy: Strategy | None
) -> dict[str, str]:
    """What is wrong with a rule's target: exactly one of team and agent; strategy with a team."""
    if team_id is None and agent_id is None:
        return {"team_id": "name a team (team_id) or an agent (agent_id)"}
    if team_id is not None and agent_id is not None:
        return {"agent_id": "a rule names a team or an agent, not both"}
    if agent_id is not None and strategy is not None:
        return {"strategy": "applies to rules that name a team, not an agent"}
    return {}


class ReorderIn(Body):
    ids: list[Id] = Field(min_length=1)


class DryRunIn(Body):
    """An existing lead (`lead_id`) or the fields of an imagined one; `at` asks about another
    moment than now (working hours)."""

    lead_id: Id | None = None
    at: AwareDatetime | None = None
    need_type: NeedType | None = None
    deal: Deal | None = None
    area_min_m2: Decimal | None = Field(default=None, gt=0, le=100_000_000)
    area_max_m2: Decimal | None = Field(default=None, gt=0, le=100_000_000)
    industry: Text | None = None
    tax_wan: Decimal | None = Field(default=None, ge=0, le=10_000_000)
    investment_wan: Decimal | None = Field(default=None, ge=0, le=100_000_000)
    employees: StrictInt | None = Field(default=None, ge=0, le=1_000_000)
    timeline: Text | None = None
    district: Text | None = None
    company: Text | None = None
    contact_name: Text | None = None
    phone: Text | None = None
    wechat_id: Text | None = None
    channel: Channel | None = None
    scene: Text | None = None
    # Left out: computed from the fields as it would be at intake.
    score: StrictInt | None = Field(default=None, ge=0, le=100)

    def field_errors(self) -> dict[str, str]:
        errors = {}
        given = self.model_fields_set - {"lead_id", "at"}
        if self.lead_id is not None and given:
            errors["lead_id"] = (
                f"give lead_id or the fields of a lead, not both ({', '.join(sorted(given))})"
            )
        if (
            self.area_min_m2 is not None
            and self.area_max_m2 is not None
            and self.area_min_m2 > self.area_max_m2
        ):
            errors["area_min_m2"] = "must not be larger than area_max_m2"
        return errors

    def lead_fields(self) -> dict[str, Any]:
        skip = {"lead_id", "at", "channel", "scene", "score"}
        return {k: v for k, v in self.model_dump().items() if k not in skip and v is not None}


class AssignIn(Body):
    agent_id: Id


def reject(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})
