"""Validation of enquiries: one schema for the JSON API and the HTML form."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.functional_validators import BeforeValidator

from app.core.phones import normalize_phone
from app.core.validation import parse
from app.leads.models import Deal, NeedType

# Control characters break PostgreSQL (NUL) and log lines; newlines and tabs are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> Any:
    if isinstance(value, str):
        value = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
        return value or None
    return value


Text = Annotated[str | None, BeforeValidator(clean_text)]


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class EnquiryIn(BaseModel):
    """An enquiry as posted to `POST /api/leads` or the `/enquiry` form (docs/api.md)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    need_type: NeedType = NeedType.OTHER
    deal: Deal | None = None
    area_min_m2: Decimal | None = Field(default=None, gt=0, le=100_000_000, decimal_places=2)
    area_max_m2: Decimal | None = Field(default=None, gt=0, le=100_000_000, decimal_places=2)
    industry: Text = _text(100)
    tax_wan: Decimal | None = Field(default=None, ge=0, le=10_000_000, decimal_places=2)
    investment_wan: Decimal | None = Field(default=None, ge=0, le=100_000_000, decimal_places=2)
    employees: int | None = Field(default=None, ge=0, le=1_000_000)
    timeline: Text = _text(100)
    company: Text = _text(200)
    contact_name: Text = _text(100)
    phone: Text = _text(40)
    wechat_id: Text = _text(64)
    district: Text = _text(50)
    message: Text = _text(4000)
    # Requirements the matching of listings reads (docs/listings.md).
    ceiling_height_min_m: Decimal | None = Field(default=None, gt=0, le=60, decimal_places=2)
    crane_t: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=1)
    power_kva: int | None = Field(default=None, ge=0, le=1_000_000)
    floor_load_t_m2: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    eia_category: Text = _text(50)
    budget_rent_yuan_m2_month: Decimal | None = Field(
        default=None, ge=0, le=10_000, decimal_places=2
    )
    budget_land_wan_per_mu: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=2)
    utm_source: Text = _text(100)
    utm_medium: Text = _text(100)
    utm_campaign: Text = _text(100)
    # Honeypot: hidden in the form, so only bots fill it.
    website: Text = _text(200)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator(
        "area_min_m2",
        "area_max_m2",
        "tax_wan",
        "investment_wan",
        "ceiling_height_min_m",
        "crane_t",
        "power_kva",
        "floor_load_t_m2",
        "budget_rent_yuan_m2_month",
        "budget_land_wan_per_mu",
        mode="before",
    )
    @classmethod
    def _no_bools(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, str) and value.strip() == "":
            return None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EnquiryIn:
        if not self.phone and not self.wechat_id:
            raise ValueError("give a phone number or a WeChat ID so we can reach you")
        if self.area_min_m2 and self.area_max_m2 and self.area_min_m2 > self.area_max_m2:
            raise ValueError("area_min_m2 must not be larger than area_max_m2")
        return self

    def source(self) -> dict[str, str]:
        utm = {
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
        }
        return {k: v for k, v in utm.items() if v}

    def lead_fields(self) -> dict[str, Any]:
        """Values for the lead's columns (everything but UTM and the honeypot)."""
        skip = {"utm_source", "utm_medium", "utm_campaign", "website"}
        return {k: v for k, v in self.model_dump().items() if k not in skip}


def parse_enquiry_payload(payload: Any) -> EnquiryIn:
    return parse(EnquiryIn, payload)
