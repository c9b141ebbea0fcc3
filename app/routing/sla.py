"""SLA, escalation and the public pool (公海): the periodic jobs of docs/routing.md.

- `check_sla`: a lead not contacted by its due time (counted in working time, China's official
  calendar) is reported to the team lead and the agent, and gets a second period; when that
  passes too, it goes to another available agent of the team, or back to the team's pool.
- `release_inactive`: a lead nobody touched for the team's `pool_after_days` returns to the
  pool, where any agent of the team may claim it.
- `remind_follow_ups`, `daily_digest`: reminders through the notification outbox.

Every job is safe to run twice at once: rows are taken with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serialises writers), each change is guarded by the state it moves from,
and notifications carry idempotency keys derived from their cause.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select

from app.accounts.alerts import notify_agent
from app.accounts.models import Agent, Role, Team
from app.core.db import db, utcnow
from app.core.i18n import localtime
from app.leads import lifecycle
from app.leads.models import OPEN_STATUSES, EventType, Lead, LeadStatus
from app.routing import engine, strategies
from app.settings.worktime import add_working_minutes

UNCONTACTED = (LeadStatus.NEW, LeadStatus.ASSIGNED)


@dataclass
class SlaRun:
    breached: list[int] = field(default_factory=list)
    reassigned: list[int] = field(default_factory=list)
    pooled: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def sla_minutes(team: Team | None) -> int:
    if team is not None and team.sla_minutes:
        return team.sla_minutes
    return int(current_app.config["SLA_MINUTES"])


def sla_due(start: dt.datetime, team: Team | None) -> dt.datetime:
    """When a lead created (or escalated) at `start` must be contacted: working minutes."""
    return add_working_minutes(start, sla_minutes(team), tz=current_app.config["TIMEZONE"])


def _claim_rows(stmt: Select[tuple[Lead]], limit: int) -> list[Lead]:
    stmt = stmt.order_by(Lead.sla_due_at, Lead.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Lead)
    return list(db.session.scalars(stmt))


def _overdue(level: int, now: dt.datetime) -> Select[tuple[Lead]]:
    return select(Lead).where(
        Lead.first_contacted_at.is_(None),
        Lead.status.in_(UNCONTACTED),
        Lead.merged_into_id.is_(None),
        Lead.sla_level == level,
        Lead.sla_due_at <= now,
    )


def check_sla(now: dt.datetime | None = None, limit: int = 200) -> SlaRun:
    """One pass over overdue leads; the caller commits."""
    now = now or utcnow()
    run = SlaRun()
    for lead in _claim_rows(_overdue(0, now), limit):
        _first_breach(lead, now)
        run.breached.append(lead.id)
    for lead in _claim_rows(_overdue(1, now), limit):
        if _second_breach(lead, now):
            run.reassigned.append(lead.id)
        else:
            run.pooled.append(lead.id)
    db.session.flush()
    return run


def _event(lead: Lead, type_: EventType, now: dt.datetime, **data: Any) -> None:
    lifecycle.record_event(lead.id, type_, actor="system", at=now, data=data)


def _first_breach(lead: Lead, now: dt.datetime) -> None:
    team = db.session.get(Team, lead.team_id) if lead.team_id else None
    missed = lead.sla_due_at
    lead.sla_level = 1
    lead.sla_due_at = sla_due(now, team)
    _event(
        lead,
        EventType.SLA_BREACHED,
        now,
        level=1,
        due_at=_iso(missed),
        next_due_at=_iso(lead.sla_due_at),
        agent_id=lead.agent_id,
    )
    owner = db.session.get(Agent, lead.agent_id) if lead.agent_id else None
    for recipient in [*_team_leads(lead.team_id), *([owner] if owner else [])]:
        notify_agent(
            recipient,
            kind="sla_breach",
            cause=f"sla_breach:{lead.id}:1:{recipient.id}",
            template="NOTICE",
            title="线索超时未联系 / lead not contacted in time",
            lines=[
                ("线索", lead.reference),
                ("负责人", owner.name if owner else "未分配"),
                ("应联系时间", localtime(missed)),
            ],
            remark="请尽快联系客户；再次超时将转给其他专员。",
            lead_id=lead.id,
        )


def _second_breach(lead: Lead, now: dt.datetime) -> bool:
    """Give the lead to another available agent of its team; else back to the pool.
    Returns whether someone new got it."""
    team = db.session.get(Team, lead.team_id) if lead.team_id else None
    lead.sla_level = 2
    previous = lead.agent_id
    chosen = _another_agent(team, exclude=previous, now=now) if team else None
    _event(
        lead,
        EventType.SLA_BREACHED,
        now,
        level=2,
        agent_id=previous,
        action="reassigned" if chosen else "pooled",
    )
    if chosen is not None:
        assert team is not None
        team.last_assigned_agent_id = chosen.id
        chosen.last_assigned_at = now
        lead.sla_due_at = sla_due(now, team)
        engine.assign(lead, chosen, actor="system", reason="sla_breach")
        return True
    release_to_pool(lead, reason="sla_breach", now=now)
    return False


def _another_agent(team: Team, *, exclude: int | None, now: dt.datetime) -> Agent | None:
    stmt = select(Agent).where(Agent.team_id == team.id, Agent.role.in_(engine.ROUTABLE_ROLES))
    agents = [a for a in db.session.scalars(stmt.order_by(Agent.id)) if a.id != exclude]
    counts = engine.open_lead_counts([a.id for a in agents])
    candidates = [
        strategies.Candidate(
            a, counts[a.id], skipped=engine.skip_reasons(a, team, counts[a.id], now)
        )
        for a in agents
    ]
    chosen = strategies.pick(
        team.strategy,
        [c for c in candidates if c.available],
        last_agent_id=team.last_assigned_agent_id,
    )
    return chosen.agent if chosen else None


def release_to_pool(lead: Lead, *, reason: str, now: dt.datetime) -> None:
    """Take the lead from its agent; it waits in its team's pool for a claim."""
    previous = lead.agent_id
    if lead.status is LeadStatus.ASSIGNED:
        lifecycle.change_status(lead, LeadStatus.NEW, actor="system", data={"reason": reason})
    lead.agent_id = None
    lead.assigned_at = None
    _event(
        lead, EventType.UNASSIGNED, now, reason=reason, from_agent_id=previous, pool=lead.team_id
    )


