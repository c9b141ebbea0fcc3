"""What agents do on a lead (docs/leads.md, docs/workspace.md): edit fields, notes, calls,
follow-ups, merges, WeChat replies, and the timeline that shows it all (a lead taken by
phone is `app.routing.service.create_manual_lead`: intake, then assignment by hand).

Every change writes its lead_event in the same transaction and moves `last_activity_at`.
Functions here `flush()`; the request commits once.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import ValidationError, ValidationInfo, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.core.errors import Conflict, ValidationFailed
from app.core.validation import validation_error
from app.leads import alerts, lifecycle, scoring, service
from app.leads.models import (
    REQUIREMENT_FIELDS,
    EventType,
    Lead,
    LeadEvent,
    LeadStatus,
    NeedType,
)
from app.leads.schemas import EnquiryIn, clean_text
from app.notifications import service as notifications
from app.notifications.models import Notification

# The lead's own fields an agent may change (the intake fields of docs/api.md plus the rest of
# what a prospect tells us). Status, owner and timestamps change through their own actions.
EDITABLE_FIELDS = (
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "tax_wan", "investment_wan",
    "employees", "timeline", "company", "contact_name", "phone", "wechat_id", "district",
    "message", *REQUIREMENT_FIELDS,
)  # fmt: skip
# Checked together (phone or WeChat; min ≤ max), so always validated with the lead's values.
_CROSS_CHECKED = ("phone", "wechat_id", "area_min_m2", "area_max_m2")
NOTE_MAX = 4000
REPLY_MAX = 600
FOLLOW_UP_HORIZON = dt.timedelta(days=2 * 366)


def _touch(lead: Lead, at: dt.datetime) -> None:
    lead.last_activity_at = at


def _event(lead: Lead, type_: EventType, by: Agent | None, data: dict[str, Any]) -> LeadEvent:
    now = utcnow()
    event = LeadEvent(
        lead_id=lead.id,
        type=type_,
        actor="agent" if by is not None else "system",
        agent_id=by.id if by is not None else None,
        created_at=now,
        data=data,
    )
    db.session.add(event)
    _touch(lead, now)
    return event


def _required_text(value: Any, name: str, max_length: int) -> str:
    text = clean_text(value) if isinstance(value, str) else None
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", fields={name: "text"})
    if not text:
        raise ValidationFailed(f"{name} is required", fields={name: "required"})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{name} is too long", fields={name: f"at most {max_length} characters"}
        )
    return text


def _optional_text(value: Any, name: str, max_length: int) -> str | None:
    return None if value is None or value == "" else _required_text(value, name, max_length)


# --- editing fields --------------------------------------------------------------------------


class LeadEdit(EnquiryIn):
    """The enquiry rules, except that a WeChat follower (openid) is reachable without a phone."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> LeadEdit:
        reachable = bool((info.context or {}).get("wechat_openid"))
        if not self.phone and not self.wechat_id and not reachable:
            raise ValueError("keep a phone number or a WeChat ID so the prospect can be reached")
        if self.area_min_m2 and self.area_max_m2 and self.area_min_m2 > self.area_max_m2:
            raise ValueError("area_min_m2 must not be larger than area_max_m2")
        return self


