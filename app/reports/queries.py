"""Conversion reports computed in SQL (SPEC §3, §10): a few grouped queries, no loop over leads.

The funnel uses `lead.stage_reached` (the furthest stage a lead ever reached, kept by the
lifecycle), so "reached site_visit" also counts leads that were later lost. Percentiles use a
nearest-rank window query that runs on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal, or_, select

from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.leads.lifecycle import STAGE_ORDER
from app.leads.models import Lead, LeadStatus

STAGES = [s.value for s in STAGE_ORDER]
WON = STAGE_ORDER.index(LeadStatus.WON)
LANDED = STAGE_ORDER.index(LeadStatus.LANDED)
EXCLUDED = (LeadStatus.SPAM, LeadStatus.DUPLICATE)
GROUPS = ("none", "channel", "need_type", "district", "agent", "week")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    start: dt.datetime  # inclusive, aware
    end: dt.datetime  # exclusive, aware
    group_by: str = "none"
    team_id: int | None = None  # team leads see their team only
    tz: str = "Asia/Shanghai"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _week_start(tz: str) -> ColumnElement[Any]:
    """Monday of the lead's creation week, as YYYY-MM-DD in the report's time zone."""
    if _dialect() == "postgresql":
        local = func.timezone(tz, Lead.created_at)
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    offset = dt.datetime.now(ZoneInfo(tz)).utcoffset() or dt.timedelta()
    hours = f"{int(offset.total_seconds() // 3600):+d} hours"
    return func.date(Lead.created_at, hours, "-6 days", "weekday 1")


def _group_key(query: ReportQuery) -> ColumnElement[Any]:
    if query.group_by == "none":
        return literal("all")
    if query.group_by == "week":
        return _week_start(query.tz)
    return {
        "channel": Lead.channel,
        "need_type": Lead.need_type,
        "district": Lead.district,
        "agent": Lead.agent_id,
    }[query.group_by]


def _seconds_between(later: Any, earlier: Any) -> ColumnElement[float]:
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _scope(query: ReportQuery) -> list[ColumnElement[bool]]:
    conditions = [
        Lead.created_at >= query.start,
        Lead.created_at < query.end,
        Lead.merged_into_id.is_(None),
    ]
    if query.team_id is not None:
        conditions.append(Lead.team_id == query.team_id)
    return conditions


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _ratio(part: float | int | None, whole: float | int | None) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None


def funnel_report(query: ReportQuery) -> dict[str, Any]:
    key = _group_key(query).label("key")
    real = Lead.status.not_in(EXCLUDED)
    now = utcnow()
    due_passed = and_(Lead.sla_due_at.is_not(None), Lead.sla_due_at <= now)
    met = and_(Lead.first_contacted_at.is_not(None), Lead.first_contacted_at <= Lead.sla_due_at)
    columns = [
        key,
        _count_if(real).label("created"),
        _count_if(~real).label("excluded"),
        *[
            _count_if(and_(real, Lead.stage_reached >= rank)).label(f"reached_{rank}")
            for rank in range(len(STAGES))
        ],
        _count_if(Lead.status == LeadStatus.LOST).label("lost"),
        func.coalesce(func.sum(case((Lead.stage_reached >= WON, Lead.tax_wan), else_=0)), 0).label(
            "won_tax_wan"
        ),
        _count_if(and_(real, met)).label("sla_met"),
        _count_if(and_(real, or_(met, due_passed))).label("sla_due"),
    ]
    rows = db.session.execute(select(*columns).where(*_scope(query)).group_by(key)).all()
    percentiles = _first_contact_percentiles(query)
    groups = [_group_row(row, percentiles.get(row.key)) for row in rows]
    groups.sort(key=lambda g: str(g["key"]) if g["key"] is not None else "")
    _label_groups(query.group_by, groups)
    return {
        "range": {
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "timezone": query.tz,
        },
        "group_by": query.group_by,
        "stages": STAGES,
        "groups": groups,
        "totals": _totals(query, groups),
        "lost_reasons": lost_reasons(query),
    }


def _group_row(row: Any, percentiles: dict[str, float | None] | None) -> dict[str, Any]:
    reached = [int(getattr(row, f"reached_{rank}")) for rank in range(len(STAGES))]
    created = int(row.created)
    won, landed = reached[WON], reached[LANDED]
    return {
        "key": row.key.value if hasattr(row.key, "value") else row.key,
        "created": created,
        "excluded": int(row.excluded),
        "funnel": dict(zip(STAGES, reached, strict=True)),
        "stage_conversion": {
            STAGES[i]: _ratio(reached[i], reached[i - 1]) for i in range(1, len(STAGES))
        },
        "conversion": _ratio(won, created),  # lead -> 签约
        "landing_rate": _ratio(landed, won),  # 签约 -> 落地
        "site_visits": reached[STAGE_ORDER.index(LeadStatus.SITE_VISIT)],
        "won": won,
        "won_tax_wan": float(row.won_tax_wan or 0),
        "lost": int(row.lost),
        "first_contact_minutes": percentiles or {"median": None, "p90": None},
        "sla": {
            "met": int(row.sla_met),
            "due": int(row.sla_due),
            "compliance": _ratio(int(row.sla_met), int(row.sla_due)),
        },
    }


def _first_contact_percentiles(query: ReportQuery) -> dict[Any, dict[str, float | None]]:
    """Median and p90 minutes from creation to first contact, per group (nearest rank)."""
    key = _group_key(query).label("key")
    seconds = _seconds_between(Lead.first_contacted_at, Lead.created_at).label("secs")
    contacted = (
        select(key, seconds)
        .where(*_scope(query), Lead.first_contacted_at.is_not(None), Lead.status.not_in(EXCLUDED))
        .subquery()
    )
    ranked = select(
        contacted.c.key,
        contacted.c.secs,
        func.row_number().over(partition_by=contacted.c.key, order_by=contacted.c.secs).label("rn"),
        func.count().over(partition_by=contacted.c.key).label("n"),
    ).subquery()

    def nearest_rank(percent: int) -> ColumnElement[Any]:
        # ceil(percent/100 * n) in integer arithmetic, portable across dialects.
        rank = cast((ranked.c.n * percent + 99) // 100, Integer)
        return func.max(case((ranked.c.rn == rank, ranked.c.secs)))

    stmt = select(
        ranked.c.key, nearest_rank(50).label("p50"), nearest_rank(90).label("p90")
    ).group_by(ranked.c.key)
    result = {}
    for row in db.session.execute(stmt):
        key_value = row.key
        result[key_value] = {
            "median": round(float(row.p50) / 60, 1) if row.p50 is not None else None,
            "p90": round(float(row.p90) / 60, 1) if row.p90 is not None else None,
        }
    return result


def _totals(query: ReportQuery, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums over groups; percentiles are recomputed over all leads, not averaged."""
    if query.group_by == "none" and groups:
        return {k: v for k, v in groups[0].items() if k not in ("key", "label")}
    if not groups:
        return _empty_totals()
    created = sum(g["created"] for g in groups)
    funnel = {s: sum(g["funnel"][s] for g in groups) for s in STAGES}
    won, landed = funnel[STAGES[WON]], funnel[STAGES[LANDED]]
    met = sum(g["sla"]["met"] for g in groups)
    due = sum(g["sla"]["due"] for g in groups)
    overall = _first_contact_percentiles(
        ReportQuery(query.start, query.end, "none", query.team_id, query.tz)
    )
    return {
        "created": created,
        "excluded": sum(g["excluded"] for g in groups),
        "funnel": funnel,
        "stage_conversion": {
            STAGES[i]: _ratio(funnel[STAGES[i]], funnel[STAGES[i - 1]])
            for i in range(1, len(STAGES))
        },
        "conversion": _ratio(won, created),
        "landing_rate": _ratio(landed, won),
        "site_visits": funnel[LeadStatus.SITE_VISIT.value],
        "won": won,
        "won_tax_wan": round(sum(g["won_tax_wan"] for g in groups), 2),
        "lost": sum(g["lost"] for g in groups),
        "first_contact_minutes": overall.get("all", {"median": None, "p90": None}),
        "sla": {"met": met, "due": due, "compliance": _ratio(met, due)},
    }


