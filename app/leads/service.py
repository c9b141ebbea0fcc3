"""Lead intake, lookup and change: plain functions the routes, tasks and CLI call.

Functions here `flush()`; the caller commits once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    ColumnDefault,
    ColumnElement,
    Enum,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import Agent
from app.core.cursors import decode_cursor, encode_cursor, page_size
from app.core.db import (
    PlainStatement,
    as_json,
    db,
    matched_rows,
    plain_columns,
    union_of,
    utcnow,
)
from app.core.dispatch import enqueue_after_commit, enqueue_now
from app.core.errors import NotFound, ValidationFailed
from app.core.http import MAX_ROW_ID
from app.leads import alerts, lifecycle, scoring
from app.leads.models import (
    OPEN_SQL,
    OPEN_STATUSES,
    REQUIREMENT_FIELDS,
    Channel,
    EventType,
    Lead,
    LeadEvent,
    LeadStatus,
    NeedType,
    format_reference,
    lead_id_from_reference,
)
from app.leads.queue import LeadQuery, filtered_leads
from app.leads.schemas import EnquiryIn
from app.leads.serialize import lead_to_dict as lead_to_dict  # callers use service.lead_to_dict
from app.leads.visibility import visible_leads as visible_leads  # and service.visible_leads
from app.notifications.service import webhooks_on
from app.settings.worktime import add_working_minutes

ROUTE_TASK = "tasks.leads.route_lead"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the public answer to an enquiry names (docs/security.md): the new lead, or for a
    repeat enquiry its receipt."""

    id: int
    reference: str


@dataclass(frozen=True, slots=True)
class IntakeResult:
    lead: Lead
    created: bool  # False: the enquiry joined an open lead with the same phone
    # What the public answer names (docs/security.md "Intake, WeChat and API hardening"):
    # the new lead itself, or for a repeat enquiry its receipt, a lead row of its own merged
    # into the open lead at once, so the prospect never learns that lead's id or reference.
    receipt: Lead | None = None

    @property
    def public(self) -> Lead:
        return self.receipt or self.lead


