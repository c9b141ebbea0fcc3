"""Validation of enquiries: one schema for the JSON API and the HTML form."""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.functional_validators import BeforeValidator

from app.core.errors import ValidationFailed
from app.leads.models import Deal, NeedType

# Control characters break PostgreSQL (NUL) and log lines; newlines and tabs are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ALLOWED_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,  # 800
    phonenumbers.PhoneNumberType.SHARED_COST,  # 400
    phonenumbers.PhoneNumberType.UAN,
}


def clean_text(value: Any) -> Any:
    if isinstance(value, str):
        value = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
        return value or None
    return value


def normalize_phone(raw: str) -> str:
    """E.164 form of any number ``phonenumbers`` validates; ValueError with a reason otherwise.

    +86 is the default region: a number without a country code is read as Chinese (13812345678,
    0731-28881234). A number from elsewhere needs its code (+886 912 345 678, 00852 9123 4567).
    See docs/parser.md (phones).
    """
    if len(raw) == 11 and raw[0] == "1" and raw.isascii() and raw.isdigit() and _mobile(raw[:7]):
        # A Chinese mobile as typed, most enquiries' phone: CN's mobile pattern looks at the
        # first six digits at most, so phonenumbers' yes for one number of a block of seven
        # digits holds for every number of it (tests/leads/test_phones.py checks).
        return "+86" + raw
    return _normalize(raw)


@functools.lru_cache(maxsize=8192)
def _mobile(prefix: str) -> bool:
    """Whether phonenumbers takes the 11-digit numbers starting with `prefix` (seven digits)
    for Chinese mobiles, as they are."""
    number = prefix + "0000"
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.is_valid_number(parsed)
        and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        and phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        == "+86" + number
    )


def _normalize(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > 40:
        raise ValueError("is too long to be a phone number")
    # phonenumbers reads letters as keypad digits (138abcd5678 -> 13822235678); we don't.
    if any(ch.isalpha() for ch in text):
        raise ValueError("is not a phone number: it contains letters")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number (e.g. 13812345678 or +852 9123 4567)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number (e.g. 13812345678 or +852 9123 4567)")
    if phonenumbers.number_type(number) not in _ALLOWED_PHONE_TYPES:
        raise ValueError("must be a mobile or landline number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


_FRIENDLY = {
    "enum": "must be one of: {expected}",
    "extra_forbidden": "is not a field of this endpoint",
    "decimal_parsing": "must be a number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_type": "must be a number",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than_equal": "must be at most {le}",
    "string_too_long": "must be at most {max_length} characters",
    "string_type": "must be text",
    "decimal_max_places": "may have at most {decimal_places} decimal places",
}


def validation_error(exc: ValidationError) -> ValidationFailed:
    """Turn pydantic's errors into our `fields` map, one clear sentence per field."""
    fields: dict[str, str] = {}
    general: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        template = _FRIENDLY.get(err["type"])
        ctx = err.get("ctx") or {}
        if template:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = err["msg"]
        else:
            message = str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
        if loc:
            fields.setdefault(loc, message)
        else:
            general.append(message)
    summary = "; ".join(general) if general else "some fields are not valid"
    return ValidationFailed(summary, fields=fields)


def parse_enquiry_payload(payload: Any) -> EnquiryIn:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object")
    try:
        return EnquiryIn.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc) from None
