"""Matching leads and listings: hard rules that exclude, soft fit that orders (docs/listings.md).

Plain Python, no database and no Flask: `evaluate(lead, listing)` reads attributes of any two
objects shaped like a lead and a listing (ORM rows, SQL rows, test doubles). The database
narrows the candidates first with `listing_bounds` / `lead_bounds`, which only ever rule out
what `evaluate` would rule out too; `evaluate` decides.

Every reason and warning comes in Chinese and English (`Note.zh`, `Note.en`).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Protocol

from app.core.units import M2_PER_MU

# A listing may be this much smaller than the need's minimum (whole) or its smallest part this
# much larger than the need's maximum and still be offered, with a warning.
AREA_TOLERANCE = 0.2
# Over budget by more than this share: the price part of the score is zero.
BUDGET_TOLERANCE = 0.2

# Relative weights of the soft parts of the score; a part the lead says nothing about is left
# out (neither rewards nor punishes), and the score is the weighted share of what is known.
WEIGHTS: dict[str, float] = {
    "kind": 10,
    "area": 35,
    "district": 15,
    "price": 20,
    "building": 15,
    "admission": 15,
}
NEUTRAL_SCORE = 50  # a lead that says nothing the listing can be compared with

KIND_NAMES = {
    "land": ("土地", "land"),
    "factory": ("厂房", "factory"),
    "warehouse": ("仓库", "warehouse"),
    "office": ("办公", "office"),
    "incubator": ("孵化器工位", "incubator"),
}
ALL_KINDS = tuple(KIND_NAMES)
# Which listing kinds serve a need, the first being the exact one. A warehouse need may take a
# factory, an incubator need an office; a registration or HQ needs an office or a desk.
KINDS_FOR_NEED: dict[str, tuple[str, ...]] = {
    "land": ("land",),
    "factory": ("factory",),
    "warehouse": ("warehouse", "factory"),
    "office": ("office",),
    "incubator": ("incubator", "office"),
    "registration": ("office", "incubator"),
    "investment": ALL_KINDS,
    "other": ALL_KINDS,
}
# Needs that say nothing about the kind of space (no kind part in the score).
OPEN_NEEDS = ("investment", "other")
NEEDS_FOR_KIND: dict[str, tuple[str, ...]] = {
    kind: tuple(need for need, kinds in KINDS_FOR_NEED.items() if kind in kinds)
    for kind in ALL_KINDS
}
# Lead deals a listing's deals satisfy; build_to_suit and any accept every listing.
DEALS_FOR_LISTING = {"rent": ("rent",), "sale": ("buy",)}
OPEN_DEALS = ("any", "build_to_suit")

# Extras a prospect asks for in words (the lead's message), and the listing column that has it.
EXTRA_WORDS: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("own_yard", re.compile(r"独门独院|独院|独栋"), "独门独院", "own yard"),
    ("dormitory", re.compile(r"宿舍|住宿"), "宿舍", "dormitory"),
    ("canteen", re.compile(r"食堂"), "食堂", "canteen"),
    ("truck_access", re.compile(r"货车|大车|挂车|物流车|卸货|装卸"), "大车通行", "truck access"),
)


@dataclass(frozen=True, slots=True)
class Note:
    """A reason or a warning, in both languages."""

    code: str
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


@dataclass(slots=True)
class Match:
    score: int  # 0-100
    reasons: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)  # part -> 0..1, known parts only


@dataclass(frozen=True, slots=True)
class Excluded:
    """A hard rule the pair fails: the first one found, with why."""

    rule: str
    note: Note


def _v(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _f(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def _num(value: float) -> str:
    """A figure as offices write it: no trailing zeros, thousands grouped."""
    if abs(value - round(value)) < 0.005:
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _mu(m2: float) -> str:
    return _num(round(m2 / float(M2_PER_MU), 1))


def norm(text: str | None) -> str:
    return (text or "").strip().lower()


_SEPARATORS = re.compile(r"[,，、/;；\s]+")


def districts_of(text: str | None) -> list[str]:
    """The districts a lead names ("天元区、芦淞区" -> two)."""
    return [part for part in _SEPARATORS.split(norm(text)) if part]


def _industry_excluded(industry: str | None, excluded: Iterable[str]) -> str | None:
    """The excluded entry that covers the lead's industry (化工 covers 精细化工)."""
    mine = norm(industry)
    if not mine:
        return None
    for entry in excluded or ():
        other = norm(entry)
        if other and (other in mine or mine in other):
            return entry
    return None


