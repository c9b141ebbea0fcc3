"""The lead state machine (docs/leads.md "Lifecycle"): the one place that changes a lead's status.

Every status change goes through `change_status`, which checks the transition, records a
`status_changed` event in the same transaction and bumps the lead's version (optimistic lock).

A change of many leads at once (routing a batch) wraps itself in `batch_writes()`: the events
recorded inside are written by one INSERT when it ends (`record_events`), and `write_leads`
writes the leads' own changes with one UPDATE instead of one per lead at the flush.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.core.db import db, insert_many, transient, update_many, utcnow
from app.core.errors import Conflict, ValidationFailed
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus

S = LeadStatus

TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    # `assigned -> new` returns a lead to its team's unassigned pool (公海).
    S.NEW: frozenset({S.ASSIGNED, S.LOST, S.SPAM, S.DUPLICATE}),
    S.ASSIGNED: frozenset({S.CONTACTED, S.NEW, S.LOST, S.SPAM, S.DUPLICATE}),
    S.CONTACTED: frozenset({S.QUALIFIED, S.LOST}),
    S.QUALIFIED: frozenset({S.SITE_VISIT, S.LOST}),
    S.SITE_VISIT: frozenset({S.NEGOTIATING, S.LOST}),
    S.NEGOTIATING: frozenset({S.WON, S.LOST}),
    S.WON: frozenset({S.LANDED}),
    S.LANDED: frozenset({S.PRODUCING}),
    S.PRODUCING: frozenset(),
    S.LOST: frozenset({S.CONTACTED}),
    S.SPAM: frozenset(),
    S.DUPLICATE: frozenset(),
}

# Stage order for display and reports (funnel position).
STAGE_ORDER: tuple[LeadStatus, ...] = (
    S.NEW, S.ASSIGNED, S.CONTACTED, S.QUALIFIED, S.SITE_VISIT, S.NEGOTIATING,
    S.WON, S.LANDED, S.PRODUCING,
)  # fmt: skip

LOST_REASON_MAX = 200


def allowed_transitions(status: LeadStatus) -> list[LeadStatus]:
    """Targets reachable from `status`, in stage order (terminal outcomes last)."""
    targets = TRANSITIONS[status]
    ordered = [s for s in STAGE_ORDER if s in targets]
    return ordered + [s for s in (S.LOST, S.SPAM, S.DUPLICATE) if s in targets]


def check_version(lead: Lead, expected_version: int | None) -> None:
    """Refuse a change made from a stale copy of the lead (optimistic locking)."""
    if expected_version is not None and expected_version != lead.version:
        raise Conflict(
            f"lead {lead.reference} was changed by someone else (version {lead.version}, "
            f"you sent {expected_version}); reload it and try again",
            code="stale_version",
            extra={"current_version": lead.version},
        )


def change_status(
    lead: Lead,
    to: LeadStatus | str,
    *,
    agent_id: int | None = None,
    actor: str = "agent",
    reason: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> LeadEvent:
    """Move `lead` to `to` or raise; the caller commits. `at` (default now) dates a move that
    happened earlier, for leads recorded with their past (app/leads/history.py)."""
    try:
        target = LeadStatus(to)
    except ValueError:
        raise ValidationFailed(
            f"unknown status {to!r}",
            fields={"to": "one of " + ", ".join(s.value for s in LeadStatus)},
        ) from None
    check_version(lead, expected_version)
    allowed = allowed_transitions(lead.status)
    if target not in allowed:
        names = ", ".join(s.value for s in allowed) or "none (final stage)"
        raise Conflict(
            f"a lead in status '{lead.status.value}' cannot move to '{target.value}'; "
            f"allowed: {names}",
            code="invalid_transition",
            extra={"allowed": [s.value for s in allowed]},
        )
    reason = (reason or "").strip() or None
    if target is S.LOST and not reason:
        raise ValidationFailed(
            "a reason is required to mark a lead lost",
            fields={"reason": "required when moving to 'lost'"},
        )
    if reason and len(reason) > LOST_REASON_MAX:
        raise ValidationFailed(
            "reason is too long", fields={"reason": f"at most {LOST_REASON_MAX} characters"}
        )

    now = at or utcnow()
    previous = lead.status
    lead.status = target
    lead.last_activity_at = now
    if target is S.LOST:
        lead.lost_reason = reason
    elif previous is S.LOST:
        lead.lost_reason = None
    if target is S.CONTACTED and lead.first_contacted_at is None:
        lead.first_contacted_at = now
    if target is S.NEW:
        lead.agent_id = None
        lead.assigned_at = None
    if target in STAGE_ORDER:
        lead.stage_reached = max(lead.stage_reached or 0, STAGE_ORDER.index(target))
    if target is S.WON and lead.won_at is None:
        lead.won_at = now
    if target is S.LANDED and lead.landed_at is None:
        lead.landed_at = now

    payload: dict[str, Any] = {"from": previous.value, "to": target.value}
    if reason:
        payload["reason"] = reason
    if note:
        payload["note"] = note
    payload.update(data or {})
    return record_event(
        lead.id, EventType.STATUS_CHANGED, actor=actor, agent_id=agent_id, data=payload, at=now
    )


def record_event(
    lead_id: int,
    type_: EventType,
    *,
    actor: str,
    data: dict[str, Any],
    agent_id: int | None = None,
    at: dt.datetime | None = None,
) -> LeadEvent:
    """Add one event to the lead's history, in the caller's transaction (the caller commits).

    The one way other rooms write a lead's history (docs/architecture.md "Who owns which
    table"): routing records assignments and the pool, the SLA check its breaches, the outbox
    a sent alert. It only adds the row: whether the event also moves `last_activity_at` is the
    caller's rule. Takes the lead's id, so a caller that holds only the id (an outbox row)
    need not load the lead.
    """
    values = {
        "lead_id": lead_id,
        "type": type_,
        "agent_id": agent_id,
        "actor": actor,
        "data": data,
        "created_at": at or utcnow(),
    }
    pending = _pending_events.get()
    if pending is not None:
        # Inside `batch_writes()`: written with the others when it ends (without an id here).
        pending.append(values)
        return transient(LeadEvent, values)
    event = LeadEvent(**values)
    db.session.add(event)
    return event


def record_events(events: Sequence[Mapping[str, Any]]) -> None:
    """Add many events with one INSERT, in the caller's transaction (the caller commits): each
    a dict of `record_event`'s arguments as LeadEvent's columns (lead_id, type, agent_id,
    actor, data, created_at)."""
    insert_many(
        LeadEvent.__table__,
        [
            {
                "lead_id": e["lead_id"],
                "type": e["type"],
                "agent_id": e.get("agent_id"),
                "actor": e["actor"],
                "data": e["data"],
                "created_at": e.get("created_at") or utcnow(),
            }
            for e in events
        ],
    )


_pending_events: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "parklead_lead_events_pending", default=None
)


@contextmanager
def batch_writes() -> Iterator[None]:
    """Write the events recorded inside with one INSERT when the block ends (nothing when it
    raises: the caller's transaction is rolled back anyway). Caller commits."""
    pending: list[dict[str, Any]] = []
    token = _pending_events.set(pending)
    try:
        yield
    finally:
        _pending_events.reset(token)
    if pending:
        record_events(pending)


def write_leads(leads: Sequence[Lead]) -> None:
    """Write the pending changes of `leads` with one UPDATE, fenced on each lead's version
    (which goes up by one, as the flush would do), and mark them written, so that the flush has
    nothing left to write for them. Raises StaleDataError when a lead's version has moved on;
    the caller rolls back. Leads with a change that is not a plain column are left to the
    flush."""
    mapper = inspect(Lead)
    changed: list[Lead] = []
    names: set[str] = set()
    for lead in leads:
        keys = inspect(lead).committed_state.keys()
        if not keys or not all(key in mapper.columns for key in keys):
            continue
        changed.append(lead)
        names.update(keys)
    names.discard("version")
    if not changed:
        return
    order = sorted(names)
    rows = [
        {"id": lead.id, "version": lead.version, **{name: getattr(lead, name) for name in order}}
        for lead in changed
    ]
    written = update_many(Lead.__table__, rows, fence="version")
    if written != len(rows):
        raise StaleDataError(f"{len(rows) - written} of {len(rows)} leads changed meanwhile")
    identity_map = db.session.identity_map
    for lead in changed:
        set_committed_value(lead, "version", lead.version + 1)
        # Their values are now the stored ones: nothing left for the flush to look at.
        state = inspect(lead)
        state._commit_all(state.dict, identity_map)