def release_inactive(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Leads without activity for their team's `pool_after_days` go back to the pool."""
    now = now or utcnow()
    released: list[int] = []
    teams = db.session.scalars(
        select(Team).where(Team.pool_after_days.is_not(None), Team.pool_after_days > 0)
    )
    for team in list(teams):
        cutoff = now - dt.timedelta(days=team.pool_after_days or 0)
        stmt = (
            select(Lead)
            .where(
                Lead.team_id == team.id,
                Lead.agent_id.is_not(None),
                Lead.status.in_(OPEN_STATUSES),
                Lead.merged_into_id.is_(None),
                Lead.last_activity_at < cutoff,
            )
            .order_by(Lead.last_activity_at, Lead.id)
            .limit(limit - len(released))
        )
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Lead)
        for lead in db.session.scalars(stmt):
            release_to_pool(lead, reason="inactive", now=now)
            released.append(lead.id)
        if len(released) >= limit:
            break
    db.session.flush()
    return released


def remind_follow_ups(
    now: dt.datetime | None = None, window: dt.timedelta = dt.timedelta(hours=24)
) -> int:
    """Tell agents about follow-ups that fell due (once per lead and due time)."""
    now = now or utcnow()
    stmt = (
        select(Lead, Agent)
        .join(Agent, Agent.id == Lead.agent_id)
        .where(
            Lead.next_follow_up_at <= now,
            Lead.next_follow_up_at > now - window,
            Lead.status.in_(OPEN_STATUSES),
            Lead.merged_into_id.is_(None),
        )
    )
    count = 0
    for lead, agent in db.session.execute(stmt):
        due = lead.next_follow_up_at
        assert due is not None
        queued = notify_agent(
            agent,
            kind="follow_up_due",
            cause=f"follow_up:{lead.id}:{due.isoformat()}",
            template="NOTICE",
            title="跟进提醒 / follow-up due",
            lines=[
                ("线索", lead.reference),
                ("客户", lead.company or lead.contact_name or "—"),
                ("约定跟进时间", localtime(due)),
            ],
            lead_id=lead.id,
        )
        count += bool(queued)
    db.session.flush()
    return count


def digest_figures(day: dt.date) -> dict[str, int]:
    """Yesterday-style figures for one local day, in one aggregate query."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    now = utcnow()
    created = and_(Lead.created_at >= start, Lead.created_at < end)
    row = db.session.execute(
        select(
            func.count().filter(created).label("created"),
            func.count().filter(and_(Lead.won_at >= start, Lead.won_at < end)).label("won"),
            func.count()
            .filter(
                and_(
                    Lead.first_contacted_at.is_(None),
                    Lead.status.in_(UNCONTACTED),
                    Lead.sla_due_at < now,
                )
            )
            .label("overdue"),
            func.count()
            .filter(and_(Lead.agent_id.is_(None), Lead.status.in_(OPEN_STATUSES)))
            .label("in_pool"),
        ).where(
            Lead.merged_into_id.is_(None),
            or_(Lead.status.in_(OPEN_STATUSES), created, Lead.won_at >= start),
        )
    ).one()
    return {"created": row.created, "won": row.won, "overdue": row.overdue, "in_pool": row.in_pool}


def daily_digest(day: dt.date | None = None) -> int:
    """Send each active admin the figures of `day` (default: yesterday, local time)."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    day = day or (dt.datetime.now(zone).date() - dt.timedelta(days=1))
    figures = digest_figures(day)
    admins = db.session.scalars(
        select(Agent).where(Agent.role == Role.ADMIN, Agent.active.is_(True))
    )
    sent = 0
    for admin in admins:
        queued = notify_agent(
            admin,
            kind="daily_digest",
            cause=f"daily_digest:{day.isoformat()}:{admin.id}",
            template="NOTICE",
            title=f"ParkLead 日报 {day.isoformat()}",
            lines=[
                ("新线索", str(figures["created"])),
                ("签约", str(figures["won"])),
                ("超时未联系", str(figures["overdue"])),
                ("公海待领取", str(figures["in_pool"])),
            ],
        )
        sent += bool(queued)
    db.session.flush()
    return sent


def _team_leads(team_id: int | None) -> list[Agent]:
    if team_id is None:
        return []
    stmt = select(Agent).where(
        Agent.team_id == team_id, Agent.role == Role.LEAD, Agent.active.is_(True)
    )
    return list(db.session.scalars(stmt))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