def lead_area(lead: Any) -> tuple[float | None, float | None]:
    """The lead's area range; one end stated stands for both."""
    low, high = _f(lead.area_min_m2), _f(lead.area_max_m2)
    return (low if low is not None else high), (high if high is not None else low)


def offered_area(listing: Any) -> tuple[float, float]:
    """(smallest part, whole available area) of a listing."""
    available = _f(listing.available_m2) or 0.0
    split = _f(listing.min_split_m2)
    return (min(split, available) if split is not None else available), available


class _Text(Protocol):
    """A note's words, built only when they are shown.

    The lambdas passed here bind loop variables as default arguments (``lambda zh=zh: ...``),
    which ``Callable[[], str]`` rejects; this protocol still says "called with no arguments".
    """

    def __call__(self) -> str: ...


class _Notes:
    """Collects notes; with explain=False it only counts (ranking many candidates)."""

    __slots__ = ("explain", "reasons", "warnings")

    def __init__(self, explain: bool) -> None:
        self.explain = explain
        self.reasons: list[Note] = []
        self.warnings: list[Note] = []

    def reason(self, code: str, zh: _Text, en: _Text) -> None:
        if self.explain:
            self.reasons.append(Note(code, zh(), en()))

    def warn(self, code: str, zh: _Text, en: _Text) -> None:
        if self.explain:
            self.warnings.append(Note(code, zh(), en()))


# --- hard rules ----------------------------------------------------------------------------

# (lead field, listing field, zh name, en name, unit, applies to land)
REQUIREMENTS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("ceiling_height_min_m", "ceiling_height_m", "层高", "ceiling height", "m", False),
    ("crane_t", "crane_t", "行车", "crane", "t", False),
    ("power_kva", "power_kva", "配电", "power", "kVA", True),
    ("floor_load_t_m2", "floor_load_t_m2", "承重", "floor load", "t/㎡", False),
)


def excluded(lead: Any, listing: Any) -> Excluded | None:
    """The first hard rule the pair fails, or None when the listing may serve the lead."""
    kind = _v(listing.kind)
    need = _v(lead.need_type) or "other"
    if _v(listing.status) != "available":
        return Excluded("status", Note("status", "已不可用", "no longer available"))
    if kind not in KINDS_FOR_NEED.get(need, ALL_KINDS):
        zh, en = KIND_NAMES[kind]
        return Excluded("kind", Note("kind", f"类型不符（{zh}）", f"wrong kind ({en})"))
    deal = _v(lead.deal)
    if deal == "rent" and not listing.for_rent:
        return Excluded("deal", Note("deal", "只售不租", "for sale only"))
    if deal == "buy" and not listing.for_sale:
        return Excluded("deal", Note("deal", "只租不售", "for rent only"))
    low, high = lead_area(lead)
    split, available = offered_area(listing)
    if low is not None and available < low * (1 - AREA_TOLERANCE):
        return Excluded(
            "too_small",
            Note(
                "too_small",
                f"面积不足：可用 {_num(available)} ㎡，需要 {_num(low)} ㎡",
                f"too small: {_num(available)} m² available, {_num(low)} m² needed",
            ),
        )
    if high is not None and split > high * (1 + AREA_TOLERANCE):
        return Excluded(
            "too_large",
            Note(
                "too_large",
                f"面积过大：最小可分割 {_num(split)} ㎡，需要至多 {_num(high)} ㎡",
                f"too large: smallest part {_num(split)} m², {_num(high)} m² wanted at most",
            ),
        )
    for lead_field, listing_field, zh, en, unit, on_land in REQUIREMENTS:
        wanted = _f(getattr(lead, lead_field))
        if not wanted or (kind == "land" and not on_land):
            continue
        have = _f(getattr(listing, listing_field))
        if have is not None and have < wanted:
            return Excluded(
                listing_field,
                Note(
                    listing_field,
                    f"{zh}不足：{_num(have)} {unit}，要求 {_num(wanted)} {unit}",
                    f"{en} below need: {_num(have)} {unit}, {_num(wanted)} {unit} required",
                ),
            )
    category = norm(lead.eia_category)
    if category and category not in {norm(c) for c in listing.eia_categories or ()}:
        return Excluded(
            "eia",
            Note(
                "eia",
                f"不可做“{lead.eia_category}”类环评",
                f"no EIA possible for {lead.eia_category}",
            ),
        )
    entry = _industry_excluded(lead.industry, listing.excluded_industries)
    if entry is not None:
        return Excluded(
            "industry",
            Note("industry", f"不接受{entry}行业", f"does not accept the {entry} industry"),
        )
    return None


