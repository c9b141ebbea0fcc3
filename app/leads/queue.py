"""The agent's queue (docs/workspace.md): my open leads, most urgent first, with filters and counts.

Order: SLA due time (earliest first, leads without one last), then score (best first), then
id. Pages are keyset-paginated on exactly that key: the cursor carries the last row's
(sla_due_at, score, id), and the next page starts strictly after it in the same order, so a
walk through all pages sees every lead once, ties and NULL due times included.

`filtered_leads` is the one place filters become SQL; the queue, the counts and the export
all use it, so a filter means the same everywhere.

Scopes (docs/workspace.md): the same list, counts and paging over my leads (everyone), my
team's (team leads and admins) or all leads (admins). A search (`q`) looks at closed leads
too: company, contact, phone (as people type it) and reference.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from app.accounts.models import Agent, Role
from app.core.cursors import decode_cursor, encode_cursor, page_size
from app.core.db import db, utcnow
from app.core.errors import Forbidden
from app.core.http import MAX_ROW_ID as MAX_LEAD_ID
from app.leads.models import (
    OPEN_STATUSES,
    Lead,
    LeadStatus,
    NeedType,
    lead_id_from_reference,
)
from app.leads.visibility import visible_leads

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
    team_id: int | None = None


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
    if query.team_id is not None:
        stmt = stmt.where(Lead.team_id == query.team_id)
    if query.unassigned:
        stmt = stmt.where(Lead.agent_id.is_(None))
    if query.overdue:
        # Past the time to first contact and still not contacted.
        stmt = stmt.where(Lead.sla_due_at < (now or utcnow()), Lead.first_contacted_at.is_(None))
    if query.q:
        stmt = stmt.where(_search(query.q[:MAX_QUERY]))
    return stmt


_PHONE_LIKE = re.compile(r"^[+\d][\d\s()+-]{4,}$")


def _search(text: str) -> ColumnElement[bool]:
    """Company or contact containing `text`, a phone containing its digits (139 7331 2345 and
    0731-2233 4455 find the stored +8613973312345 and +8673122334455), or the reference."""
    pattern = _like(text)
    found = [
        Lead.company.ilike(pattern, escape="\\"),
        Lead.contact_name.ilike(pattern, escape="\\"),
        Lead.phone.like(pattern, escape="\\"),
    ]
    if _PHONE_LIKE.match(text.strip()):
        digits = re.sub(r"\D", "", text)
        if digits.startswith("0"):
            digits = digits[1:]  # a trunk prefix: not part of the stored number
        if len(digits) >= 4:
            found.append(Lead.phone.like(_like(digits), escape="\\"))
    lead_id = lead_id_from_reference(text)
    if lead_id is not None and 0 < lead_id <= MAX_LEAD_ID:
        found.append(Lead.id == lead_id)
    return or_(*found)


# --- the queue -------------------------------------------------------------------------------

QUEUE_ORDER = (Lead.sla_due_at.asc().nulls_last(), Lead.score.desc(), Lead.id.asc())


@dataclass(frozen=True, slots=True)
class QueueKey:
    sla_due_at: dt.datetime | None
    score: int
    id: int


def queue_query(agent: Agent, query: LeadQuery) -> LeadQuery:
    """`query` narrowed to `agent`'s own leads, open ones unless statuses are asked for or a
    search is made (a search finds closed leads too)."""
    return LeadQuery(
        status=query.status,
        need_type=query.need_type,
        district=query.district,
        q=query.q,
        phone=query.phone,
        overdue=query.overdue,
        agent_id=agent.id,
        open_only=not query.q,
    )


class Scope(enum.StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"


def scopes_for(viewer: Agent) -> list[Scope]:
    """The lists `viewer` may open: everyone their own, team leads their team's, admins all."""
    if viewer.role is Role.ADMIN:
        return [Scope.MINE, Scope.TEAM, Scope.ALL] if viewer.team_id else [Scope.MINE, Scope.ALL]
    if viewer.role is Role.LEAD and viewer.team_id is not None:
        return [Scope.MINE, Scope.TEAM]
    return [Scope.MINE]


