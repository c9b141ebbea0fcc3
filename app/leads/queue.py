"""The agent's queue (SPEC §10): my open leads, most urgent first, with filters and counts.

Order: SLA due time (earliest first, leads without one last), then score (best first), then
id. Pages are keyset-paginated on exactly that key: the cursor carries the last row's
(sla_due_at, score, id), and the next page starts strictly after it in the same order, so a
walk through all pages sees every lead once, ties and NULL due times included.

`filtered_leads` is the one place filters become SQL; the queue, the counts and the export
all use it, so a filter means the same everywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.core.errors import ValidationFailed
from app.leads.models import OPEN_STATUSES, Lead, LeadStatus, NeedType
from app.leads.service import MAX_LEAD_ID, visible_leads

MAX_PAGE = 200
MAX_QUERY = 100
# Literal statuses, not bind parameters: a partial index on open leads then matches even in
# the generic plan of a prepared statement (as the dedupe lookup in app.leads.service does).
_IS_OPEN = Lead.status.in_(
    bindparam("queue_open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True)
)


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """Filters shared by the queue, the lead list and the export. None: not filtered."""

    status: tuple[LeadStatus, ...] | None = None
    need_type: NeedType | None = None
    district: str | None = None
    q: str | None = None
    phone: str | None = None
    overdue: bool = False
    agent_id: int | None = None
    unassigned: bool = False
    open_only: bool = False


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def filtered_leads(viewer: Agent, query: LeadQuery, *, now: dt.datetime | None = None) -> Select:
    """Leads `viewer` may see that match `query` (no order, no limit)."""
    if query.agent_id is not None and query.agent_id == viewer.id:
        # Everyone sees their own leads; without visible_leads' "or unassigned" branch the
        # queue is one index range that can be read in queue order.
        stmt = select(Lead).where(Lead.merged_into_id.is_(None), Lead.agent_id == viewer.id)
    else:
        stmt = visible_leads(viewer)
    if query.status:
        stmt = stmt.where(Lead.status.in_(query.status))
    elif query.open_only:
        stmt = stmt.where(_IS_OPEN)
    if query.need_type is not None:
        stmt = stmt.where(Lead.need_type == query.need_type)
    if query.district:
        stmt = stmt.where(Lead.district == query.district)
    if query.phone:
        stmt = stmt.where(Lead.phone == query.phone)
    if query.agent_id is not None:
        stmt = stmt.where(Lead.agent_id == query.agent_id)
    if query.unassigned:
        stmt = stmt.where(Lead.agent_id.is_(None))
    if query.overdue:
        # Past the time to first contact and still not contacted.
        stmt = stmt.where(Lead.sla_due_at < (now or utcnow()), Lead.first_contacted_at.is_(None))
    if query.q:
        pattern = _like(query.q[:MAX_QUERY])
        stmt = stmt.where(
            or_(
                Lead.company.ilike(pattern, escape="\\"),
                Lead.contact_name.ilike(pattern, escape="\\"),
                Lead.phone.like(pattern, escape="\\"),
            )
        )
    return stmt


# --- the queue -------------------------------------------------------------------------------

QUEUE_ORDER = (Lead.sla_due_at.asc().nulls_last(), Lead.score.desc(), Lead.id.asc())


@dataclass(frozen=True, slots=True)
class QueueKey:
    sla_due_at: dt.datetime | None
    score: int
    id: int


def queue_query(agent: Agent, query: LeadQuery) -> LeadQuery:
    """`query` narrowed to `agent`'s own leads, open ones unless statuses are asked for."""
    return LeadQuery(
        status=query.status,
        need_type=query.need_type,
        district=query.district,
        q=query.q,
        phone=query.phone,
        overdue=query.overdue,
        agent_id=agent.id,
        open_only=True,
    )


def list_queue(
    agent: Agent, query: LeadQuery, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Lead], str | None]:
    """One page of `agent`'s queue and the cursor of the next (None on the last page)."""
    limit = max(1, min(limit, MAX_PAGE))
    stmt = filtered_leads(agent, queue_query(agent, query))
    if cursor:
        stmt = stmt.where(_after(decode_queue_cursor(cursor)))
    rows = list(db.session.scalars(stmt.order_by(*QUEUE_ORDER).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_queue_cursor(QueueKey(last.sla_due_at, last.score, last.id))
    return rows, next_cursor


def _after(key: QueueKey) -> ColumnElement[bool]:
    """Rows strictly after `key` in QUEUE_ORDER (NULL due times sort last)."""
    later_in_tie = or_(Lead.score < key.score, and_(Lead.score == key.score, Lead.id > key.id))
    if key.sla_due_at is None:
        return and_(Lead.sla_due_at.is_(None), later_in_tie)
    return or_(
        Lead.sla_due_at > key.sla_due_at,
        Lead.sla_due_at.is_(None),
        and_(Lead.sla_due_at == key.sla_due_at, later_in_tie),
    )


def encode_queue_cursor(key: QueueKey) -> str:
    due = key.sla_due_at.isoformat() if key.sla_due_at is not None else None
    raw = json.dumps({"q": [due, key.score, key.id]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_queue_cursor(cursor: str) -> QueueKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, score, lead_id = json.loads(raw)["q"]
        if not (_is_int(score) and _is_int(lead_id) and 0 < lead_id <= MAX_LEAD_ID):
            raise ValueError(cursor)
        if abs(score) > 2**31:
            raise ValueError(cursor)
        due_at = None if due is None else dt.datetime.fromisoformat(due)
        if due_at is not None and due_at.tzinfo is None:
            raise ValueError(cursor)  # a naive time cannot be compared with stored UTC
        return QueueKey(due_at, score, lead_id)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ValidationFailed(
            "invalid cursor", fields={"cursor": "use next_cursor as given"}
        ) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def queue_counts(agent: Agent, query: LeadQuery) -> dict[LeadStatus, int]:
    """How many of `agent`'s leads are in each status, under the queue's other filters
    (one GROUP BY query; every status is in the answer, zeros included)."""
    everything = LeadQuery(
        need_type=query.need_type,
        district=query.district,
        q=query.q,
        phone=query.phone,
        overdue=query.overdue,
        agent_id=agent.id,
    )
    matching = filtered_leads(agent, everything).subquery()
    stmt = select(matching.c.status, func.count()).group_by(matching.c.status)
    found = {LeadStatus(status): n for status, n in db.session.execute(stmt)}
    return {status: found.get(status, 0) for status in LeadStatus}