# --- soft fit ------------------------------------------------------------------------------


def _kind_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    need = _v(lead.need_type) or "other"
    if need in OPEN_NEEDS:
        return None
    kind = _v(listing.kind)
    zh, en = KIND_NAMES[kind]
    if KINDS_FOR_NEED[need][0] == kind:
        notes.reason("kind", lambda: f"类型相符：{zh}", lambda: f"kind fits: {en}")
        return 1.0
    notes.reason(
        "kind_alternative", lambda: f"{zh}也可满足此需求", lambda: f"a {en} can serve this need"
    )
    return 0.6


def _area_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    low, high = lead_area(lead)
    if low is None or high is None:
        return None
    split, available = offered_area(listing)
    whole = "" if split >= available else f"（可分割，最小 {_num(split)} ㎡）"
    whole_en = "" if split >= available else f" (divisible, from {_num(split)} m²)"
    if available >= low and split <= high:
        notes.reason(
            "area",
            lambda: f"面积合适：可用 {_num(available)} ㎡（{_mu(available)} 亩）{whole}",
            lambda: f"area fits: {_num(available)} m² available{whole_en}",
        )
        return 1.0
    if available < low:
        short = (low - available) / low
        notes.warn(
            "area_small",
            lambda: f"面积略小：可用 {_num(available)} ㎡，需求 {_num(low)} ㎡",
            lambda: f"a little small: {_num(available)} m² available, {_num(low)} m² wanted",
        )
        return max(0.0, 1 - short / AREA_TOLERANCE)
    over = (split - high) / high
    notes.warn(
        "area_large",
        lambda: f"面积偏大：最少需租/购 {_num(split)} ㎡，需求至多 {_num(high)} ㎡",
        lambda: f"a little large: at least {_num(split)} m², {_num(high)} m² wanted at most",
    )
    return max(0.0, 1 - over / AREA_TOLERANCE)


def _district_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    wanted = districts_of(lead.district)
    if not wanted:
        return None
    here = " ".join(norm(x) for x in (listing.district, listing.park) if x)
    if any(d in here or (norm(listing.district) and norm(listing.district) in d) for d in wanted):
        notes.reason(
            "district",
            lambda: f"位于意向区域：{listing.district or listing.park}",
            lambda: f"in the preferred district: {listing.district or listing.park}",
        )
        return 1.0
    notes.warn(
        "district",
        lambda: f"不在意向区域（{lead.district}），位于{listing.district or '—'}",
        lambda: f"outside the preferred district ({lead.district}): {listing.district or '—'}",
    )
    return 0.0


def _budget_fit(
    price: float | None,
    budget: float,
    notes: _Notes,
    code: str,
    unit_zh: str,
    unit_en: str,
) -> float:
    if price is None:
        notes.warn(
            code + "_unknown",
            lambda: "价格未标明，需与园区确认",
            lambda: "price not stated; ask the park",
        )
        return 0.5
    if price <= budget:
        notes.reason(
            code,
            lambda: f"价格 {_num(price)} {unit_zh}，在预算 {_num(budget)} 以内",
            lambda: f"price {_num(price)} {unit_en}, within the budget of {_num(budget)}",
        )
        return 1.0
    over = (price - budget) / budget if budget else 1.0
    notes.warn(
        code + "_over",
        lambda: f"价格 {_num(price)} {unit_zh}，超出预算 {round(over * 100)}%",
        lambda: f"price {_num(price)} {unit_en}, {round(over * 100)}% over budget",
    )
    return max(0.0, 1 - over / BUDGET_TOLERANCE)