def _empty_totals() -> dict[str, Any]:
    return {
        "created": 0, "excluded": 0, "funnel": dict.fromkeys(STAGES, 0),
        "stage_conversion": {s: None for s in STAGES[1:]}, "conversion": None,
        "landing_rate": None, "site_visits": 0, "won": 0, "won_tax_wan": 0.0, "lost": 0,
        "first_contact_minutes": {"median": None, "p90": None},
        "sla": {"met": 0, "due": 0, "compliance": None},
    }  # fmt: skip


def lost_reasons(query: ReportQuery, limit: int = 20) -> list[dict[str, Any]]:
    stmt = (
        select(Lead.lost_reason, func.count().label("n"))
        .where(*_scope(query), Lead.status == LeadStatus.LOST)
        .group_by(Lead.lost_reason)
        .order_by(func.count().desc(), Lead.lost_reason)
        .limit(limit)
    )
    return [{"reason": reason, "count": n} for reason, n in db.session.execute(stmt)]


def _label_groups(group_by: str, groups: list[dict[str, Any]]) -> None:
    if group_by != "agent":
        for group in groups:
            group["label"] = group["key"]
        return
    ids = [g["key"] for g in groups if g["key"] is not None]
    stmt = select(Agent.id, Agent.name).where(Agent.id.in_(ids))
    names = {agent_id: name for agent_id, name in db.session.execute(stmt)} if ids else {}
    for group in groups:
        group["label"] = names.get(group["key"], "未分配 / unassigned")
