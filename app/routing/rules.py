"""Routing-rule conditions (docs/routing.md "Rules"): their schema and how a lead is matched
against them.

A rule's `conditions` is a JSON object; every condition given must hold, and a rule without
conditions matches every lead. A condition on a value the lead does not state (no district,
no tax figure) does not hold: "tax ≥ 1000万 → senior team" must not catch leads of unknown tax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.leads.models import Channel, Deal, Lead, NeedType

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RuleConditions(BaseModel):
    """What a rule matches; lists match any of their values."""

    model_config = ConfigDict(extra="forbid")

    need_types: list[NeedType] | None = Field(default=None, min_length=1)
    districts: list[Name] | None = Field(default=None, min_length=1)
    # Substring match, case-insensitive: "电池" matches "新能源电池".
    industries: list[Name] | None = Field(default=None, min_length=1)
    # A lead whose deal is "any" (租售均可) matches every deal.
    deals: list[Deal] | None = Field(default=None, min_length=1)
    channels: list[Channel] | None = Field(default=None, min_length=1)
    # WeChat QR scene values (lead.source["scene"]).
    scenes: list[Name] | None = Field(default=None, min_length=1)
    # The lead's largest stated area must reach min_area_m2; its smallest must not exceed
    # max_area_m2.
    min_area_m2: Decimal | None = Field(default=None, ge=0, le=100_000_000)
    max_area_m2: Decimal | None = Field(default=None, gt=0, le=100_000_000)
    min_tax_wan: Decimal | None = Field(default=None, ge=0, le=10_000_000)
    min_investment_wan: Decimal | None = Field(default=None, ge=0, le=100_000_000)
    min_score: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _area_range(self) -> RuleConditions:
        if (
            self.min_area_m2 is not None
            and self.max_area_m2 is not None
            and self.min_area_m2 > self.max_area_m2
        ):
            raise ValueError("min_area_m2 must not be larger than max_area_m2")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in routing_rule.conditions (only the conditions given)."""
        data = self.model_dump(mode="json", exclude_none=True)
        for key, value in data.items():
            if isinstance(value, str) and key.startswith(("min_", "max_")):
                number = float(value)
                data[key] = int(number) if number.is_integer() else number
        return data


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _text(value: Any) -> str:
    return str(value).strip().casefold()


def _listed(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _need_types(values: list[Any], lead: Lead, score: int) -> str | None:
    if lead.need_type is not None and str(lead.need_type) in values:
        return None
    return f"need type {lead.need_type} is not one of {_listed(values)}"


def _districts(values: list[Any], lead: Lead, score: int) -> str | None:
    if lead.district is None:
        return "no district stated"
    if _text(lead.district) in {_text(v) for v in values}:
        return None
    return f"district {lead.district} is not one of {_listed(values)}"


def _industries(values: list[Any], lead: Lead, score: int) -> str | None:
    if not lead.industry:
        return "no industry stated"
    industry = _text(lead.industry)
    if any(_text(v) in industry for v in values):
        return None
    return f"industry {lead.industry} contains none of {_listed(values)}"


def _deals(values: list[Any], lead: Lead, score: int) -> str | None:
    if lead.deal is None:
        return "no deal stated"
    if str(lead.deal) == Deal.ANY or str(lead.deal) in values:
        return None
    return f"deal {lead.deal} is not one of {_listed(values)}"


def _channels(values: list[Any], lead: Lead, score: int) -> str | None:
    if str(lead.channel) in values:
        return None
    return f"channel {lead.channel} is not one of {_listed(values)}"


def _scenes(values: list[Any], lead: Lead, score: int) -> str | None:
    scene = (lead.source or {}).get("scene")
    if scene is None:
        return "no WeChat scene"
    if str(scene) in {str(v) for v in values}:
        return None
    return f"scene {scene} is not one of {_listed(values)}"


def _min_area(value: Any, lead: Lead, score: int) -> str | None:
    largest = lead.area_max_m2 or lead.area_min_m2
    if largest is None:
        return "no area stated"
    if largest >= _number(value):
        return None
    return f"area up to {largest} m² is below {value} m²"


def _max_area(value: Any, lead: Lead, score: int) -> str | None:
    smallest = lead.area_min_m2 or lead.area_max_m2
    if smallest is None:
        return "no area stated"
    if smallest <= _number(value):
        return None
    return f"area from {smallest} m² is above {value} m²"


def _min_tax(value: Any, lead: Lead, score: int) -> str | None:
    if lead.tax_wan is None:
        return "no tax figure stated"
    if lead.tax_wan >= _number(value):
        return None
    return f"tax {lead.tax_wan}万 is below {value}万"


def _min_investment(value: Any, lead: Lead, score: int) -> str | None:
    if lead.investment_wan is None:
        return "no investment figure stated"
    if lead.investment_wan >= _number(value):
        return None
    return f"investment {lead.investment_wan}万 is below {value}万"


def _min_score(value: Any, lead: Lead, score: int) -> str | None:
    if score >= int(value):
        return None
    return f"score {score} is below {value}"


Check = Callable[[Any, Lead, int], str | None]

CHECKS: dict[str, Check] = {
    "need_types": _need_types,
    "districts": _districts,
    "industries": _industries,
    "deals": _deals,
    "channels": _channels,
    "scenes": _scenes,
    "min_area_m2": _min_area,
    "max_area_m2": _max_area,
    "min_tax_wan": _min_tax,
    "min_investment_wan": _min_investment,
    "min_score": _min_score,
}


def mismatch(conditions: Mapping[str, Any], lead: Lead, score: int) -> str | None:
    """Why `lead` (with `score`) fails `conditions`, or None when it matches them all."""
    for key, value in conditions.items():
        check = CHECKS.get(key)
        if check is None:
            # Written by a newer version or by hand: never guess what it meant.
            return f"unknown condition {key!r}"
        if value is None:
            continue
        reason = check(value, lead, score)
        if reason is not None:
            return reason
    return None
