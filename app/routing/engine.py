"""Assign a committed lead to an agent, exactly once.

The first version routes round-robin among the active agents of the default team. The lead
row is locked (PostgreSQL `FOR UPDATE`; SQLite serialises writers) and `routed_at` marks it
done, so a redelivered task or a second worker changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import Agent, Role, Team
from app.core.db import db, utcnow
from app.leads import lifecycle
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus

ROUTABLE_ROLES = (Role.AGENT, Role.LEAD)


@dataclass(frozen=True, slots=True)
class RoutingOutcome:
    lead_id: int
    agent_id: int | None
    team_id: int | None
    reason: str


def _default_team_locked() -> Team | None:
    stmt = select(Team).where(Team.is_default.is_(True)).with_for_update()
    return db.session.scalars(stmt).first()


def _next_round_robin(team: Team) -> Agent | None:
    stmt = (
        select(Agent)
        .where(Agent.team_id == team.id, Agent.active.is_(True), Agent.role.in_(ROUTABLE_ROLES))
        .order_by(Agent.id)
    )
    agents = list(db.session.scalars(stmt))
    if not agents:
        return None
    last = team.last_assigned_agent_id or 0
    return next((a for a in agents if a.id > last), agents[0])


def route_lead(lead_id: int) -> RoutingOutcome | None:
    """Route one lead; None when it does not exist or was routed already. Caller commits."""
    lead = db.session.get(Lead, lead_id, with_for_update=True)
    if lead is None or lead.routed_at is not None:
        return None
    # One UPDATE of the lead at the end, not one per query that would autoflush.
    with db.session.no_autoflush:
        return _route_locked(lead)


def _route_locked(lead: Lead) -> RoutingOutcome:
    now = utcnow()
    lead.routed_at = now
    if lead.agent_id is not None or lead.status is not LeadStatus.NEW:
        # Claimed or handled by hand before the worker got to it.
        return RoutingOutcome(lead.id, lead.agent_id, lead.team_id, "already handled")

    team = _default_team_locked()
    agent = _next_round_robin(team) if team else None
    if team is not None:
        lead.team_id = team.id
    if agent is None:
        reason = "no default team" if team is None else "no active agent in the default team"
        db.session.add(
            LeadEvent(
                lead_id=lead.id,
                type=EventType.UNASSIGNED,
                actor="system",
                created_at=now,
                data={"reason": reason, "pool": lead.team_id},
            )
        )
        return RoutingOutcome(lead.id, None, lead.team_id, reason)

    assert team is not None
    team.last_assigned_agent_id = agent.id
    assign(lead, agent, actor="system", reason="round_robin")
    return RoutingOutcome(lead.id, agent.id, team.id, "round_robin")


def assign(
    lead: Lead, agent: Agent, *, actor: str, reason: str, by_agent_id: int | None = None
) -> None:
    """Give `lead` to `agent`: status, timestamps and the assignment event."""
    now = utcnow()
    previous = lead.agent_id
    lead.agent_id = agent.id
    lead.team_id = agent.team_id or lead.team_id
    lead.assigned_at = now
    if lead.status is LeadStatus.NEW:
        lifecycle.change_status(
            lead,
            LeadStatus.ASSIGNED,
            actor=actor,
            agent_id=by_agent_id,
            data={"agent_id": agent.id},
        )
    db.session.add(
        LeadEvent(
            lead_id=lead.id,
            type=EventType.REASSIGNED if previous else EventType.ASSIGNED,
            actor=actor,
            agent_id=by_agent_id,
            created_at=now,
            data={
                "agent_id": agent.id,
                "agent": agent.name,
                "from_agent_id": previous,
                "reason": reason,
            },
        )
    )
    from app.notifications.service import notify_lead_assigned

    notify_lead_assigned(lead, agent)


def unrouted_lead_ids(older_than_seconds: int, limit: int = 500) -> list[int]:
    """Leads the worker still owes a routing (lost publish, broker outage, crash)."""
    import datetime as dt

    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    stmt = (
        select(Lead.id)
        .where(Lead.routed_at.is_(None), Lead.created_at < cutoff)
        .order_by(Lead.created_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
