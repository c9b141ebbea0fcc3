"""Lead score, 0–100 (docs/routing.md "Scoring"): how promising an enquiry looks, from what
it tells us.

    score = round(100 × Σ weight[f] × factor[f] / Σ weight[f])

Each factor is between 0 and 1:

- tax, investment, area: the stated amount on a log scale, full marks at TAX_FULL_WAN,
  INVESTMENT_FULL_WAN and AREA_FULL_M2 (a 100万 taxpayer already scores two thirds of a
  1000万 one, as investment-promotion offices rank them); nothing stated counts 0;
- completeness: the share of COMPLETENESS_FIELDS the prospect filled in;
- channel: CHANNEL_VALUES (someone who phones is warmer than a bulk import).

The weights are the `SCORING_WEIGHTS` setting (env `PARKLEAD_SCORING_WEIGHTS`, JSON); a factor
the setting leaves out keeps its default weight, and 0 switches it off. The score is stored on
the lead when it is created and whenever an enquiry fills in fields; rules use it (`min_score`)
and the pool lists the best leads first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context

from app.leads.models import Channel, Lead, NeedType
from config.base import BaseConfig

TAX_FULL_WAN = 1000
INVESTMENT_FULL_WAN = 10_000  # 1 亿元
AREA_FULL_M2 = 20_000  # 30 亩

CHANNEL_VALUES: dict[Channel, float] = {
    Channel.PHONE: 1.0,
    Channel.WECHAT: 0.8,
    Channel.WEB_FORM: 0.6,
    Channel.API: 0.5,
    Channel.IMPORT: 0.3,
}


def _has_need(lead: Lead) -> bool:
    return lead.need_type not in (None, NeedType.OTHER)


def _has_area(lead: Lead) -> bool:
    return bool(lead.area_min_m2 or lead.area_max_m2)


def _has_contact_channel(lead: Lead) -> bool:
    return bool(lead.phone or lead.wechat_id or lead.wechat_openid)


def _filled(name: str) -> Callable[[Lead], bool]:
    return lambda lead: getattr(lead, name) not in (None, "")


COMPLETENESS_FIELDS: dict[str, Callable[[Lead], bool]] = {
    "need_type": _has_need,
    "deal": _filled("deal"),
    "area": _has_area,
    "industry": _filled("industry"),
    "company": _filled("company"),
    "contact_name": _filled("contact_name"),
    "phone_or_wechat": _has_contact_channel,
    "district": _filled("district"),
    "timeline": _filled("timeline"),
    "employees": _filled("employees"),
}


def _log_scale(value: Decimal | float | int | None, full: float) -> float:
    if value is None or value <= 0:
        return 0.0
    return min(1.0, math.log1p(float(value)) / math.log1p(full))


def _largest_area(lead: Lead) -> Decimal | None:
    return lead.area_max_m2 or lead.area_min_m2


def _channel(lead: Lead) -> float:
    try:
        return CHANNEL_VALUES.get(Channel(lead.channel), 0.0)
    except ValueError:
        return 0.0


def factors(lead: Lead) -> dict[str, float]:
    """Each factor of `lead` between 0 and 1 (works on unsaved leads too, for dry runs)."""
    filled = sum(1 for check in COMPLETENESS_FIELDS.values() if check(lead))
    return {
        "tax": _log_scale(lead.tax_wan, TAX_FULL_WAN),
        "investment": _log_scale(lead.investment_wan, INVESTMENT_FULL_WAN),
        "area": _log_scale(_largest_area(lead), AREA_FULL_M2),
        "completeness": filled / len(COMPLETENESS_FIELDS),
        "channel": _channel(lead),
    }


FACTORS = ("tax", "investment", "area", "completeness", "channel")


def weights(configured: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The defaults with `configured` (default: the app's SCORING_WEIGHTS) laid over them."""
    if configured is None and has_app_context():
        configured = current_app.config.get("SCORING_WEIGHTS")
    merged: dict[str, float] = dict(BaseConfig.SCORING_WEIGHTS)
    for name, value in (configured or {}).items():
        if name not in FACTORS:
            raise ValueError(f"unknown scoring factor {name!r}; use {', '.join(FACTORS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"scoring weight {name!r} must be a number ≥ 0, not {value!r}")
        merged[name] = float(value)
    return merged


def score_lead(lead: Lead, configured: Mapping[str, Any] | None = None) -> int:
    """The 0–100 score of `lead` under the configured weights."""
    w = weights(configured)
    total = sum(w.values())
    if total <= 0:
        return 0
    values = factors(lead)
    raw = sum(w[name] * values[name] for name in FACTORS) / total
    return max(0, min(100, round(100 * raw)))


def rescore(lead: Lead) -> int:
    """Recompute and store `lead.score` after its fields changed; the caller commits."""
    lead.score = score_lead(lead)
    return lead.score