# The open statuses go into the SQL as literals, not bind parameters: the condition then
# matches the predicate of the partial index uq_lead_open_phone even in the generic plan of a
# prepared statement (psycopg prepares a query after a few executions), so the dedupe lookup
# stays an index probe instead of a scan of every open lead.
_IS_OPEN = Lead.status.in_(
    bindparam("open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True)
)


def find_open_lead_by_phone(phone: str) -> Lead | None:
    # The id alone first (the usual answer is "none"); the lead is loaded only when there is one.
    lead_id = db.session.scalar(select(Lead.id).where(Lead.phone == phone, _IS_OPEN).limit(1))
    return db.session.get(Lead, lead_id) if lead_id is not None else None


# The reader of an enquiry's free text (the WeChat domain's parser, which sits above leads):
# text -> lead field values it found, validated; and the names of the fields it can find.
MessageReader = Callable[[str], dict[str, Any]]
_message_reader: tuple[MessageReader, frozenset[str]] | None = None


def set_message_reader(reader: MessageReader | None, fields: frozenset[str] = frozenset()) -> None:
    """Registered by `create_app` (`app.wechat.service.lead_fields_from_text`). Without one, a
    web enquiry's message is kept as written and read for nothing."""
    global _message_reader
    _message_reader = (reader, fields) if reader is not None else None


def with_message_fields(enquiry: EnquiryIn) -> tuple[EnquiryIn, list[str]]:
    """The enquiry with the fields its sender left blank but wrote in the message ("想在芦淞区
    租5000平厂房，王先生"), and their names. A value the sender gave is never replaced. The
    message is read when the need or the area is blank: a form that states both is taken as
    structured, its message as the prospect's notes (reading costs the request about 0.3 ms;
    docs/leads.md)."""
    if not enquiry.message or _message_reader is None:
        return enquiry, []
    if not _is_blank("need_type", enquiry.need_type) and (
        enquiry.area_min_m2 is not None or enquiry.area_max_m2 is not None
    ):
        return enquiry, []
    reader, readable = _message_reader
    blank = {name for name in readable if _is_blank(name, getattr(enquiry, name, None))}
    if not blank:
        return enquiry, []
    found = {name: value for name, value in reader(enquiry.message).items() if name in blank}
    if found.get("need_type") == NeedType.OTHER:
        found.pop("need_type")
    if not found:
        return enquiry, []
    return enquiry.model_copy(update=found), sorted(found)


def receive_enquiry(
    enquiry: EnquiryIn, *, channel: Channel, source: dict[str, Any] | None = None
) -> Receipt:
    """Store a public enquiry (as `submit_enquiry`), commit, and return its receipt.

    The usual enquiry, a phone no open lead has, on PostgreSQL, costs one statement in one
    transaction: the lead and its `created` event in one INSERT (a data-modifying CTE; the
    open-phone unique index decides, so the event is written only when the lead was), run on
    the pool's connection without the ORM session (`app.core.db.PlainStatement`). Its routing
    is handed on after that commit, as for any new lead; a lost hand-off is the outbox
    sweeper's (`tasks.leads.sweep_unrouted`). A known phone (the statement inserted nothing),
    a backend without such CTEs (SQLite) and a configured lead webhook take `submit_enquiry`
    in the session: the answer is the same either way (docs/leads.md "Intake and dedupe")."""
    source = {**enquiry.source(), **(source or {})}
    enquiry, _ = with_message_fields(enquiry)
    if enquiry.phone and _dialect() == "postgresql" and not webhooks_on():
        values = _lead_values(enquiry.lead_fields(), channel, source)
        values["event_data"] = {"channel": channel.value, "source": source}
        row = _insert_with_event().first(values)
        if row is not None:
            enqueue_now(ROUTE_TASK, row[0])
            return Receipt(row[0], format_reference(row[0], values["created_at"]))
    public = submit_enquiry(enquiry, channel=channel, source=source, read_message=False).public
    db.session.commit()
    return Receipt(public.id, public.reference)


def submit_enquiry(
    enquiry: EnquiryIn,
    *,
    channel: Channel,
    source: dict[str, Any] | None = None,
    read_message: bool = True,
) -> IntakeResult:
    """Store an enquiry as a new lead, or attach it to the open lead with the same phone.
    Blank fields are filled from its message first (`with_message_fields`), unless the caller
    did that already (`read_message=False`).

    The caller commits; routing is queued to run after that commit. With a phone, the
    dedupe check and the insert are one statement (the partial unique index on open leads
    decides), so a new lead costs one round trip and concurrent enquiries cannot both win.
    """
    if read_message:
        enquiry, _ = with_message_fields(enquiry)
    source = {**enquiry.source(), **(source or {})}
    if not enquiry.phone:
        return IntakeResult(
            create_lead(enquiry.lead_fields(), channel=channel, source=source), created=True
        )
    for _ in range(3):
        lead = insert_lead_unless_open(enquiry.lead_fields(), channel=channel, source=source)
        if lead is not None:
            return IntakeResult(lead, created=True)
        existing = find_open_lead_by_phone(enquiry.phone)
        filled = _touch_open_lead(existing, enquiry) if existing is not None else None
        if existing is not None and filled is not None:
            receipt = _receipt(existing, enquiry, channel, source)
            attach_enquiry(existing, enquiry, channel, source, receipt=receipt, filled=filled)
            return IntakeResult(existing, created=False, receipt=receipt)
        # The open lead closed between the statements: try the insert once more.
    raise RuntimeError(f"could not store the enquiry for {enquiry.phone!r}")


def _receipt(lead: Lead, enquiry: EnquiryIn, channel: Channel, source: dict[str, Any]) -> Lead:
    """The receipt of a repeat enquiry: a lead row of its own (ids and references come from
    the leads' own sequence, so the answer looks like any new lead's), born merged into
    `lead`, never routed, counted nowhere (every list and report skips merged rows)."""
    receipt = _new_lead(enquiry.lead_fields(), channel, source)
    receipt.status = LeadStatus.DUPLICATE
    receipt.merged_into_id = lead.id
    receipt.routed_at = receipt.created_at
    receipt.sla_due_at = None
    db.session.add(receipt)
    db.session.flush()
    db.session.execute(
        _insert_event_stmt(),
        [
            {
                "lead_id": receipt.id,
                "type": EventType.CREATED,
                "actor": "prospect",
                "agent_id": None,
                "created_at": receipt.created_at,
                "data": {"channel": channel.value, "source": as_json(source)},
            },
            {
                "lead_id": receipt.id,
                "type": EventType.MERGED,
                "actor": "system",
                "agent_id": None,
                "created_at": receipt.created_at,
                "data": {"into_id": lead.id, "into_reference": lead.reference, "receipt": True},
            },
        ],
    )
    return receipt


def _new_lead(fields: dict[str, Any], channel: Channel, source: dict[str, Any] | None) -> Lead:
    """A transient lead with every column set (defaults, SLA due time, score)."""
    return Lead(**_lead_values(fields, channel, source))


@functools.cache
def _column_defaults() -> dict[str, Any]:
    """Every column of a new lead but its id, at its static default (None for the others)."""
    defaults = {}
    for column in Lead.__table__.columns:
        if column.key != "id":
            default = column.default.arg if isinstance(column.default, ColumnDefault) else None
            defaults[column.key] = default if not callable(default) else None
    return defaults


class _Values:
    """A new lead's column values seen as attributes, for scoring before there is a row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _lead_values(
    fields: dict[str, Any], channel: Channel, source: dict[str, Any] | None
) -> dict[str, Any]:
    """The column values of a new lead: defaults, SLA due time and score."""
    now = utcnow()
    # Time to first contact counts working minutes only (China's calendar, office hours);
    # routing recomputes it when the lead's team has an SLA of its own.
    sla_due_at = add_working_minutes(
        now, current_app.config["SLA_MINUTES"], tz=current_app.config["TIMEZONE"]
    )
    values = {
        **_column_defaults(),
        "channel": channel,
        "source": source or {},
        "created_at": now,
        "last_activity_at": now,
        "sla_due_at": sla_due_at,
        "status": LeadStatus.NEW,
        "version": 1,
        "stage_reached": 0,
        "sla_level": 0,
        **fields,
    }
    # Scoring reads the lead's attributes only, so the values stand in for the row.
    values["score"] = scoring.score_lead(cast(Lead, _Values(values)))
    return values


def _after_create(lead: Lead, *, actor: str, agent_id: int | None) -> None:
    # A statement built once, values passed as parameters: building VALUES per request
    # costs more CPU than the round trip.
    db.session.execute(
        _insert_event_stmt(),
        {
            "lead_id": lead.id,
            "type": EventType.CREATED,
            "actor": actor,
            "agent_id": agent_id,
            "created_at": lead.created_at,
            "data": {"channel": lead.channel.value, "source": lead.source},
        },
    )
    alerts.notify_lead_created(lead)
    enqueue_after_commit(ROUTE_TASK, lead.id)


def create_lead(
    fields: dict[str, Any],
    *,
    channel: Channel,
    source: dict[str, Any] | None = None,
    actor: str = "prospect",
    agent_id: int | None = None,
) -> Lead:
    """Insert a lead (an open lead with the same phone raises IntegrityError). Caller commits."""
    lead = _inserted(_lead_values(fields, channel, source), _insert_lead_stmt())
    assert lead is not None  # a plain INSERT inserts its row or raises
    _after_create(lead, actor=actor, agent_id=agent_id)
    return lead


def create_leads(
    rows: list[tuple[dict[str, Any], dict[str, Any]]],
    *,
    channel: Channel,
    actor: str,
    agent_id: int | None = None,
) -> list[Lead]:
    """Insert many leads at once, each (fields, source) as `create_lead` would: one batched
    INSERT for the leads and one for their `created` events (a bulk import). Caller commits."""
    leads = [_new_lead(fields, channel, source) for fields, source in rows]
    if not leads:
        return leads
    db.session.add_all(leads)
    db.session.flush()
    db.session.execute(
        _insert_event_stmt(),
        [
            {
                "lead_id": lead.id,
                "type": EventType.CREATED,
                "actor": actor,
                "agent_id": agent_id,
                "created_at": lead.created_at,
                "data": {"channel": lead.channel.value, "source": lead.source},
            }
            for lead in leads
        ],
    )
    for lead in leads:
        alerts.notify_lead_created(lead)
        enqueue_after_commit(ROUTE_TASK, lead.id)
    return leads


def insert_lead_unless_open(
    fields: dict[str, Any],
    *,
    channel: Channel,
    source: dict[str, Any] | None = None,
    actor: str = "prospect",
) -> Lead | None:
    """Insert a lead unless its phone has an open lead (then None), in one statement."""
    lead = _inserted(_lead_values(fields, channel, source), _insert_unless_open_stmt(_dialect()))
    if lead is not None:
        _after_create(lead, actor=actor, agent_id=None)
    return lead


def _inserted(values: dict[str, Any], stmt: Any) -> Lead | None:
    """A new lead's column values (`_lead_values`: every column but its id) inserted by
    `stmt`, an INSERT that returns the new id, as a persistent lead made without a flush or a
    SELECT: the object holds exactly what was inserted. None when nothing was inserted."""
    lead_id = db.session.execute(stmt, values).scalar()
    if lead_id is None:
        return None
    lead = Lead(**values, id=lead_id)
    make_transient_to_detached(lead)
    db.session.add(lead)
    return lead


def _dialect() -> str:
    return db.engine.dialect.name


@functools.cache
def _insert_lead_stmt() -> Any:
    return insert(Lead.__table__).returning(Lead.__table__.c.id)


@functools.cache
def _insert_unless_open_stmt(dialect: str) -> Any:
    table = Lead.__table__
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.phone], index_where=text(OPEN_SQL))
        .returning(table.c.id)
    )


@functools.cache
def _insert_event_stmt() -> Any:
    return insert(LeadEvent.__table__)


@functools.cache
def _insert_with_event() -> PlainStatement:
    """PostgreSQL: a new lead unless its phone has an open lead, and its `created` event, in
    one statement; returns the new lead's id, or no row. Parameters: the lead's columns
    (`_lead_values`) and `event_data`."""
    table, events = Lead.__table__, LeadEvent.__table__
    columns = [c for c in table.columns if c.key != "id"]
    new_lead = (
        postgresql.insert(table)
        .values({c: bindparam(c.key, type_=c.type) for c in columns})
        .on_conflict_do_nothing(index_elements=[table.c.phone], index_where=text(OPEN_SQL))
        .returning(table.c.id, table.c.created_at)
        .cte("new_lead")
    )
    created = select(
        new_lead.c.id,
        literal(EventType.CREATED, events.c.type.type),
        literal("prospect", events.c.actor.type),
        new_lead.c.created_at,
        bindparam("event_data", type_=events.c.data.type),
    )
    return PlainStatement(
        insert(events)
        .from_select(["lead_id", "type", "actor", "created_at", "data"], created)
        .returning(events.c.lead_id)
    )


def _is_blank(name: str, value: Any) -> bool:
    return value is None or value == "" or (name == "need_type" and value == NeedType.OTHER)


def _touch_open_lead(lead: Lead, enquiry: EnquiryIn) -> list[str] | None:
    """Fill the blank fields of `lead` from a repeat enquiry and mark its activity, with a
    plain UPDATE: no version check and no version bump. A prospect's repeat enquiry is not a
    person's edit, so it must never lose to routing or an agent with 409 stale_version
    (docs/security.md); it only fills what is still blank *in the row* (COALESCE-like CASE),
    so it cannot overwrite what routing or an agent wrote meanwhile. Returns the names of
    the fields filled, or None when the lead is no longer open (the caller inserts a new
    lead instead)."""
    now = utcnow()
    table = Lead.__table__
    values: dict[str, Any] = {"last_activity_at": now}
    filled: dict[str, Any] = {}
    for name, value in enquiry.lead_fields().items():
        if value is None or value == "" or name == "message":
            continue
        column = table.c[name]
        blank: ColumnElement[bool] = column.is_(None)
        if name == "need_type":
            blank = or_(blank, column == NeedType.OTHER.value)
        elif isinstance(column.type, String) and not isinstance(column.type, Enum):
            blank = or_(blank, column == "")
        values[name] = case((blank, bindparam(None, value, type_=column.type)), else_=column)
        if _is_blank(name, getattr(lead, name)):
            filled[name] = value
    if filled:
        # The score as it will be once the blanks are filled (from the row as read).
        values["score"] = scoring.score_lead(_with(lead, filled))
    done = matched_rows(
        db.session.execute(update(table).where(table.c.id == lead.id, _IS_OPEN).values(**values))
    )
    if not done:
        return None
    # The in-memory lead learns the new values without becoming dirty (no versioned flush).
    for name, value in {**filled, "last_activity_at": now}.items():
        set_committed_value(lead, name, value)
    if filled:
        set_committed_value(lead, "score", values["score"])
    return sorted(filled)


class _Overlay:
    """`lead` seen with `changes` applied, for scoring without touching the ORM object."""

    def __init__(self, lead: Lead, changes: dict[str, Any]) -> None:
        self._lead, self._changes = lead, changes

    def __getattr__(self, name: str) -> Any:
        return self._changes[name] if name in self._changes else getattr(self._lead, name)


def _with(lead: Lead, changes: dict[str, Any]) -> Any:
    return _Overlay(lead, changes)


def attach_enquiry(
    lead: Lead,
    enquiry: EnquiryIn,
    channel: Channel,
    source: dict[str, Any],
    *,
    receipt: Lead | None = None,
    filled: list[str] | None = None,
) -> Lead:
    """Record a repeated enquiry on `lead` and fill the fields the lead did not have yet.

    The lead row is changed by a plain UPDATE (see `_touch_open_lead`), never by a versioned
    flush, so a repeat enquiry cannot fail with stale_version while the lead is routed.
    `filled`: the fields `_touch_open_lead` already filled (else it runs here)."""
    if filled is None:
        filled = _touch_open_lead(lead, enquiry) or []
    now = lead.last_activity_at
    submitted = {k: v for k, v in enquiry.lead_fields().items() if v is not None}
    data: dict[str, Any] = {
        "channel": channel.value,
        "source": source,
        "submitted": submitted,
        "filled": filled,
    }
    if receipt is not None:
        data["receipt_id"], data["receipt_reference"] = receipt.id, receipt.reference
    db.session.execute(
        _insert_event_stmt(),
        {
            "lead_id": lead.id,
            "type": EventType.ENQUIRY,
            "actor": "prospect",
            "agent_id": None,
            "created_at": now,
            "data": as_json(data),
        },
    )
    alerts.notify_duplicate_enquiry(lead, submitted)
    return lead


def record_possible_duplicate(lead: Lead, other: Lead, *, phone: str, channel: Channel) -> None:
    """Say on `lead` (created with `possible_duplicate_of_id` = `other.id`) why it may be the
    same prospect as `other`: the phone they share, which the one-open-lead-per-phone rule
    keeps off `lead`, for an agent to check and merge. `other` is not touched."""
    db.session.add(
        LeadEvent(
            lead_id=lead.id,
            type=EventType.POSSIBLE_DUPLICATE,
            actor="system",
            created_at=utcnow(),
            data={
                "channel": channel.value,
                "phone": phone,
                "lead_id": other.id,
                "reference": other.reference,
            },
        )
    )
    db.session.flush()


def open_lead_id_by_openid(openid: str) -> int | None:
    """The id of a WeChat follower's newest open lead (a prospect may have left a phone or
    not). Only the id: the usual answer is "none", and a caller that finds one loads it
    locked (reading the whole lead first would load it twice)."""
    stmt = (
        select(Lead.id)
        .where(Lead.wechat_openid == openid, _IS_OPEN)
        .order_by(Lead.id.desc())
        .limit(1)
    )
    return cast(int | None, db.session.scalar(stmt))


def update_fields(
    lead: Lead,
    changes: dict[str, Any],
    *,
    actor: str = "prospect",
    agent_id: int | None = None,
    data: dict[str, Any] | None = None,
    flush: bool = True,
) -> list[str]:
    """Set `changes` on `lead`, one field_changed event per value that really changed.

    Returns the names of the changed fields; the caller commits. `flush=False` leaves the
    writes to the caller's next flush (one UPDATE of the lead with what follows).
    """
    now = utcnow()
    changed = []
    for name, value in changes.items():
        old = getattr(lead, name)
        if old == value:
            continue
        setattr(lead, name, value)
        changed.append(name)
        db.session.add(
            LeadEvent(
                lead_id=lead.id,
                type=EventType.FIELD_CHANGED,
                actor=actor,
                agent_id=agent_id,
                created_at=now,
                data=as_json({"field": name, "from": old, "to": value, **(data or {})}),
            )
        )
    if changed:
        lead.last_activity_at = now
        scoring.rescore(lead)
        if flush:
            db.session.flush()
    return changed


def record_message(
    lead: Lead, data: dict[str, Any], *, incoming: bool = True, actor: str = "prospect"
) -> LeadEvent:
    """Add a message_in (or message_out) event to the lead's history; the caller commits."""
    now = utcnow()
    event = LeadEvent(
        lead_id=lead.id,
        type=EventType.MESSAGE_IN if incoming else EventType.MESSAGE_OUT,
        actor=actor,
        created_at=now,
        data=as_json(data),
    )
    db.session.add(event)
    if incoming:
        lead.last_activity_at = now
    db.session.flush()
    return event


