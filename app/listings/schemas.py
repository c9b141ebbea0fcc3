"""Validation of listings: one pydantic model for the API, the pages and imports.

A change (PATCH) is validated together with the listing's other values, so a rule between
two fields (the divisible part within the area) holds whichever field changes. Messages are
Chinese message ids translated by Flask-Babel (docs/listings.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import BeforeValidator
from pydantic_core import ErrorDetails

from app.core.errors import ValidationFailed
from app.leads.schemas import clean_text
from app.listings.models import (
    SUBTYPES_BY_KIND,
    FireClass,
    LandUse,
    ListingDeal,
    ListingKind,
    ListingSubtype,
)

Text = Annotated[str | None, BeforeValidator(clean_text)]

# Figures beyond these are typing mistakes, not buildings (docs/listings.md, "Bad input").
MAX_AREA_M2 = Decimal("100000000")  # 100 km²


def _money(le: int, places: int = 2) -> Any:
    return Field(default=None, ge=0, le=le, decimal_places=places)


def _clean_list(value: Any) -> Any:
    """A list of short texts: a list, or one text with commas (、，, ; /)."""
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("，", "、", "；", ";", "/"):
            value = value.replace(sep, ",")
        value = value.split(",")
    if isinstance(value, list):
        cleaned = []
        for item in value:
            item = clean_text(item) if isinstance(item, str) else item
            if item is not None and item not in cleaned:
                cleaned.append(item)
        return cleaned
    return value


TextList = Annotated[list[Annotated[str, Field(max_length=50)]], BeforeValidator(_clean_list)]

NUMBER_FIELDS = (
    "lat", "lng", "area_m2", "available_m2", "min_split_m2", "ceiling_height_m",
    "floor_load_t_m2", "crane_t", "power_kva", "plot_ratio_min", "plot_ratio_max",
    "min_investment_wan_per_mu", "min_tax_wan_per_mu", "rent_yuan_m2_month",
    "sale_price_yuan_m2", "sale_price_wan", "land_price_wan_per_mu",
    "property_fee_yuan_m2_month", "floors", "storey", "land_term_years",
)  # fmt: skip


class ListingIn(BaseModel):
    """A listing as posted to `POST /api/listings` (and merged with its values on PATCH)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ListingKind
    subtype: ListingSubtype | None = None
    deals: list[ListingDeal] = Field(default_factory=lambda: [ListingDeal.RENT], min_length=1)
    land_term_years: int | None = Field(default=None, ge=1, le=70)
    land_use: LandUse | None = None

    title: Annotated[str, BeforeValidator(clean_text)] = Field(min_length=1, max_length=200)
    title_en: Text = Field(default=None, max_length=200)
    description: Text = Field(default=None, max_length=10_000)
    description_en: Text = Field(default=None, max_length=10_000)

    park: Text = Field(default=None, max_length=100)
    district: Text = Field(default=None, max_length=50)
    address: Text = Field(default=None, max_length=300)
    lat: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    lng: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)

    area_m2: Decimal = Field(gt=0, le=MAX_AREA_M2, decimal_places=2)
    available_m2: Decimal | None = Field(default=None, ge=0, le=MAX_AREA_M2, decimal_places=2)
    min_split_m2: Decimal | None = Field(default=None, gt=0, le=MAX_AREA_M2, decimal_places=2)
    floors: int | None = Field(default=None, ge=1, le=200)
    storey: int | None = Field(default=None, ge=-5, le=200)

    # A single-storey hall reaches 30 m at most; 200 m is a typing mistake.
    ceiling_height_m: Decimal | None = Field(default=None, gt=0, le=60, decimal_places=2)
    floor_load_t_m2: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    crane_t: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=1)
    power_kva: int | None = Field(default=None, ge=0, le=1_000_000)
    fire_class: FireClass | None = None
    eia_categories: TextList = Field(default_factory=list, max_length=30)
    own_yard: bool | None = None
    dormitory: bool | None = None
    canteen: bool | None = None
    truck_access: bool | None = None
    excluded_industries: TextList = Field(default_factory=list, max_length=50)

    plot_ratio_min: Decimal | None = Field(default=None, ge=0, le=20, decimal_places=2)
    plot_ratio_max: Decimal | None = Field(default=None, ge=0, le=20, decimal_places=2)
    min_investment_wan_per_mu: Decimal | None = _money(100_000)
    min_tax_wan_per_mu: Decimal | None = _money(10_000)

    rent_yuan_m2_month: Decimal | None = _money(10_000)
    sale_price_yuan_m2: Decimal | None = _money(1_000_000)
    sale_price_wan: Decimal | None = _money(100_000_000)
    land_price_wan_per_mu: Decimal | None = _money(100_000)
    property_fee_yuan_m2_month: Decimal | None = _money(1_000)

    agent_id: int | None = Field(default=None, ge=1)
    published: bool = False

    @field_validator(*NUMBER_FIELDS, mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(_("应为数字"))
        if isinstance(value, str) and value.strip() == "":
            return None
        return value

    @field_validator("deals", mode="before")
    @classmethod
    def _deals(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return list(dict.fromkeys(value))  # ["rent", "rent"] is ["rent"]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ListingIn:
        if self.subtype is not None and self.subtype not in SUBTYPES_BY_KIND[self.kind]:
            allowed = ", ".join(s.value for s in SUBTYPES_BY_KIND[self.kind]) or "—"
            raise _FieldError("subtype", _("该类型可选：%(allowed)s", allowed=allowed))
        if self.available_m2 is None:
            self.available_m2 = self.area_m2
        if self.available_m2 > self.area_m2:
            raise _FieldError("available_m2", _("可用面积不能大于总面积"))
        if self.min_split_m2 is not None and self.min_split_m2 > self.area_m2:
            raise _FieldError("min_split_m2", _("最小可分割面积不能大于总面积"))
        if (
            self.plot_ratio_min is not None
            and self.plot_ratio_max is not None
            and self.plot_ratio_min > self.plot_ratio_max
        ):
            raise _FieldError("plot_ratio_min", _("容积率下限不能大于上限"))
        if self.floors is not None and self.storey is not None and self.storey > self.floors:
            raise _FieldError("storey", _("所在楼层不能高于总层数"))
        return self

    def columns(self) -> dict[str, Any]:
        """Values for the listing's columns (`deals` becomes for_rent / for_sale)."""
        values = self.model_dump(exclude={"deals"})
        values["for_rent"] = ListingDeal.RENT in self.deals
        values["for_sale"] = ListingDeal.SALE in self.deals
        return values


class _FieldError(ValueError):
    """A rule between fields, reported on one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PhotoUrlIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    caption: Text = Field(default=None, max_length=200)

    @field_validator("url")
    @classmethod
    def _short(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 1000:
            raise ValueError(_("网址太长"))
        return value


def _message(err: ErrorDetails) -> str:
    """One Chinese sentence (translated to the request's language) per pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return _("必填")
    if kind == "extra_forbidden":
        return _("不是此接口的字段")
    if kind in ("enum", "literal_error"):
        return _("应为以下之一：%(expected)s", expected=ctx.get("expected", ""))
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("应为数字")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("应为整数")
    if kind in ("bool_parsing", "bool_type"):
        return _("应为 true 或 false")
    if kind == "greater_than":
        return _("应大于 %(n)s", n=ctx.get("gt"))
    if kind == "greater_than_equal":
        return _("不能小于 %(n)s", n=ctx.get("ge"))
    if kind in ("less_than_equal", "less_than"):
        return _("不能大于 %(n)s", n=ctx.get("le", ctx.get("lt")))
    if kind in ("string_too_long", "too_long"):
        return _("太长（最多 %(n)s）", n=ctx.get("max_length"))
    if kind in ("string_too_short", "too_short"):
        return _("不能为空")
    if kind == "decimal_max_places":
        return _("最多 %(n)s 位小数", n=ctx.get("decimal_places"))
    if kind in ("string_type", "list_type"):
        return _("格式不对")
    if kind.startswith("url"):
        return _("应为 http(s) 网址")
    return str(err["msg"])


def validation_error(exc: ValidationError) -> ValidationFailed:
    """pydantic's errors as our `fields` map (the first problem of each field)."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, _FieldError):
            fields.setdefault(error.field, error.message)
            continue
        loc = [str(p) for p in err["loc"]]
        # A list item's error belongs to the list (eia_categories.0 -> eia_categories).
        name = loc[0] if loc else "_"
        fields.setdefault(name, _message(err))
    return ValidationFailed(_("部分字段不正确"), fields=fields)


def parse_listing(payload: Any) -> ListingIn:
    if not isinstance(payload, dict):
        raise ValidationFailed(_("请求体应为 JSON 对象"))
    try:
        return ListingIn.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc) from None


def parse_photo_url(payload: Any) -> PhotoUrlIn:
    try:
        return PhotoUrlIn.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc) from None
