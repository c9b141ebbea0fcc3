"""Handling one WeChat delivery: store it first, answer it exactly once, keep the conversation.

`receive()` stores and handles a delivery in one transaction:
1. the delivery is inserted into `inbound_message` unless its unique `dedupe_key` is known
   (`INSERT ... ON CONFLICT DO NOTHING`), which decides which of WeChat's concurrent retries
   handles it: a retry waits for the first one's transaction and then finds the key;
2. the handling, as plain statements (no ORM flush): the follower's row upserted, locked and
   returned (`app.wechat.followers`; on PostgreSQL by the same statement as step 1, for a
   delivery the conversation answers), the lead's writes (`leads.record_prospect_messages`: one
   UPDATE, one INSERT of its events), then the reply stored on the delivery's row and the
   follower's row written back, in one statement on PostgreSQL (`_finish`). If the handling
   fails, the whole transaction is rolled back and the delivery stored again, committed
   unhandled (for the audit trail and a replay), so nothing is half-written. A retry locks the
   row (briefly) and answers with the stored reply.

Nothing here waits on Celery or WeChat's API: routing is queued after the commit by
`create_lead`, and the reply is WeChat's passive XML answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from app.accounts import management
from app.accounts import service as accounts
from app.accounts.alerts import notify_agent
from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.core.errors import AppError
from app.leads import lifecycle
from app.leads import service as leads
from app.leads.models import Channel, Lead, LeadStatus
from app.leads.schemas import EnquiryIn
from app.notifications.service import record_template_receipt
from app.settings import privacy_notice
from app.wechat import answers, client, conversation, followers, knowledge
from app.wechat.callback import Delivery, render_text_reply
from app.wechat.conversation import Incoming, Kind, LeadAction, LeadRef, State
from app.wechat.followers import Follower
from app.wechat.models import InboundMessage
from app.wechat.parsing import load_districts, parse_enquiry

log = logging.getLogger(__name__)

# WeChat's customer-service window, and how long the bot remembers a conversation.
CONVERSATION_TTL = dt.timedelta(hours=48)
# How long a retry waits for the first delivery's handler (WeChat gives up after 5 s).
RETRY_WAIT_MS = 3000

# Draft fields that are lead columns; the rest stay in the draft and are recorded on the
# lead's history for the agent.
LEAD_FIELDS = (
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "tax_wan", "investment_wan",
    "employees", "timeline", "district", "company", "contact_name", "phone", "wechat_id",
)  # fmt: skip
# Requirements the parser reads under names of its own: draft key -> (lead column, factor),
# kept on the lead for the matching of listings (docs/listings.md).
REQUIREMENT_FIELDS: dict[str, tuple[str, int | Decimal]] = {
    "ceiling_height_m": ("ceiling_height_min_m", 1),
    "crane_tonnes": ("crane_t", 1),
    "power_kva": ("power_kva", 1),
    "floor_load_kg_m2": ("floor_load_t_m2", Decimal("0.001")),
    "eia_category": ("eia_category", 1),  # read by the conversation (app/wechat/conversation.py)
    "budget_rent_yuan_m2_month": ("budget_rent_yuan_m2_month", 1),
    "budget_land_wan_per_mu": ("budget_land_wan_per_mu", 1),
}
# The web form's rules per field (lengths, ranges, enums), so both channels store alike.
_VALIDATORS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(EnquiryIn.model_fields[name].rebuild_annotation())
    for name in (*LEAD_FIELDS, *(column for column, _ in REQUIREMENT_FIELDS.values()))
}

# Message types that are media the bot acknowledges; WeChat's names → what we say.
_MEDIA = {"image": "image", "video": "video", "shortvideo": "video", "file": "image"}
# Events that are the prospect's own doing and so open a customer-service window: a message
# opens 48 hours (5 messages), a menu click, follow or QR scan one minute (3 messages).
_WINDOW_EVENTS = frozenset({"subscribe", "scan", "click", "scancode_push", "scancode_waitmsg"})
# Events the conversation answers (the others are `Kind.OTHER_EVENT`: nothing to say).
_CONVERSATION_EVENTS = frozenset({"subscribe", "scan", "click", "unsubscribe"})


def receive(delivery: Delivery) -> str:
    """Store `delivery`, handle it once, and return the plain reply XML ("" means none)."""
    key = delivery.dedupe_key
    values = {
        "dedupe_key": key,
        "openid": delivery.openid,
        "msg_type": delivery.msg_type,
        "event": delivery.event,
        "raw_xml": delivery.raw_xml,
        "received_at": utcnow(),
    }
    locked: Follower | None = None
    if _talks(delivery) and _dialect() == "postgresql":
        row_id, locked = _store_and_lock(values, delivery.openid)
    else:
        row_id = _store(values)
    if row_id is None:
        log.info("wechat retry of %s", key)
        return _handle(key, delivery)
    for attempt in (1, 2):
        now = utcnow()
        try:
            text, lead_id, user = _converse(delivery, now, locked)
            reply = render_text_reply(delivery, text, now=now.timestamp()) if text else ""
            _finish(row_id, reply, now, lead_id, user)
            db.session.commit()
            return reply
        except IntegrityError:
            # A web form created the open lead for this phone between our check and our
            # insert (the one-open-lead-per-phone index decided): once more, to join it.
            if attempt == 2:
                log.exception("wechat delivery %s could not be handled", key)
        except Exception:
            # WeChat would show the prospect an error and retry into the same failure;
            # answer "success" instead. The stored row (no handled_at) can be replayed.
            log.exception("wechat delivery %s could not be handled", key)
            attempt = 2
        # Nothing half-written: the whole transaction goes, and the delivery is stored
        # again (unless a retry of it stored it meanwhile: then that retry handles it).
        db.session.rollback()
        row_id, locked = _store(values), None
        if row_id is None or attempt == 2:
            break
    db.session.commit()  # the delivery, unhandled
    return ""


def _store(values: dict[str, Any]) -> int | None:
    """The new delivery's row id, or None when its dedupe key is already stored (a retry,
    which waits here for the first delivery's transaction)."""
    row_id: int | None = db.session.connection().execute(_store_stmt(_dialect()), values).scalar()
    return row_id