def record_prospect_messages(
    lead: Lead,
    messages: Sequence[dict[str, Any]],
    *,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    touch: bool = True,
) -> list[str]:
    """What a prospect wrote: `changes` set on `lead` (one field_changed event per value
    that really changed, `data` added to each) and a message_in event per entry of
    `messages`, as `update_fields` and `record_message` would, in two plain statements and
    no flush: one UPDATE of the lead (its fields, score, activity and version; the caller
    holds the row locked) and one INSERT of the events. The in-memory lead learns the new
    values without becoming dirty. `touch=False`: the messages alone do not mark the lead's
    activity (a lead created or touched in this transaction already has); then there is no
    UPDATE unless a field changed. Returns the names of the changed fields; caller commits."""
    now = utcnow()
    events: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for name, value in (changes or {}).items():
        old = getattr(lead, name)
        if old == value:
            continue
        values[name] = value
        events.append(
            _event_row(
                lead.id,
                EventType.FIELD_CHANGED,
                now,
                as_json({"field": name, "from": old, "to": value, **(data or {})}),
            )
        )
    changed = list(values)
    if changed:
        values["score"] = scoring.score_lead(_with(lead, values))
    events += [_event_row(lead.id, EventType.MESSAGE_IN, now, as_json(m)) for m in messages]
    if not events:
        return changed
    if changed or (messages and touch):
        values["last_activity_at"] = now
        version = lead.version
        values["version"] = version + 1
        table = Lead.__table__
        # On the session's connection: plain statements need none of the ORM's handling.
        done = matched_rows(
            db.session.connection().execute(
                update(table)
                .where(table.c.id == lead.id, table.c.version == version)
                .values(**values)
            )
        )
        if not done:
            raise StaleDataError(f"lead {lead.id} changed under a held lock")
        for name, value in values.items():
            set_committed_value(lead, name, value)
    db.session.connection().execute(_insert_event_stmt(), events[0] if len(events) == 1 else events)
    return changed