def _price_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    kind = _v(listing.kind)
    if kind == "land":
        budget = _f(lead.budget_land_wan_per_mu)
        if budget is None:
            return None
        return _budget_fit(
            _f(listing.land_price_wan_per_mu), budget, notes, "land_price", "万元/亩", "10k CNY/mu"
        )
    budget = _f(lead.budget_rent_yuan_m2_month)
    if budget is None or not listing.for_rent:
        return None
    return _budget_fit(
        _f(listing.rent_yuan_m2_month), budget, notes, "rent", "元/㎡/月", "CNY/m²/month"
    )


def _said_of(listing: Any) -> str:
    """What the office wrote of the listing in words: its title and description."""
    return f"{getattr(listing, 'title', None) or ''} {getattr(listing, 'description', None) or ''}"


def _building_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    """Stated minimums (met or unknown) and the extras the prospect asked for in words."""
    kind = _v(listing.kind)
    scores: list[float] = []
    for lead_field, listing_field, zh, en, unit, on_land in REQUIREMENTS:
        wanted = _f(getattr(lead, lead_field))
        if not wanted or (kind == "land" and not on_land):
            continue
        have = _f(getattr(listing, listing_field))
        if have is None:
            notes.warn(
                listing_field + "_unknown",
                lambda zh=zh: f"{zh}未标明，需确认",
                lambda en=en: f"{en} not stated; check",
            )
            scores.append(0.5)
        else:
            notes.reason(
                listing_field,
                lambda zh=zh, have=have, unit=unit, wanted=wanted: (
                    f"{zh} {_num(have)} {unit}，满足 ≥ {_num(wanted)} {unit}"
                ),
                lambda en=en, have=have, unit=unit, wanted=wanted: (
                    f"{en} {_num(have)} {unit} meets ≥ {_num(wanted)} {unit}"
                ),
            )
            scores.append(1.0)
    if lead.eia_category:
        notes.reason(
            "eia",
            lambda: f"可做“{lead.eia_category}”类环评",
            lambda: f"EIA possible for {lead.eia_category}",
        )
        scores.append(1.0)
    message = lead.message or ""
    if message and kind != "land":
        for column, pattern, zh, en in EXTRA_WORDS:
            if not pattern.search(message):
                continue
            has = getattr(listing, column)
            if has is None and pattern.search(_said_of(listing)):
                has = True  # not ticked, but the listing's own words say so (独门独院厂房)
            if has:
                notes.reason(column, lambda zh=zh: f"有{zh}", lambda en=en: f"has {en}")
                scores.append(1.0)
            elif has is False:
                notes.warn(column, lambda zh=zh: f"无{zh}", lambda en=en: f"no {en}")
                scores.append(0.0)
            else:
                scores.append(0.5)
    return sum(scores) / len(scores) if scores else None


def taken_area_m2(lead: Any, listing: Any) -> float:
    """The area the lead would take of this listing: its need within what the listing offers."""
    split, available = offered_area(listing)
    _low, high = lead_area(lead)
    if high is None:
        return available
    return min(max(high, split), available)


