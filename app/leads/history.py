"""Leads with a past: stages, calls and SLA as they happened, dated as they happened.

The demo's year of history (`parklead seed-demo --history`) is written here, inside the leads
domain, through the same lifecycle as live leads (`change_status` with the move's date), so
every derived column (stage reached, won and landed dates, first contact) and every event is
what a live lead would have; the report rollup marks the past days these leads touch, as for
any change to an old lead (app/reports/rollup.py). Past leads are not routed and tell nobody:
they are history, not news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from app.core.db import db
from app.leads.activity import CallOutcome
from app.leads.lifecycle import change_status
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.leads.schemas import EnquiryIn
from app.leads.service import _new_lead
from app.settings.worktime import add_working_minutes


@dataclass(frozen=True, slots=True)
class Step:
    to: LeadStatus
    at: dt.datetime
    reason: str | None = None  # required for LOST


@dataclass(frozen=True, slots=True)
class Call:
    at: dt.datetime
    outcome: CallOutcome
    duration_seconds: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PastLead:
    enquiry: EnquiryIn
    channel: Channel
    created_at: dt.datetime  # aware UTC, before now
    team_id: int | None
    agent_id: int | None  # who had it once assigned
    steps: Sequence[Step] = ()
    calls: Sequence[Call] = ()
    notes: Sequence[tuple[dt.datetime, str]] = ()
    source: dict[str, Any] = field(default_factory=dict)


def add_past_leads(past: Sequence[PastLead]) -> list[Lead]:
    """Insert leads that happened before now; the caller commits. A step the lifecycle does
    not allow raises, as it would for a live lead."""
    cfg = current_app.config
    leads = []
    for item in past:
        source = {**item.enquiry.source(), **item.source}
        lead = _new_lead(item.enquiry.lead_fields(), item.channel, source)
        lead.created_at = lead.last_activity_at = lead.routed_at = item.created_at
        lead.sla_due_at = add_working_minutes(
            item.created_at, cfg["SLA_MINUTES"], tz=cfg["TIMEZONE"]
        )
        lead.team_id = item.team_id
        leads.append(lead)
    db.session.add_all(leads)
    db.session.flush()
    for lead, item in zip(leads, past, strict=True):
        _live_through(lead, item)
    db.session.flush()
    return leads


def _live_through(lead: Lead, item: PastLead) -> None:
    actor_id = item.agent_id
    events = [
        LeadEvent(
            lead_id=lead.id,
            type=EventType.CREATED,
            actor="prospect",
            created_at=item.created_at,
            data={"channel": lead.channel.value, "source": lead.source},
        )
    ]
    for step in sorted(item.steps, key=lambda s: s.at):
        if step.to is LeadStatus.ASSIGNED:
            lead.agent_id, lead.assigned_at = item.agent_id, step.at
            change_status(lead, step.to, actor="system", at=step.at, data={"agent_id": actor_id})
        else:
            by = actor_id if lead.agent_id is not None else None
            change_status(lead, step.to, agent_id=by, actor="agent", reason=step.reason, at=step.at)
    for call in item.calls:
        data: dict[str, Any] = {
            "outcome": call.outcome.value,
            "duration_seconds": call.duration_seconds,
        }
        if call.note:
            data["note"] = call.note
        events.append(_event(lead, EventType.CALL, actor_id, call.at, data))
    for at, text in item.notes:
        events.append(_event(lead, EventType.NOTE, actor_id, at, {"text": text}))
    due = lead.sla_due_at
    contacted = lead.first_contacted_at
    if due is not None and lead.agent_id is not None and (contacted or _now(item)) > due:
        lead.sla_level = 1
        events.append(
            _event(lead, EventType.SLA_BREACHED, None, due, {"level": 1, "due_at": due.isoformat()})
        )
    db.session.add_all(events)
    lead.last_activity_at = max(
        [item.created_at, *(s.at for s in item.steps), *(c.at for c in item.calls)]
    )


def _now(item: PastLead) -> dt.datetime:
    return max(dt.datetime.now(dt.UTC), item.created_at)


def _event(
    lead: Lead, type_: EventType, agent_id: int | None, at: dt.datetime, data: dict[str, Any]
) -> LeadEvent:
    return LeadEvent(
        lead_id=lead.id,
        type=type_,
        actor="agent" if agent_id is not None else "system",
        agent_id=agent_id,
        created_at=at,
        data=data,
    )