def _event_row(lead_id: int, type_: EventType, at: Any, data: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "type": type_,
        "actor": "prospect",
        "agent_id": None,
        "created_at": at,
        "data": data,
    }


# --- reading ---------------------------------------------------------------------------


def get_visible_lead(agent: Agent, lead_key: str | int, *, for_update: bool = False) -> Lead:
    """A lead by id or reference, or 404 (also when it exists but is not `agent`'s)."""
    lead_id = _lead_id(lead_key)
    stmt = visible_leads(agent).where(Lead.id == lead_id)
    if for_update:
        stmt = stmt.with_for_update()
    lead = db.session.scalars(stmt).first() if lead_id is not None else None
    # A reference names one lead: its date part must match too, not only the id.
    is_reference = isinstance(lead_key, str) and not lead_key.isdigit()
    if lead is not None and is_reference and lead.reference != str(lead_key).strip().upper():
        lead = None
    if lead is None:
        raise NotFound(f"no lead {lead_key} that you can see")
    return lead


# Ids beyond the INTEGER column cannot exist; comparing with them overflows the drivers.
MAX_LEAD_ID = MAX_ROW_ID


def _lead_id(key: str | int) -> int | None:
    if isinstance(key, int):
        return key
    lead_id = int(key) if key.isascii() and key.isdigit() else lead_id_from_reference(key)
    return lead_id if lead_id is not None and lead_id <= MAX_LEAD_ID else None