def validate_changes(lead: Lead, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` checked by the enquiry rules against the lead's other values; returns the
    cleaned values (phone in E.164, numbers as Decimal, enums)."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "these fields cannot be edited: " + ", ".join(unknown),
            fields={name: "is not an editable field" for name in unknown},
        )
    merged = {name: getattr(lead, name) for name in _CROSS_CHECKED}
    merged.update(changes)
    try:
        edit = LeadEdit.model_validate(merged, context={"wechat_openid": lead.wechat_openid})
    except ValidationError as exc:
        raise validation_error(exc) from None
    return edit.model_dump(include=set(changes))


def edit_lead(
    lead: Lead, changes: dict[str, Any], *, by: Agent, expected_version: int | None
) -> list[str]:
    """Apply `changes`, one field_changed event {field, from, to} per changed field.

    `expected_version` is the version the editor saw; a newer lead answers 409.
    Returns the changed field names.
    """
    lifecycle.check_version(lead, expected_version)
    values = validate_changes(lead, changes)
    phone = values.get("phone")
    if phone and phone != lead.phone and lead.is_open:
        _refuse_phone_of_another_open_lead(lead, phone)
    try:
        with db.session.begin_nested():
            changed = service.update_fields(lead, values, actor="agent", agent_id=by.id)
    except IntegrityError:
        # Another open lead took the phone between the check and the write.
        _refuse_phone_of_another_open_lead(lead, phone or "")
        raise
    if changed:
        scoring.rescore(lead)
        db.session.flush()
    return changed


def _refuse_phone_of_another_open_lead(lead: Lead, phone: str) -> None:
    other = service.find_open_lead_by_phone(phone)
    if other is not None and other.id != lead.id:
        raise Conflict(
            f"open lead {other.reference} already has this phone; merge the two leads instead",
            code="phone_in_use",
            fields={"phone": f"used by open lead {other.reference}"},
            extra={"lead": {"id": other.id, "reference": other.reference}},
        )


# --- notes, calls, follow-ups ----------------------------------------------------------------


def add_note(lead: Lead, text: Any, *, by: Agent) -> LeadEvent:
    event = _event(lead, EventType.NOTE, by, {"text": _required_text(text, "text", NOTE_MAX)})
    db.session.flush()
    return event


class CallOutcome(enum.StrEnum):
    CONNECTED = "connected"  # 接通
    NO_ANSWER = "no_answer"  # 未接
    BUSY = "busy"  # 占线 / 拒接
    WRONG_NUMBER = "wrong_number"  # 空号 / 错号
    LEFT_MESSAGE = "left_message"  # 留言 / 短信


MAX_CALL_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class CallLogged:
    event: LeadEvent
    moved_to_contacted: bool
    # A connected call on an `assigned` lead: the lead may now move to `contacted`.
    offer_contacted: bool


def log_call(
    lead: Lead,
    *,
    outcome: Any,
    duration_seconds: Any = None,
    note: Any = None,
    mark_contacted: bool = False,
    by: Agent,
) -> CallLogged:
    """Record a phone call; with `mark_contacted`, a connected call on an `assigned` lead
    also moves it to `contacted` (same transaction)."""
    try:
        result = CallOutcome(outcome)
    except ValueError:
        raise ValidationFailed(
            f"unknown call outcome {outcome!r}",
            fields={"outcome": "one of " + ", ".join(o.value for o in CallOutcome)},
        ) from None
    if duration_seconds in (None, ""):
        duration = None
    elif (
        isinstance(duration_seconds, int)
        and not isinstance(duration_seconds, bool)
        and 0 <= duration_seconds <= MAX_CALL_SECONDS
    ):
        duration = duration_seconds
    else:
        raise ValidationFailed(
            "duration_seconds must be a whole number of seconds",
            fields={"duration_seconds": f"0..{MAX_CALL_SECONDS}"},
        )
    data: dict[str, Any] = {"outcome": result.value, "duration_seconds": duration}
    text = _optional_text(note, "note", NOTE_MAX)
    if text:
        data["note"] = text
    event = _event(lead, EventType.CALL, by, data)
    db.session.flush()
    can_move = result is CallOutcome.CONNECTED and lead.status is LeadStatus.ASSIGNED
    if can_move and mark_contacted:
        lifecycle.change_status(
            lead,
            LeadStatus.CONTACTED,
            agent_id=by.id,
            actor="agent",
            data={"call_event_id": event.id},
        )
        db.session.flush()
    return CallLogged(event, can_move and mark_contacted, can_move and not mark_contacted)


def parse_local_datetime(raw: Any, name: str = "at") -> dt.datetime:
    """An ISO date-time; without an offset it is read in the office's time zone
    (Asia/Shanghai). Returns an aware UTC datetime."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed(f"{name} is required", fields={name: "an ISO date-time"})
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            f"{name} is not a date-time", fields={name: "e.g. 2026-11-25T10:00 (Beijing time)"}
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return value.astimezone(dt.UTC)


def set_follow_up(
    lead: Lead,
    at: dt.datetime | None,
    *,
    by: Agent,
    note: Any = None,
    now: dt.datetime | None = None,
) -> LeadEvent | None:
    """Set (or with None, clear) the next follow-up; it must lie in the future.
    Recorded as a field_changed event of `next_follow_up_at`; None when nothing changed."""
    now = now or utcnow()
    if at is not None:
        if at.tzinfo is None:
            raise ValueError("set_follow_up needs an aware datetime")
        if at <= now:
            raise ValidationFailed(
                "the follow-up must be in the future", fields={"at": "a time after now"}
            )
        if at > now + FOLLOW_UP_HORIZON:
            raise ValidationFailed(
                "the follow-up is too far ahead", fields={"at": "within two years"}
            )
    text = _optional_text(note, "note", NOTE_MAX)
    previous = lead.next_follow_up_at
    if previous == at and not text:
        return None
    lead.next_follow_up_at = at
    data: dict[str, Any] = {
        "field": "next_follow_up_at",
        "from": previous.isoformat() if previous else None,
        "to": at.isoformat() if at else None,
    }
    if text:
        data["note"] = text
    event = _event(lead, EventType.FIELD_CHANGED, by, data)
    db.session.flush()
    return event


# --- merging ---------------------------------------------------------------------------------

# Survivor fields a merge may fill from the duplicate (only where the survivor has nothing).
MERGE_FILLS = (*(f for f in EDITABLE_FIELDS if f != "message"), "wechat_openid")


@dataclass(frozen=True, slots=True)
class MergeResult:
    survivor: Lead
    duplicate: Lead
    status_changed: bool
    filled: list[str] = field(default_factory=list)
    not_copied: dict[str, str] = field(default_factory=dict)


def _blank(name: str, value: Any) -> bool:
    return value is None or value == "" or (name == "need_type" and value == NeedType.OTHER)


def merge_leads(
    duplicate: Lead, survivor: Lead, *, by: Agent, expected_version: int | None = None
) -> MergeResult:
    """Merge `duplicate` into `survivor` (docs/leads.md "Merge"): the duplicate points at the
    survivor and becomes `duplicate` when its stage allows it (else keeps its status); the
    survivor fills its blank fields from it; both get a `merged` event. Lock both rows first
    (lock_leads)."""
    if duplicate.id == survivor.id:
        raise ValidationFailed(
            "a lead cannot be merged into itself", fields={"into": "another lead"}
        )
    for lead in (duplicate, survivor):
        if lead.merged_into_id is not None:
            raise Conflict(
                f"lead {lead.reference} was already merged into lead {lead.merged_into_id}",
                code="already_merged",
            )
    lifecycle.check_version(duplicate, expected_version)
    status_changed = LeadStatus.DUPLICATE in lifecycle.allowed_transitions(duplicate.status)
    if status_changed:
        lifecycle.change_status(
            duplicate,
            LeadStatus.DUPLICATE,
            agent_id=by.id,
            actor="agent",
            data={"merged_into_id": survivor.id},
        )
    duplicate.merged_into_id = survivor.id
    # The duplicate leaves the open set before the survivor may take over its phone.
    db.session.flush()

    fills: dict[str, Any] = {}
    not_copied: dict[str, str] = {}
    for name in MERGE_FILLS:
        value = getattr(duplicate, name)
        if _blank(name, value) or not _blank(name, getattr(survivor, name)):
            continue
        if name == "phone" and duplicate.is_open and survivor.is_open:
            not_copied[name] = "the duplicate is still open with this phone"
            continue
        fills[name] = value
    filled = service.update_fields(
        survivor, fills, actor="agent", agent_id=by.id, data={"merged_from_id": duplicate.id}
    )
    if filled:
        scoring.rescore(survivor)
    _event(
        duplicate,
        EventType.MERGED,
        by,
        {
            "into_id": survivor.id,
            "into_reference": survivor.reference,
            "status_changed": status_changed,
        },
    )
    survivor_data: dict[str, Any] = {
        "from_id": duplicate.id,
        "from_reference": duplicate.reference,
        "filled": filled,
    }
    if not_copied:
        survivor_data["not_copied"] = not_copied
    _event(survivor, EventType.MERGED, by, survivor_data)
    db.session.flush()
    return MergeResult(survivor, duplicate, status_changed, filled, not_copied)


def lock_leads(*leads: Lead) -> None:
    """Lock lead rows in id order (two merges of the same pair cannot deadlock)."""
    ids = sorted(lead.id for lead in leads)
    db.session.execute(
        select(Lead.id).where(Lead.id.in_(ids)).order_by(Lead.id).with_for_update()
    ).all()
    for lead in leads:
        db.session.refresh(lead)


# --- WeChat replies --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WechatWindow:
    """WeChat's customer-service windows for the lead's prospect, together (the rule is the
    WeChat domain's, docs/notifications.md): whether a message may be sent now, until when,
    how many slots are left, and the rule in words for a refusal."""

    openid: str | None
    is_open: bool
    expires_at: dt.datetime | None
    remaining: int
    rule: str = ""


class ServiceWindow(Protocol):
    """What the WeChat domain answers about one follower's windows."""

    is_open: bool
    expires_at: dt.datetime | None
    remaining: int
    rule: str


WindowReader = Callable[[str, dt.datetime], ServiceWindow]
_window_reader: WindowReader | None = None


def set_wechat_window_reader(reader: WindowReader | None) -> None:
    """Registered by `create_app` (`app.wechat.client.service_window`): the WeChat domain
    owns the customer-service window rule and its counters, and sits above leads, so leads
    ask through this function instead of importing it. Without one, no window is open."""
    global _window_reader
    _window_reader = reader


def wechat_window(lead: Lead, *, now: dt.datetime | None = None) -> WechatWindow:
    if not lead.wechat_openid:
        return WechatWindow(None, False, None, 0)
    if _window_reader is None:
        return WechatWindow(lead.wechat_openid, False, None, 0)
    window = _window_reader(lead.wechat_openid, now or utcnow())
    return WechatWindow(
        lead.wechat_openid, window.is_open, window.expires_at, window.remaining, window.rule
    )


def send_wechat_reply(lead: Lead, text: Any, *, by: Agent) -> tuple[LeadEvent, Notification]:
    """Queue a customer-service message to the lead's prospect (outbox, channel wechat_cs)
    and record it as message_out. Refused (409) outside the window or with no slot left."""
    body = _required_text(text, "text", REPLY_MAX)
    window = wechat_window(lead)
    if window.openid is None:
        raise Conflict(
            f"lead {lead.reference} has no WeChat follower to reply to", code="no_wechat"
        )
    if window.expires_at is None:
        raise Conflict(
            "the prospect has not written to the official account in the last 48 hours; "
            "WeChat allows no customer-service message now",
            code="outside_wechat_window",
        )
    if window.remaining <= 0:
        raise Conflict(
            f"the customer-service messages WeChat allows now are used up ({window.rule})",
            code="wechat_quota_used",
        )
    cause = f"agent_reply:{lead.id}:{uuid.uuid4().hex}"
    notification = alerts.queue_prospect_message(lead, body, cause=cause, agent_id=by.id)
    assert notification is not None  # the lead has an openid
    event = _event(
        lead,
        EventType.MESSAGE_OUT,
        by,
        {"text": body, "channel": "wechat_cs", "notification_id": notification.id},
    )
    db.session.flush()
    return event, notification


# --- the timeline ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: dt.datetime
    type: str  # an EventType value, or "notification" for an outbox row
    actor: str
    agent: Agent | None
    data: dict[str, Any]
    notification: Notification | None = None  # with its delivery state

    def as_dict(self) -> dict[str, Any]:
        note = self.notification
        return {
            "at": self.at.isoformat(),
            "type": self.type,
            "actor": self.actor,
            "agent": {"id": self.agent.id, "name": self.agent.name} if self.agent else None,
            "data": self.data,
            "notification": _notification_brief(note) if note is not None else None,
        }


def _notification_brief(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "channel": note.channel.value,
        "kind": note.kind,
        "status": note.status.value,
        "attempts": note.attempts,
        "last_error": note.last_error,
        "sent_at": note.sent_at.isoformat() if note.sent_at else None,
    }


TIMELINE_NOTIFICATIONS = 200


def timeline(lead: Lead) -> list[TimelineEntry]:
    """The lead's history, newest first: its events, and the notifications about it from the
    outbox with their delivery state (a reply shows its state beside the message)."""
    events = service.lead_events(lead)
    notes, _ = notifications.list_notifications(lead_id=lead.id, limit=TIMELINE_NOTIFICATIONS)
    by_id = {n.id: n for n in notes}
    agents = service.agents_by_id({e.agent_id for e in events if e.agent_id})
    shown: set[int] = set()
    entries = []
    for event in events:
        notification_id = (event.data or {}).get("notification_id")
        note = by_id.get(notification_id) if isinstance(notification_id, int) else None
        if event.type is EventType.NOTIFICATION and note is not None:
            continue  # the outbox row below tells the same, with its state
        if note is not None:
            shown.add(note.id)
        entries.append(
            TimelineEntry(
                at=event.created_at,
                type=event.type.value,
                actor=event.actor,
                agent=agents.get(event.agent_id) if event.agent_id else None,
                data=event.data or {},
                notification=note,
            )
        )
    for note in notes:
        if note.id not in shown:
            entries.append(
                TimelineEntry(
                    at=note.created_at,
                    type="notification",
                    actor="system",
                    agent=None,
                    data={"kind": note.kind, "channel": note.channel.value},
                    notification=note,
                )
            )
    # Newest first; entries of one instant keep the order they were written in, reversed.
    order = {id(entry): n for n, entry in enumerate(entries)}
    entries.sort(key=lambda e: (e.at, order[id(e)]), reverse=True)
    return entries
