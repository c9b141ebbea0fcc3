"""Helpers for the routing tests: unrouted leads, routing them, leads already held."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.leads import scoring
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus, NeedType
from app.routing.engine import RoutingOutcome, route_lead
from tests.conftest import fresh_phone


def unrouted_lead(**fields: Any) -> Lead:
    """A committed, scored lead the worker still owes a routing (no task queued for it)."""
    fields.setdefault("phone", fresh_phone())
    fields.setdefault("status", LeadStatus.NEW)
    fields.setdefault("channel", Channel.WEB_FORM)
    for key in ("area_min_m2", "area_max_m2", "tax_wan", "investment_wan"):
        if fields.get(key) is not None:
            fields[key] = Decimal(str(fields[key]))
    if "need_type" in fields:
        fields["need_type"] = NeedType(fields["need_type"])
    lead = Lead(**fields)
    scoring.rescore(lead)
    db.session.add(lead)
    db.session.commit()
    return lead


def route(lead: Lead) -> RoutingOutcome | None:
    outcome = route_lead(lead.id)
    db.session.commit()
    db.session.refresh(lead)
    return outcome


def owners(count: int, **fields: Any) -> list[int | None]:
    """Route `count` new leads one after the other; who got each."""
    result = []
    for _ in range(count):
        lead = unrouted_lead(**fields)
        route(lead)
        result.append(lead.agent_id)
    return result


def hold_open_leads(agent: Agent, count: int, status: LeadStatus = LeadStatus.ASSIGNED) -> None:
    """Give `agent` `count` leads directly, as if routed earlier."""
    for _ in range(count):
        db.session.add(
            Lead(
                channel=Channel.WEB_FORM,
                phone=fresh_phone(),
                status=status,
                agent_id=agent.id,
                team_id=agent.team_id,
                assigned_at=utcnow(),
                lost_reason="预算不足" if status is LeadStatus.LOST else None,
            )
        )
    db.session.commit()


def events_of(lead: Lead, type_: EventType) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))