def list_leads(
    agent: Agent, filters: LeadQuery, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Lead], str | None]:
    """Newest first, keyset-paginated on (created_at, id)."""
    limit = page_size(limit)
    stmt = filtered_leads(agent, filters)
    if cursor:
        # The leads list's cursor predates list prefixes: its prefix is empty.
        created_at, last_id = decode_cursor("", cursor, "time", "id")
        stmt = stmt.where(
            or_(
                Lead.created_at < created_at, and_(Lead.created_at == created_at, Lead.id < last_id)
            )
        )
    stmt = stmt.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor("", rows[-1].created_at, rows[-1].id)
    return rows, next_cursor


def lead_events(lead: Lead) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)
    return list(db.session.scalars(stmt))


# --- changing --------------------------------------------------------------------------


def transition(
    lead: Lead,
    to: str,
    *,
    agent: Agent,
    reason: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> LeadEvent:
    if to == LeadStatus.ASSIGNED.value:
        raise ValidationFailed(
            "a lead becomes 'assigned' by routing or by claiming it, not by a transition",
            fields={"to": "claim the lead or assign an agent instead"},
        )
    return lifecycle.change_status(
        lead,
        to,
        agent_id=agent.id,
        actor="agent",
        reason=reason,
        note=note,
        expected_version=expected_version,
    )


# --- listings (app.listings calls these; it never touches lead tables) ------------------


def record_listing_activity(
    lead: Lead,
    action: str,
    listing: dict[str, Any],
    *,
    agent_id: int | None,
    note: str | None = None,
) -> LeadEvent:
    """A `listing` event on the lead's timeline: a listing reserved for it, released, let or
    sold to it (`action`), with the listing's id and title. The caller commits."""
    now = utcnow()
    data: dict[str, Any] = {"action": action, "listing": listing}
    if note:
        data["note"] = note
    event = LeadEvent(
        lead_id=lead.id,
        type=EventType.LISTING,
        actor="agent" if agent_id is not None else "system",
        agent_id=agent_id,
        created_at=now,
        data=as_json(data),
    )
    db.session.add(event)
    lead.last_activity_at = now
    db.session.flush()
    return event


# The columns the matching of listings reads (app/listings/matching.py).
_MATCH_COLUMNS = (
    "id", "need_type", "deal", "area_min_m2", "area_max_m2", "district", "industry", "tax_wan",
    "investment_wan", "message", "created_at", *REQUIREMENT_FIELDS,
)  # fmt: skip


# The stated minimums a listing's figures are compared with (the first four requirements).
_MINIMUM_FIELDS = REQUIREMENT_FIELDS[:4]
_NO_MAXIMUM = 2**31 - 1  # fits every column compared with it (power_kva is an INTEGER)


def open_lead_candidates(
    *,
    need_types: tuple[str, ...],
    deals: tuple[str, ...],
    area_min_at_most: Any,
    area_max_at_least: Any,
    maximums: dict[str, float],
    eia_categories: tuple[str, ...],
    limit: int,
    viewer: Agent | None = None,
) -> list[Any]:
    """Open leads a listing may serve, ruled out in SQL by need type, deal, area and stated
    requirements (docs/listings.md "Matching"): the newest `limit` in all, shared among the
    need types (index ix_lead_open_need), in one statement. Rows of the matching columns only
    (numbers as floats); `viewer` limits them to the leads that agent may see."""
    per_need = max(limit // max(len(need_types), 1), 10)
    if not need_types:
        return []
    params = {
        "deals": list(deals),
        "area_min_at_most": area_min_at_most,
        "area_max_at_least": area_max_at_least,
        "eia_categories": list(eia_categories),
        **{f"max_{name}": maximums.get(name, _NO_MAXIMUM) for name in _MINIMUM_FIELDS},
    }
    if viewer is None:
        stmt = _candidates_stmt(need_types, per_need)  # the same for every listing: built once
    else:
        stmt = _candidates_stmt.__wrapped__(need_types, per_need, visible_leads(viewer))
    return list(db.session.execute(stmt, params))


@functools.lru_cache(maxsize=64)
def _candidates_stmt(
    need_types: tuple[str, ...], per_need: int, base: Select[Lead] | None = None
) -> Any:
    """The open-lead candidates statement; bounds are parameters (neutral when the listing
    does not state the figure)."""
    columns = plain_columns(Lead, _MATCH_COLUMNS)
    low = func.coalesce(Lead.area_min_m2, Lead.area_max_m2)
    high = func.coalesce(Lead.area_max_m2, Lead.area_min_m2)
    conditions = [
        _IS_OPEN,
        Lead.merged_into_id.is_(None),
        or_(Lead.deal.is_(None), Lead.deal.in_(bindparam("deals", expanding=True))),
        or_(low.is_(None), low <= bindparam("area_min_at_most")),
        or_(high.is_(None), high >= bindparam("area_max_at_least")),
        or_(
            Lead.eia_category.is_(None),
            Lead.eia_category.in_(bindparam("eia_categories", expanding=True)),
        ),
    ]
    for name in _MINIMUM_FIELDS:  # a stated minimum above what the listing has
        column = getattr(Lead, name)
        conditions.append(or_(column.is_(None), column <= bindparam(f"max_{name}")))
    base = base if base is not None else select(Lead)
    selects = [
        base.with_only_columns(*columns)
        .where(Lead.need_type == need, *conditions)
        .order_by(Lead.created_at.desc())
        .limit(per_need)
        for need in need_types
    ]
    return union_of(selects)


def leads_by_id(ids: list[int]) -> dict[int, Lead]:
    if not ids:
        return {}
    return {lead.id: lead for lead in db.session.scalars(select(Lead).where(Lead.id.in_(ids)))}


# --- serialising -----------------------------------------------------------------------


def event_to_dict(event: LeadEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type.value,
        "actor": event.actor,
        "agent_id": event.agent_id,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }


def agents_by_id(ids: set[int]) -> dict[int, Agent]:
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Agent).where(Agent.id.in_(ids)))}