def _store_and_lock(values: dict[str, Any], openid: str) -> tuple[int | None, Follower]:
    """PostgreSQL: `_store` and `_lock_user` in one statement (two data-modifying CTEs)."""
    params = {f"message_{name}": value for name, value in values.items()}
    row = db.session.connection().execute(
        _store_and_lock_stmt(), {**params, **followers.lock_params(openid)}
    )
    row_id, *follower = row.one()
    return row_id, Follower(*follower)


@functools.cache
def _store_and_lock_stmt() -> Any:
    table = InboundMessage.__table__
    names = ("dedupe_key", "openid", "msg_type", "event", "raw_xml", "received_at")
    stored = (
        postgresql.insert(table)
        .values({name: bindparam(f"message_{name}", type_=table.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id)
        .cte("stored")
    )
    follower = followers.upsert_stmt("postgresql").cte("follower")
    return select(stored.c.id, *follower.c).select_from(follower.outerjoin(stored, true()))


def _finish(
    row_id: int, reply: str, now: dt.datetime, lead_id: int | None, user: Follower | None
) -> None:
    """The delivery's reply and the follower's row, written in one statement on PostgreSQL
    (the follower's UPDATE as a data-modifying CTE), in two on SQLite."""
    params = {"row_id": row_id, "reply_xml": reply, "handled_at": now, "message_lead_id": lead_id}
    if user is None:
        db.session.connection().execute(_finish_stmt(None), params)
    elif (dialect := _dialect()) == "postgresql":
        db.session.connection().execute(
            _finish_stmt(dialect), {**params, **followers.save_params(user)}
        )
    else:
        _save_user(user)
        db.session.connection().execute(_finish_stmt(None), params)


@functools.cache
def _finish_stmt(dialect: str | None) -> Any:
    table = InboundMessage.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            reply_xml=bindparam("reply_xml", type_=table.c.reply_xml.type),
            handled_at=bindparam("handled_at", type_=table.c.handled_at.type),
            lead_id=bindparam("message_lead_id", type_=table.c.lead_id.type),
        )
    )
    if dialect == "postgresql":
        stmt = stmt.add_cte(followers.save_stmt().cte("follower"))
    return stmt


@functools.cache
def _store_stmt(dialect: str) -> Any:
    """Insert a delivery unless its dedupe key is stored; returns its id, or no row."""
    table = InboundMessage.__table__
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id)
    )