def scope_query(viewer: Agent, scope: Scope, query: LeadQuery) -> LeadQuery:
    """`query` over the leads of `scope` (which the caller checked with `scopes_for`): open
    ones unless statuses are asked for or a search is made. The agent filter (`agent_id`,
    `unassigned`) narrows a team or the whole office."""
    if scope is Scope.MINE:
        return queue_query(viewer, query)
    team_id = viewer.team_id if scope is Scope.TEAM else None
    return replace(query, team_id=team_id, open_only=not query.q)


def list_queue(
    agent: Agent, query: LeadQuery, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Lead], str | None]:
    """One page of `agent`'s queue and the cursor of the next (None on the last page)."""
    return list_scope(agent, Scope.MINE, query, limit=limit, cursor=cursor)


def list_scope(
    viewer: Agent,
    scope: Scope,
    query: LeadQuery,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Lead], str | None]:
    """One page of the leads of `scope`, in queue order, and the next page's cursor."""
    limit = page_size(limit)
    stmt = filtered_leads(viewer, scope_query(viewer, scope, query))
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
    return encode_cursor("q", key.sla_due_at, key.score, key.id)


def decode_queue_cursor(cursor: str) -> QueueKey:
    return QueueKey(*decode_cursor("q", cursor, "time?", "int", "id"))


def queue_counts(agent: Agent, query: LeadQuery) -> dict[LeadStatus, int]:
    """How many of `agent`'s leads are in each status, under the queue's other filters
    (one GROUP BY query; every status is in the answer, zeros included)."""
    return scope_counts(agent, Scope.MINE, query)


def scope_counts(viewer: Agent, scope: Scope, query: LeadQuery) -> dict[LeadStatus, int]:
    """Like `queue_counts`, over the leads of `scope`."""
    everything = replace(scope_query(viewer, scope, query), status=None, open_only=False)
    matching = filtered_leads(viewer, everything).subquery()
    stmt = select(matching.c.status, func.count()).group_by(matching.c.status)
    found = {LeadStatus(status): n for status, n in db.session.execute(stmt)}
    return {status: found.get(status, 0) for status in LeadStatus}


def pool(
    by: Agent, *, team_id: int | None, limit: int, cursor: str | None
) -> tuple[list[Lead], str | None]:
    """Unassigned open leads, best score first, then oldest; keyset-paginated.

    Agents and team leads see their own team's pool unless they name another team.
    """
    limit = page_size(limit)
    if team_id is None and by.role is not Role.ADMIN:
        team_id = by.team_id
    if by.role is Role.AGENT and team_id != by.team_id:
        # Agents claim only in their own team's pool; what they cannot claim they do not see.
        raise Forbidden("agents see their own team's pool")
    stmt = select(Lead).where(
        Lead.agent_id.is_(None), Lead.status.in_(OPEN_STATUSES), Lead.merged_into_id.is_(None)
    )
    if by.role is Role.AGENT:
        # As visible_leads: the agent's team's pool and leads no team has yet.
        stmt = stmt.where(or_(Lead.team_id == team_id, Lead.team_id.is_(None)))
    elif team_id is not None:
        stmt = stmt.where(Lead.team_id == team_id)
    if cursor:
        score, created_at, last_id = decode_cursor("p", cursor, "int", "time", "id")
        stmt = stmt.where(
            or_(
                Lead.score < score,
                and_(Lead.score == score, Lead.created_at > created_at),
                and_(Lead.score == score, Lead.created_at == created_at, Lead.id > last_id),
            )
        )
    stmt = stmt.order_by(Lead.score.desc(), Lead.created_at, Lead.id).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor("p", last.score, last.created_at, last.id)
    return rows, next_cursor