# --- demand for the supply and demand report (app.reports calls this; docs/listings.md) ----


def open_demand(bands: Sequence[tuple[str, float | None]]) -> list[dict[str, Any]]:
    """Open leads by need type, district (the first one named) and area band: `bands` are
    (name, upper bound in m², None for the last), applied to the larger end of the need.
    `[{need_type, district, band, leads, area_m2}]`; grouped in SQL."""
    area = func.coalesce(Lead.area_max_m2, Lead.area_min_m2)
    band = case(
        *((area < upper, name) for name, upper in bands if upper is not None),
        else_=next(name for name, upper in bands if upper is None),
    )
    band = case((area.is_(None), ""), else_=band)
    rows = db.session.execute(
        select(Lead.need_type, Lead.district, band, func.count(), func.sum(area))
        .where(_IS_OPEN)
        .group_by(Lead.need_type, Lead.district, band)
    )
    totals: dict[tuple[str, str, str], list[float]] = {}
    for need_type, district, band_name, count, total in rows:
        first = re.split(r"[/、,，;；\s]+", (district or "").strip())[0]
        key = (str(need_type.value if need_type else ""), first, band_name or "")
        entry = totals.setdefault(key, [0, 0.0])
        entry[0] += count
        entry[1] += float(total or 0)
    return [
        {"need_type": n, "district": d, "band": b, "leads": int(c), "area_m2": round(a, 2)}
        for (n, d, b), (c, a) in sorted(totals.items())
    ]


def count_team_leads(team_id: int) -> int:
    """Leads on record (open or closed) that name team `team_id`."""
    return db.session.scalar(select(func.count()).where(Lead.team_id == team_id)) or 0