def _handle(key: str, delivery: Delivery) -> str:
    for attempt in (1, 2):
        try:
            row = _lock_inbound(key)
        except OperationalError:
            # The first delivery is still being handled after RETRY_WAIT_MS: say nothing
            # now; its handler stores the reply for any later retry.
            db.session.rollback()
            log.warning("wechat delivery %s still in progress; answering 'success'", key)
            return ""
        if row.handled_at is not None:
            reply = row.reply_xml or ""
            db.session.rollback()  # release the lock; nothing to write
            return reply

        now = utcnow()
        try:
            text, lead_id, user = _converse(delivery, now)
            reply = render_text_reply(delivery, text, now=now.timestamp()) if text else ""
            if user is not None:
                _save_user(user)
            row.reply_xml = reply
            row.handled_at = now
            row.lead_id = lead_id
            db.session.commit()
            return reply
        except IntegrityError:
            # A web form created the open lead for this phone between our check and our
            # insert (the one-open-lead-per-phone index decided): once more, to join it.
            db.session.rollback()
            if attempt == 2:
                log.exception("wechat delivery %s could not be handled", key)
        except Exception:
            # WeChat would show the prospect an error and retry into the same failure;
            # answer "success" instead. The stored row (no handled_at) can be replayed.
            db.session.rollback()
            log.exception("wechat delivery %s could not be handled", key)
            return ""
    return ""