def _admission_part(lead: Any, listing: Any, notes: _Notes) -> float | None:
    """亩均税收 and 投资强度 against the listing's thresholds, shown with the figures."""
    thresholds = (
        ("tax_wan", _f(listing.min_tax_wan_per_mu), "亩均税收", "tax per mu", "万元/亩/年"),
        ("investment_wan", _f(listing.min_investment_wan_per_mu), "投资强度",
         "investment intensity", "万元/亩"),
    )  # fmt: skip
    if all(threshold is None for _, threshold, *_rest in thresholds):
        return None
    mu = taken_area_m2(lead, listing) / float(M2_PER_MU)
    scores: list[float] = []
    for lead_field, threshold, zh, en, unit in thresholds:
        if threshold is None:
            continue
        total = _f(getattr(lead, lead_field))
        if total is None or mu <= 0:
            notes.warn(
                lead_field + "_unknown",
                lambda zh=zh, threshold=threshold, unit=unit: (
                    f"{zh}门槛 {_num(threshold)} {unit}：客户未提供数据，无法核对"
                ),
                lambda en=en, threshold=threshold: (
                    f"{en} threshold {_num(threshold)}: not known for this lead"
                ),
            )
            continue
        per_mu = total / mu
        if per_mu >= threshold:
            notes.reason(
                lead_field + "_met",
                lambda zh=zh, per_mu=per_mu, threshold=threshold, unit=unit: (
                    f"{zh} {_num(round(per_mu, 1))} {unit}，达到门槛 {_num(threshold)}（达标）"
                ),
                lambda en=en, per_mu=per_mu, threshold=threshold: (
                    f"{en} {_num(round(per_mu, 1))} per mu meets the threshold of {_num(threshold)}"
                ),
            )
            scores.append(1.0)
        else:
            notes.warn(
                lead_field + "_below",
                lambda zh=zh, per_mu=per_mu, threshold=threshold, unit=unit: (
                    f"{zh} {_num(round(per_mu, 1))} {unit}，低于门槛 {_num(threshold)}（未达标）"
                ),
                lambda en=en, per_mu=per_mu, threshold=threshold: (
                    f"{en} {_num(round(per_mu, 1))} per mu is below the threshold "
                    f"of {_num(threshold)}"
                ),
            )
            scores.append(max(0.0, per_mu / threshold) * 0.5)
    return sum(scores) / len(scores) if scores else None


_PARTS: tuple[tuple[str, Callable[[Any, Any, _Notes], float | None]], ...] = (
    ("kind", _kind_part),
    ("area", _area_part),
    ("district", _district_part),
    ("price", _price_part),
    ("building", _building_part),
    ("admission", _admission_part),
)


def evaluate(
    lead: Any, listing: Any, *, explain: bool = True, weights: dict[str, float] | None = None
) -> Match | Excluded:
    """How well `listing` serves `lead`: Excluded (a hard rule), or a Match with a 0-100 score
    and, with `explain`, its reasons and warnings."""
    failed = excluded(lead, listing)
    if failed is not None:
        return failed
    weights = weights or WEIGHTS
    notes = _Notes(explain)
    parts: dict[str, float] = {}
    total = weight_sum = 0.0
    for name, part in _PARTS:
        fraction = part(lead, listing, notes)
        if fraction is None or not weights.get(name):
            continue
        parts[name] = fraction
        total += weights[name] * fraction
        weight_sum += weights[name]
    if weight_sum:
        score = round(100 * total / weight_sum)
    else:
        score = NEUTRAL_SCORE
        notes.warn(
            "no_requirements",
            lambda: "客户尚未说明具体要求，仅按类型列出",
            lambda: "the prospect has not said what they need yet; listed by kind only",
        )
    if _v(lead.deal) in ("rent", "buy"):
        offered = [(zh, en) for zh, en, on in (("租", "rent", listing.for_rent),
                                               ("售", "sale", listing.for_sale)) if on]  # fmt: skip
        notes.reason(
            "deal",
            lambda: "可" + "/".join(zh for zh, _ in offered),
            lambda: "for " + "/".join(en for _, en in offered),
        )
    return Match(score, notes.reasons, notes.warnings, parts)


# The lead's attributes `evaluate` reads.
LEAD_FIELDS = (
    "id", "need_type", "deal", "area_min_m2", "area_max_m2", "district", "industry", "tax_wan",
    "investment_wan", "message", "ceiling_height_min_m", "crane_t", "power_kva",
    "floor_load_t_m2", "eia_category", "budget_rent_yuan_m2_month", "budget_land_wan_per_mu",
)  # fmt: skip


