"""How a funnel report reads to people: group names, stage names, numbers (page and XLSX).

The numbers come from `funnel_report` untouched; this module only names and formats them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.leads.labels import label_of
from app.leads.models import Channel, LeadStatus, NeedType
from app.reports.charts import FunnelStep, Pair
from app.reports.queries import STAGES

GROUP_NAMES = {
    "none": _l("不分组"),
    "channel": _l("渠道"),
    "need_type": _l("需求类型"),
    "district": _l("区域"),
    "agent": _l("招商专员"),
    "week": _l("周"),
}


def group_label(group_by: str, group: dict[str, Any]) -> str:
    key = group["key"]
    if group_by == "channel":
        return label_of(Channel, key)
    if group_by == "need_type":
        return label_of(NeedType, key)
    if group_by == "agent":
        return group["label"] if key is not None else _("未分配")
    if group_by == "district":
        return key or _("未填写")
    if group_by == "week":
        return _("%(day)s 起", day=key) if key else "—"
    return _("全部")


def stage_label(stage: str) -> str:
    return label_of(LeadStatus, stage)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def minutes(value: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value:,.1f}".removesuffix(".0")
    return _("%(n)s 分钟", n=shown)


def funnel_steps(data: dict[str, Any]) -> list[FunnelStep]:
    """The stages of one report row (totals or a group) as chart steps."""
    return [
        FunnelStep(
            key=stage,
            label=stage_label(stage),
            count=data["funnel"][stage],
            rate=data["stage_conversion"].get(stage) if i else None,
        )
        for i, stage in enumerate(STAGES)
    ]


def created_won_pairs(report: dict[str, Any]) -> list[Pair]:
    """Created vs won per group, for the trend and per-agent charts."""
    group_by = report["group_by"]
    pairs = []
    for group in report["groups"]:
        label = group_label(group_by, group)
        if group_by == "week" and group["key"]:
            label = _week_short(group["key"])
        pairs.append(Pair(str(group["key"]), label, group["created"], group["won"]))
    return pairs


def _week_short(day: str) -> str:
    try:
        return dt.date.fromisoformat(day).strftime("%m-%d")
    except ValueError:
        return day