def _lock_inbound(key: str) -> InboundMessage:
    if _dialect() == "postgresql":
        # A retry waits for the first handler's commit, but not past WeChat's 5 seconds.
        db.session.execute(text(f"SET LOCAL lock_timeout = '{int(RETRY_WAIT_MS)}ms'"))
    stmt = (
        select(InboundMessage)
        .where(InboundMessage.dedupe_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).one()


# --- the conversation ---------------------------------------------------------------------------


def _converse(
    delivery: Delivery, now: dt.datetime, locked: Follower | None = None
) -> tuple[str | None, int | None, Follower | None]:
    """The reply's text, the lead, and the follower's row as changed (the caller writes it:
    `_finish`). `locked`: the follower's row, when the caller has locked it already."""
    incoming = to_incoming(delivery)
    if delivery.event == "templatesendjobfinish":
        _record_receipt(delivery, now)
    if incoming.kind is Kind.OTHER_EVENT:
        return None, None, None  # template receipts, menu links, location reports: nothing to say
    user = locked or _lock_user(delivery.openid)
    if _is_binding(incoming):
        # An agent scanning their binding QR code: not a prospect, no conversation.
        _open_window(user, delivery, now)
        _track_subscription(user, replace(incoming, key=None), now)
        return _bind_agent(delivery.openid, str(incoming.key)), None, user
    state = current_state(user, now)
    _track_subscription(user, incoming, now)

    known = knowledge.load() if incoming.kind is Kind.TEXT and not state.handover else None
    turn = conversation.step(state, incoming, known)
    state = turn.state
    lead = _lock_lead(state.lead_id)
    ref: LeadRef | None = None
    # The lead's new values and messages, written together below: one UPDATE of the lead
    # and one INSERT of its events.
    messages: list[dict[str, Any]] = []
    changes: dict[str, Any] | None = None
    saved = False  # the lead's activity is marked already (created, or the enquiry attached)
    if lead is None and turn.lead_action is not LeadAction.NONE:
        lead, created = _save_lead(delivery.openid, state, user)
        saved = True
        ref = LeadRef(lead.reference, created)
        state = replace(state, lead_id=lead.id)
        messages.append(_requirements(state))
    elif lead is not None:
        ref = LeadRef(lead.reference, created=False)
        if turn.changes:
            changes = _safe_changes(lead, turn.changes)
    if lead is not None and turn.record:
        messages.append({"channel": "wechat", **turn.record})
    if lead is not None and (messages or changes):
        leads.record_prospect_messages(
            lead, messages, changes=changes, data={"via": "wechat"}, touch=not saved
        )
    if lead is not None and turn.record and _for_agent(state, turn):
        _tell_agent(lead, delivery, turn.record)
    if lead is not None and turn.lead_action is LeadAction.LOST:
        _mark_lost(lead, turn.lost_reason or "")

    # The follower row's changes, written by the caller with the delivery's reply.
    _open_window(user, delivery, now)
    user.conversation = state.to_json()
    if incoming.kind is not Kind.UNSUBSCRIBE:
        user.conversation_expires_at = now + CONVERSATION_TTL
    if lead is not None:
        user.lead_id = lead.id
    notice = (
        privacy_notice.bot_notice(turn.reply.lang)
        if turn.reply is not None and turn.reply.privacy
        else None
    )
    reply = conversation.render_reply(turn.reply, ref, notice)
    if reply is not None and lead is not None and _need_and_area_news(turn, ref):
        line = _listings_line(lead, turn.reply.lang if turn.reply is not None else "zh")
        reply = "\n".join((reply, line)) if line else reply
    return reply, (lead.id if lead else None), user


def _open_window(user: Follower, delivery: Delivery, now: dt.datetime) -> None:
    """The customer-service window this delivery opens, on the locked row (saved with the
    conversation, not by an UPDATE of its own)."""
    if not _opens_window(delivery):
        return
    sent = delivery.sent_at
    at = min(sent, now) if sent else now
    if delivery.msg_type == "event":
        client.open_event_window(user, at)
    else:
        client.open_window(user, at)


def _is_binding(incoming: Incoming) -> bool:
    return incoming.kind in (Kind.SUBSCRIBE, Kind.SCAN) and (incoming.key or "").startswith(
        accounts.BIND_SCENE_PREFIX
    )


def _bind_agent(openid: str, scene: str) -> str:
    """The agent named by a binding scene gets this follower's openid (docs/notifications.md)."""
    agent = accounts.agent_for_binding_scene(scene)
    if agent is None:
        return "二维码已过期或无效，请在 ParkLead 的“绑定微信”页面刷新后重新扫码。"
    management.bind_wechat_openid(agent.id, openid)
    log.info("agent %s bound an official-account openid", agent.id)
    return f"绑定成功：{agent.name}，ParkLead 的提醒将通过本公众号发送给您。"


def _mark_lost(lead: Lead, reason: str) -> None:
    """The prospect confirmed they no longer need us: the lead is lost, with their words."""
    if not lead.is_open:
        return
    reason = ("微信中客户表示：" + reason)[: lifecycle.LOST_REASON_MAX]
    try:
        lifecycle.change_status(lead, LeadStatus.LOST, actor="prospect", reason=reason)
    except AppError:  # a stage that cannot move to lost (won, landed): the agent decides
        log.info("lead %s not marked lost from WeChat: stage %s", lead.id, lead.status.value)


# --- listings that fit (docs/listings.md "The WeChat bot") ----------------------------------

_NEED_AND_AREA = frozenset({"need_type", "deal", "area_min_m2", "area_max_m2", "district"})


def _need_and_area_news(turn: conversation.Turn, ref: LeadRef | None) -> bool:
    """The lead was just saved, or this message set its need or area."""
    just_saved = turn.reply is not None and turn.reply.announce is conversation.Announce.SAVED
    return just_saved or bool(_NEED_AND_AREA & set(turn.changes))


def _listings_line(lead: Lead, lang: str = "zh") -> str:
    """Once need and area are known: how many listings fit, and a shortlist link."""
    if lead.need_type is None or (lead.area_min_m2 is None and lead.area_max_m2 is None):
        return ""
    lookup = answers.shortlist_lookup()
    if lookup is None:
        return ""
    count, token = lookup(lead)
    if token is None:
        if count:
            return ""
        if lang == "en":
            return "Nothing in our inventory fits exactly yet; an agent will keep looking for you."
        return "暂时没有完全符合的载体，招商专员会继续为您寻找。"
    link = url_for("listing_public.shortlist", token=token, _external=True)
    if lang == "en":
        return f"{count} of our listings fit your needs; here is a shortlist: {link}"
    return f"有 {count} 个载体符合您的需求，为您挑选了几个：{link}"


def _record_receipt(delivery: Delivery, now: dt.datetime) -> None:
    """A template message's delivery report: on the notification that sent it."""
    msgid, status = delivery.get("MsgID") or delivery.get("MsgId"), delivery.get("Status")
    if msgid and status:
        record_template_receipt(msgid.strip(), status.strip(), delivery.sent_at or now)


def _for_agent(state: conversation.State, turn: conversation.Turn) -> bool:
    """Whether this message is the agent's to read: after a hand-over, a question the bot
    passed on, and what the bot leaves unanswered while that question is open."""
    assert turn.record is not None
    return (
        state.handover
        or bool(turn.record.get("handover"))
        or (state.question_open and turn.reply is None)
    )


def _tell_agent(lead: Lead, delivery: Delivery, record: Mapping[str, Any]) -> None:
    """After a hand-over the bot is silent: the agent hears of each message (once per
    delivery). A lead without an agent yet is told through its assignment notification."""
    if lead.agent_id is None:
        return
    agent = db.session.get(Agent, lead.agent_id)
    if agent is None:
        return
    text = record.get("text") or record.get("type") or record.get("event") or ""
    notify_agent(
        agent,
        kind="wechat_handover" if record.get("handover") else "wechat_message",
        cause=f"wechat:{delivery.dedupe_key}:{agent.id}",
        template="NOTICE",
        title="客户在微信上找您 / a prospect wrote on WeChat",
        lines=[
            ("线索", lead.reference),
            ("客户", lead.company or lead.contact_name or "—"),
            ("消息", str(text)[:200]),
        ],
        remark="请在线索页的微信回复框中回复（48小时内）。",
        lead_id=lead.id,
    )


def current_state(user: Follower, now: dt.datetime) -> State:
    """The stored conversation, or a fresh one when it is older than 48 hours."""
    expires = user.conversation_expires_at
    if not user.conversation or expires is None or expires <= now:
        return State()
    return State.from_json(user.conversation)


def to_incoming(delivery: Delivery) -> Incoming:
    """What the conversation needs from a delivery (text parsed, media described)."""
    msg_type, event = delivery.msg_type, delivery.event
    get = delivery.get
    if msg_type == "text":
        return _text_incoming(get("Content") or "")
    if msg_type == "voice":
        heard = (get("Recognition") or "").strip()
        if heard:
            return _text_incoming(heard)
        return Incoming(Kind.VOICE, detail={"media_id": get("MediaId")})
    if msg_type in _MEDIA:
        detail = {"media_id": get("MediaId"), "url": get("PicUrl"), "msg_type": msg_type}
        return Incoming(Kind.MEDIA, media=_MEDIA[msg_type], detail=_compact(detail))
    if msg_type == "location":
        label = get("Label") or ""
        detail = {"label": label, "lat": get("Location_X"), "lon": get("Location_Y")}
        return Incoming(
            Kind.LOCATION,
            text=label,
            parsed=_parse(label) if label else None,
            media="location",
            detail=_compact(detail),
        )
    if msg_type == "link":
        detail = {"title": get("Title"), "url": get("Url"), "description": get("Description")}
        return Incoming(Kind.LINK, text=get("Title") or "", media="link", detail=_compact(detail))
    if msg_type != "event":
        return Incoming(Kind.OTHER_MESSAGE, detail={"msg_type": msg_type})
    event_key = (get("EventKey") or "").strip()
    if event == "subscribe":
        scene = event_key.removeprefix("qrscene_") if event_key.startswith("qrscene_") else None
        return Incoming(Kind.SUBSCRIBE, key=scene or None)
    if event == "scan":
        return Incoming(Kind.SCAN, key=event_key or None)
    if event == "click":
        return Incoming(Kind.CLICK, key=event_key)
    if event == "unsubscribe":
        return Incoming(Kind.UNSUBSCRIBE)
    return Incoming(Kind.OTHER_EVENT)


def _text_incoming(text: str) -> Incoming:
    return Incoming(Kind.TEXT, text=text, parsed=_parse(text))


def _parse(text: str) -> Any:
    return parse_enquiry(text, load_districts(current_app.config["DISTRICTS"]))


def lead_fields_from_text(text: str) -> dict[str, Any]:
    """What the parser reads in a free-text enquiry, as valid lead column values (the web
    form's message: `app.leads.service.set_message_reader`)."""
    return lead_fields(conversation.from_parse({}, _parse(text)))


# The lead columns `lead_fields_from_text` can fill.
TEXT_FIELDS = frozenset((*LEAD_FIELDS, *(column for column, _ in REQUIREMENT_FIELDS.values()))) - {
    "eia_category"
}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def _talks(delivery: Delivery) -> bool:
    """The delivery is something the conversation answers (`to_incoming` does not make it
    `Kind.OTHER_EVENT`): it needs the follower's row."""
    return delivery.msg_type != "event" or (delivery.event or "") in _CONVERSATION_EVENTS


def _opens_window(delivery: Delivery) -> bool:
    return delivery.msg_type != "event" or (delivery.event or "") in _WINDOW_EVENTS


def _lock_user(openid: str) -> Follower:
    """The follower's row, locked so one follower's messages are handled one at a time."""
    return followers.lock(openid, _dialect())


def _save_user(user: Follower) -> None:
    followers.save(user)


@functools.lru_cache(maxsize=8)
def _dialect_of(bind: Any) -> str:
    return str(bind.dialect.name)


def _dialect() -> str:
    return _dialect_of(db.session.get_bind())


def _track_subscription(user: Follower, incoming: Incoming, now: dt.datetime) -> None:
    if incoming.kind is Kind.SUBSCRIBE:
        user.subscribed = True
        user.subscribed_at = now
        user.unsubscribed_at = None
    elif incoming.kind is Kind.UNSUBSCRIBE:
        user.subscribed = False
        user.unsubscribed_at = now
    if incoming.kind in (Kind.SUBSCRIBE, Kind.SCAN) and incoming.key:
        user.first_scene = user.first_scene or incoming.key[:64]
        user.last_scene = incoming.key[:64]


def _lock_lead(lead_id: int | None) -> Lead | None:
    if lead_id is None:
        return None
    # Locked and re-read: the routing worker may have just assigned it (optimistic version).
    stmt = (
        select(Lead)
        .where(Lead.id == lead_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).first()


# --- saving the lead ----------------------------------------------------------------------------


def lead_fields(draft: Mapping[str, Any]) -> dict[str, Any]:
    """Draft values as valid lead column values; a value that fails validation is left out."""
    fields: dict[str, Any] = {}
    names: list[tuple[str, str, int | Decimal]] = [(name, name, 1) for name in LEAD_FIELDS]
    names += [(key, column, factor) for key, (column, factor) in REQUIREMENT_FIELDS.items()]
    for key, name, factor in names:
        value = draft.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = Decimal(str(value)) * factor
            if name == "power_kva":
                value = int(value)
        try:
            fields[name] = _VALIDATORS[name].validate_python(value)
        except ValidationError:
            log.info("wechat draft value for %s left out: not valid", name)
    return fields


def _save_lead(openid: str, state: State, user: Follower) -> tuple[Lead, bool]:
    """Create the prospect's lead, or attach this enquiry to their own open one (same
    openid). Returns the lead and whether it is new; the caller records the conversation
    (`_requirements`) on it.

    A phone that belongs to another open lead never joins that lead, nor is its reference
    named: the prospect gets a lead of their own, without that phone (one open lead per
    phone) and flagged as a possible duplicate for an agent to merge (docs/security.md)."""
    fields = lead_fields(dict(state.draft))
    if state.transcript:
        fields["message"] = "\n".join(state.transcript)[:4000]
    scene = state.scene or user.first_scene
    source = {"scene": scene} if scene else {}
    phone = fields.get("phone")

    # Their own open lead, read once and locked (routing may be assigning it right now).
    lead = _lock_lead(leads.open_lead_id_by_openid(openid))
    if lead is None:
        other = leads.find_open_lead_by_phone(phone) if phone else None
        if other is not None:
            fields.pop("phone")
            fields["possible_duplicate_of_id"] = other.id
        # No SAVEPOINT here: releasing one fires after_commit, which would publish the
        # routing task before this transaction commits. A phone race rolls back the whole
        # transaction instead, and `receive` (or `_handle`) stores and handles it once more.
        lead = leads.create_lead(
            {**fields, "wechat_openid": openid}, channel=Channel.WECHAT, source=source
        )
        if other is not None and phone:
            leads.record_possible_duplicate(lead, other, phone=phone, channel=Channel.WECHAT)
        return lead, True
    if phone and lead.phone != phone:
        other = leads.find_open_lead_by_phone(phone)
        if other is not None and other.id != lead.id:
            fields.pop("phone")  # another prospect's: never joined, never changed
    leads.attach_enquiry(lead, EnquiryIn.model_construct(**fields), Channel.WECHAT, source)
    return lead, False


def _requirements(state: State) -> dict[str, Any]:
    """What the prospect told the bot, including needs without a lead column, for the
    record."""
    extra = {k: v for k, v in state.draft.items() if k not in LEAD_FIELDS}
    data: dict[str, Any] = {"channel": "wechat", "conversation": list(state.transcript)}
    if extra:
        data["requirements"] = extra
    return data


def _safe_changes(lead: Lead, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changes for an existing lead: validated, cleared values included, and no phone that
    belongs to another open lead (the one-open-lead-per-phone index would refuse it)."""
    valid = lead_fields(changes)
    cleared = {k: None for k, v in changes.items() if k in LEAD_FIELDS and v is None}
    cleared |= {
        REQUIREMENT_FIELDS[k][0]: None
        for k, v in changes.items()
        if k in REQUIREMENT_FIELDS and v is None
    }
    result = {**cleared, **valid}
    phone = result.get("phone")
    if phone:
        other = leads.find_open_lead_by_phone(phone)
        if other is not None and other.id != lead.id:
            result.pop("phone")
    if "need_type" in result and result["need_type"] is None:
        result.pop("need_type")  # the column is NOT NULL
    return result