def plain(obj: Any, fields: Iterable[str]) -> SimpleNamespace:
    """A copy of `obj`'s `fields` as plain values (enum values, floats for Decimals): read
    many times while ranking, much faster than an ORM object's attributes."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, Decimal):
            value = float(value)
        values[name] = value
    return SimpleNamespace(**values)


def rank(
    lead: Any, listings: Iterable[Any], *, limit: int, explain: bool = True
) -> list[tuple[Any, Match]]:
    """The `limit` best listings for `lead`, best first (ties: newest listing first)."""
    lead = plain(lead, LEAD_FIELDS)
    return _best(((listing, evaluate(lead, listing, explain=False)) for listing in listings),
                 limit, lambda listing: evaluate(lead, listing, explain=explain))  # fmt: skip


def rank_leads(
    listing: Any, leads: Iterable[Any], *, limit: int, explain: bool = True
) -> list[tuple[Any, Match]]:
    """The `limit` best leads for `listing`, best first (ties: newest lead first)."""
    return _best(((lead, evaluate(lead, listing, explain=False)) for lead in leads),
                 limit, lambda lead: evaluate(lead, listing, explain=explain))  # fmt: skip


def _best(
    scored: Iterable[tuple[Any, Match | Excluded]],
    limit: int,
    explain: Callable[[Any], Match | Excluded],
) -> list[tuple[Any, Match]]:
    kept = [(row, result.score) for row, result in scored if isinstance(result, Match)]
    kept.sort(key=lambda pair: (-pair[1], -pair[0].id))
    best = []
    for row, _score in kept[:limit]:
        result = explain(row)
        assert isinstance(result, Match)
        best.append((row, result))
    return best


# --- what the database can rule out first --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingBounds:
    """What a lead rules out, as plain bounds the listings query applies (None: no bound)."""

    kinds: tuple[str, ...]
    for_rent: bool | None
    for_sale: bool | None
    min_available_m2: Decimal | None
    max_split_m2: Decimal | None
    # listing column -> the lead's minimum (the listing's value is NULL or at least this)
    minimums: dict[str, float]
    kinds_without_building_rules: tuple[str, ...] = ("land",)


def listing_bounds(lead: Any) -> ListingBounds:
    need = _v(lead.need_type) or "other"
    deal = _v(lead.deal)
    low, high = lead_area(lead)
    minimums = {}
    for lead_field, listing_field, *_rest in REQUIREMENTS:
        wanted = _f(getattr(lead, lead_field))
        if wanted:
            minimums[listing_field] = wanted
    return ListingBounds(
        kinds=KINDS_FOR_NEED.get(need, ALL_KINDS),
        for_rent=True if deal == "rent" else None,
        for_sale=True if deal == "buy" else None,
        min_available_m2=_down(low * (1 - AREA_TOLERANCE)) if low is not None else None,
        max_split_m2=_up(high * (1 + AREA_TOLERANCE)) if high is not None else None,
        minimums=minimums,
    )


@dataclass(frozen=True, slots=True)
class LeadBounds:
    """What a listing rules out, as plain bounds the open-leads query applies."""

    need_types: tuple[str, ...]
    deals: tuple[str, ...]  # lead deals served; a lead without a deal always is
    area_min_at_most: Decimal  # the lead's minimum (or its only figure) at most this
    area_max_at_least: Decimal  # the lead's maximum (or its only figure) at least this
    # lead requirement column -> the listing's value: the lead's figure is NULL or at most it
    maximums: dict[str, float]
    eia_categories: tuple[str, ...]  # a lead's EIA category must be one of these


def lead_bounds(listing: Any) -> LeadBounds:
    kind = _v(listing.kind)
    split, available = offered_area(listing)
    deals = list(OPEN_DEALS)
    if listing.for_rent:
        deals += DEALS_FOR_LISTING["rent"]
    if listing.for_sale:
        deals += DEALS_FOR_LISTING["sale"]
    maximums = {}
    for lead_field, listing_field, _zh, _en, _unit, on_land in REQUIREMENTS:
        have = _f(getattr(listing, listing_field))
        if have is not None and (kind != "land" or on_land):
            maximums[lead_field] = have
    return LeadBounds(
        need_types=NEEDS_FOR_KIND[kind],
        deals=tuple(deals),
        area_min_at_most=_up(available / (1 - AREA_TOLERANCE)),
        area_max_at_least=_down(split / (1 + AREA_TOLERANCE)),
        maximums=maximums,
        eia_categories=tuple(listing.eia_categories or ()),
    )


def _down(value: float) -> Decimal:
    """A lower bound in whole cents, rounded down: the SQL filter never drops a row that
    `evaluate` (at full precision) keeps."""
    return Decimal(math.floor(value * 100)) / 100


def _up(value: float) -> Decimal:
    """An upper bound in whole cents, rounded up (see `_down`)."""
    return Decimal(math.ceil(value * 100)) / 100
