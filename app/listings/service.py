"""Listings: create, change, list, the status lifecycle, photos and matching (docs/listings.md).

Plain functions the routes, pages, tasks and CLI call. They `flush()`; the caller commits
once. Other domains reach listings through these functions only; listings reach leads through
`app.leads.service` (a lead's timeline is written there).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, Select, and_, bindparam, case, func, not_, or_, select

from app.accounts.alerts import notify_agent
from app.accounts.models import Agent, Role
from app.core.cursors import decode_id_cursor, encode_id_cursor, page_size
from app.core.db import db, plain_columns, union_of, utcnow
from app.core.dispatch import enqueue_after_commit
from app.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.core.http import MAX_ROW_ID
from app.leads import activity
from app.leads import service as leads
from app.leads.alerts import queue_prospect_news
from app.leads.models import Lead, LeadStatus
from app.listings import matching
from app.listings.models import (
    Listing,
    ListingEvent,
    ListingEventType,
    ListingKind,
    ListingPhoto,
    ListingStatus,
    Shortlist,
)
from app.listings.schemas import ListingIn, parse_listing, parse_photo_url

NOTIFY_TASK = "tasks.listings.notify_matching_leads"
MAX_MATCHES = 50

# --- the lifecycle (docs/listings.md "Status") ---------------------------------------------

S = ListingStatus
TRANSITIONS: dict[ListingStatus, tuple[ListingStatus, ...]] = {
    S.AVAILABLE: (S.RESERVED, S.LET, S.SOLD, S.WITHDRAWN),
    S.RESERVED: (S.AVAILABLE, S.LET, S.SOLD, S.WITHDRAWN),
    S.LET: (S.AVAILABLE, S.WITHDRAWN),
    S.SOLD: (S.WITHDRAWN,),
    S.WITHDRAWN: (S.AVAILABLE,),
}
# A let or sale names the lead it went to when that lead has signed (签约) or gone further.
SIGNED_STATUSES = (LeadStatus.WON, LeadStatus.LANDED, LeadStatus.PRODUCING)

# The columns matching reads; candidates are loaded as rows of these only.
_MATCH_COLUMNS = (
    "id", "kind", "status", "for_rent", "for_sale", "available_m2", "min_split_m2", "district",
    "park", "ceiling_height_m", "crane_t", "power_kva", "floor_load_t_m2", "eia_categories",
    "excluded_industries", "own_yard", "dormitory", "canteen", "truck_access", "title",
    "description",
    "rent_yuan_m2_month", "land_price_wan_per_mu", "min_tax_wan_per_mu",
    "min_investment_wan_per_mu",
)  # fmt: skip

# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """Filters of the listing list (SPEC names: kind, district, status, q)."""

    kind: ListingKind | None = None
    district: str | None = None
    status: tuple[ListingStatus, ...] | None = None
    q: str | None = None
    published: bool | None = None
    agent_id: int | None = None


def get_listing(listing_id: int | str, *, for_update: bool = False) -> Listing:
    """A listing by id, or 404."""
    key = str(listing_id)
    listing = None
    if key.isascii() and key.isdigit() and int(key) <= MAX_ROW_ID:
        stmt = select(Listing).where(Listing.id == int(key))
        if for_update:
            stmt = stmt.with_for_update()
        listing = db.session.scalars(stmt.execution_options(populate_existing=True)).first()
    if listing is None:
        raise NotFound(_("没有编号为 %(id)s 的载体", id=listing_id))
    return listing


def filtered_listings(filters: ListingQuery) -> Select[Listing]:
    stmt = select(Listing)
    if filters.kind is not None:
        stmt = stmt.where(Listing.kind == filters.kind)
    if filters.district:
        stmt = stmt.where(Listing.district == filters.district)
    if filters.status:
        stmt = stmt.where(Listing.status.in_(filters.status))
    if filters.published is not None:
        stmt = stmt.where(Listing.published.is_(filters.published))
    if filters.agent_id is not None:
        stmt = stmt.where(Listing.agent_id == filters.agent_id)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        stmt = stmt.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Listing.title, Listing.park, Listing.address, Listing.title_en)
                )
            )
        )
    return stmt


def list_listings(
    filters: ListingQuery, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Listing], str | None]:
    """Newest first, keyset-paginated on id; returns (listings, next_cursor)."""
    limit = page_size(limit)
    stmt = filtered_listings(filters)
    if cursor:
        stmt = stmt.where(Listing.id < decode_id_cursor("l", cursor))
    rows = list(db.session.scalars(stmt.order_by(Listing.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_id_cursor("l", rows[-1].id)
    return rows, next_cursor


def listing_events(listing: Listing) -> list[ListingEvent]:
    stmt = select(ListingEvent).where(ListingEvent.listing_id == listing.id)
    return list(db.session.scalars(stmt.order_by(ListingEvent.id)))


def listing_photos(listing_ids: Iterable[int]) -> dict[int, list[ListingPhoto]]:
    """Photos of several listings at once, in order, keyed by listing id."""
    ids = sorted(set(listing_ids))
    photos: dict[int, list[ListingPhoto]] = {i: [] for i in ids}
    if not ids:
        return photos
    stmt = (
        select(ListingPhoto)
        .where(ListingPhoto.listing_id.in_(ids))
        .order_by(ListingPhoto.listing_id, ListingPhoto.position, ListingPhoto.id)
    )
    for photo in db.session.scalars(stmt):
        photos[photo.listing_id].append(photo)
    return photos


def listings_by_id(ids: Sequence[int]) -> dict[int, Listing]:
    if not ids:
        return {}
    return {x.id: x for x in db.session.scalars(select(Listing).where(Listing.id.in_(ids)))}


def reserved_for_lead(lead_id: int) -> list[Listing]:
    """The listings held for a lead (reserved), oldest first."""
    stmt = select(Listing).where(
        Listing.reserved_for_lead_id == lead_id, Listing.status == ListingStatus.RESERVED
    )
    return list(db.session.scalars(stmt.order_by(Listing.id)))


# --- creating and changing ------------------------------------------------------------------


def may_manage(agent: Agent, listing: Listing | None = None) -> bool:
    """Team leads and admins manage every listing; an agent the listings they are
    responsible for."""
    if agent.role in (Role.ADMIN, Role.LEAD):
        return True
    return listing is not None and listing.agent_id == agent.id


def require_manager(agent: Agent, listing: Listing | None = None) -> None:
    if not may_manage(agent, listing):
        raise Forbidden(_("只有团队负责人、管理员或该载体的负责人可以修改它"))


def _check_agent(agent_id: int | None) -> None:
    if agent_id is not None and db.session.get(Agent, agent_id) is None:
        raise ValidationFailed(_("部分字段不正确"), fields={"agent_id": _("没有这个招商专员")})


def create_listing(
    data: dict[str, Any] | ListingIn, *, by: Agent | None, reason: str | None = None
) -> Listing:
    """Validate and add a listing; a new listing is `available` and its responsible agent
    is `by` unless `agent_id` is given. Its `created` event names `by`; the agents of its
    best open leads are told after the commit. Caller commits."""
    values = data if isinstance(data, ListingIn) else parse_listing(data)
    _check_agent(values.agent_id)
    now = utcnow()
    listing = Listing(
        **values.columns(),
        status=ListingStatus.AVAILABLE,
        created_at=now,
        updated_at=now,
    )
    if listing.agent_id is None and by is not None:
        listing.agent_id = by.id
    db.session.add(listing)
    db.session.flush()
    _event(listing, ListingEventType.CREATED, by, reason=reason, to_status=listing.status)
    enqueue_after_commit(NOTIFY_TASK, listing.id)
    return listing


def _current_values(listing: Listing) -> dict[str, Any]:
    values = {name: getattr(listing, name) for name in ListingIn.model_fields if name != "deals"}
    values["deals"] = [d.value for d in listing.deals]
    return values


def update_listing(
    listing: Listing,
    changes: dict[str, Any],
    *,
    by: Agent | None,
    expected_version: int | None = None,
) -> list[str]:
    """Apply `changes` (validated with the listing's other values), one `updated` event with
    {field: [from, to]}; 409 when `expected_version` is not the listing's. Returns the changed
    field names. Status changes go through `change_status`. Caller commits."""
    check_version(listing, expected_version)
    unknown = sorted(set(changes) - set(ListingIn.model_fields))
    if "status" in changes:
        raise ValidationFailed(
            _("状态请通过状态变更接口修改"),
            fields={"status": _("使用 POST /api/listings/<id>/status")},
        )
    if unknown:
        raise ValidationFailed(
            _("部分字段不正确"), fields={name: _("不是可修改的字段") for name in unknown}
        )
    merged = {**_current_values(listing), **changes}
    if "area_m2" in changes and "available_m2" not in changes:
        # A new area without a new available area: a wholly available listing stays wholly
        # available; a partly let one keeps what it had, within the new area.
        if listing.available_m2 >= listing.area_m2:
            merged["available_m2"] = None  # defaults to the area
        else:
            merged["available_m2"] = _min_number(listing.available_m2, changes["area_m2"])
    values = parse_listing(merged).columns()
    if "agent_id" in changes:
        _check_agent(values["agent_id"])
    names = set(changes) - {"deals"}
    if "deals" in changes:
        names |= {"for_rent", "for_sale"}
    if "area_m2" in changes:
        names.add("available_m2")
    diff: dict[str, list[Any]] = {}
    for name in sorted(names):
        old, new = getattr(listing, name), values[name]
        if old != new:
            setattr(listing, name, new)
            diff[name] = [_jsonable(old), _jsonable(new)]
    if diff:
        listing.updated_at = utcnow()
        _event(listing, ListingEventType.UPDATED, by, data={"changes": diff})
        db.session.flush()
    return sorted(diff)


def _min_number(current: Decimal, given: Any) -> Any:
    """The smaller of a stored figure and a submitted one (left as given when it is not a
    number, so validation names it)."""
    try:
        return min(current, Decimal(str(given)))
    except (ArithmeticError, ValueError, TypeError):
        return given


def check_version(listing: Listing, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != listing.version:
        raise Conflict(
            _("该载体已被他人修改（当前版本 %(v)s），请刷新后重试", v=listing.version),
            code="stale_version",
            fields={"version": str(listing.version)},
        )


def allowed_transitions(status: ListingStatus) -> tuple[ListingStatus, ...]:
    return TRANSITIONS[status]


def change_status(
    listing: Listing,
    to: ListingStatus | str,
    *,
    by: Agent | None,
    reason: str | None = None,
    lead: Lead | None = None,
    expected_version: int | None = None,
) -> ListingEvent:
    """The one place a listing's status changes (docs/listings.md "Status").

    `reserved` needs `lead`; `let`/`sold` take the lead it went to (the reserved one when
    none is given), which must have signed. Every change writes a `status_changed` event
    (who, why, which lead) and, when a lead is named, an event on the lead's timeline.
    Back to `available`: the agents of the best open leads are told after the commit.
    Caller commits (and should hold the listing's row lock: `get_listing(for_update=True)`).
    """
    target = _status(to)
    check_version(listing, expected_version)
    current = listing.status
    if target == current:
        raise Conflict(
            _("该载体已是此状态"),
            code="no_change",
            fields={"to": target.value},
        )
    if target not in TRANSITIONS[current]:
        raise Conflict(
            _(
                "不能从“%(from)s”改为“%(to)s”；可改为：%(allowed)s",
                **{
                    "from": current.value,
                    "to": target.value,
                    "allowed": ", ".join(s.value for s in TRANSITIONS[current]),
                },
            ),
            code="transition_not_allowed",
            fields={"to": ", ".join(s.value for s in TRANSITIONS[current])},
        )
    reason = _reason(reason)
    if target is S.RESERVED:
        if lead is None:
            raise ValidationFailed(_("预留需指定线索"), fields={"lead_id": _("必填")})
        if not lead.is_open:
            raise Conflict(
                _("只能为进行中的线索预留载体"),
                code="lead_closed",
                fields={"lead_id": lead.reference},
            )
    if target in (S.LET, S.SOLD):
        offered = listing.for_rent if target is S.LET else listing.for_sale
        if not offered:
            raise Conflict(
                _("该载体不提供此交易方式（%(deals)s）", deals=", ".join(listing.deals)),
                code="deal_not_offered",
                fields={"to": target.value},
            )
        if lead is None and listing.reserved_for_lead_id is not None:
            lead = db.session.get(Lead, listing.reserved_for_lead_id)
        if lead is not None and lead.status not in SIGNED_STATUSES:
            raise Conflict(
                _("线索 %(ref)s 尚未签约，不能登记为已租/已售", ref=lead.reference),
                code="lead_not_won",
                fields={"lead_id": lead.reference},
            )
    previous_lead_id = listing.reserved_for_lead_id
    listing.status = target
    listing.updated_at = utcnow()
    if target is S.RESERVED:
        listing.reserved_for_lead_id = lead.id if lead is not None else None
    else:
        listing.reserved_for_lead_id = None
    if target in (S.LET, S.SOLD):
        listing.closed_with_lead_id = lead.id if lead is not None else None
    named = lead
    if named is None and previous_lead_id is not None and current is S.RESERVED:
        named = db.session.get(Lead, previous_lead_id)  # a reservation released
    event = _event(
        listing,
        ListingEventType.STATUS_CHANGED,
        by,
        reason=reason,
        from_status=current,
        to_status=target,
        lead_id=named.id if named is not None else None,
    )
    if named is not None:
        action = "released" if target not in (S.RESERVED, S.LET, S.SOLD) else target.value
        leads.record_listing_activity(
            named,
            action,
            {"id": listing.id, "title": listing.title, "kind": listing.kind.value},
            agent_id=by.id if by is not None else None,
            note=reason,
        )
    db.session.flush()
    if target is S.AVAILABLE:
        enqueue_after_commit(NOTIFY_TASK, listing.id)
    return event


def reserve_for_lead(
    listing_id: int | str,
    lead: Lead,
    *,
    by: Agent,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ListingEvent:
    """Hold a listing for `lead`: locks the listing's row, so of two concurrent reservations
    exactly one wins and the other gets 409 (already reserved). Caller commits."""
    listing = get_listing(listing_id, for_update=True)
    if listing.status is S.RESERVED:
        holder = listing.reserved_for_lead_id
        raise Conflict(
            _("该载体已为其他线索预留") if holder != lead.id else _("该载体已为此线索预留"),
            code="already_reserved",
            fields={"status": listing.status.value},
        )
    if listing.status is not S.AVAILABLE:
        raise Conflict(
            _("该载体当前不可预留（%(status)s）", status=listing.status.value),
            code="not_available",
            fields={"status": listing.status.value},
        )
    return change_status(
        listing, S.RESERVED, by=by, reason=reason, lead=lead, expected_version=expected_version
    )


def mark_let_or_sold(
    listing: Listing,
    to: ListingStatus | str,
    *,
    by: Agent | None,
    lead: Lead | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ListingEvent:
    """Record that the listing was let or sold, by default to the lead it is reserved for
    (which must have signed: won, landed or producing). Caller commits."""
    target = _status(to)
    if target not in (S.LET, S.SOLD):
        raise ValidationFailed(_("只能登记为已租或已售"), fields={"to": "let, sold"})
    return change_status(
        listing, target, by=by, reason=reason, lead=lead, expected_version=expected_version
    )


def close_reserved_for_won_lead(lead: Lead, *, by: Agent | None) -> list[ListingEvent]:
    """A lead has signed: mark each listing reserved for it let (or sold, when it is for sale
    only). For the lead's `won` transition; caller commits."""
    events = []
    for listing in reserved_for_lead(lead.id):
        locked = get_listing(listing.id, for_update=True)
        if locked.status is not S.RESERVED or locked.reserved_for_lead_id != lead.id:
            continue
        target = S.LET if locked.for_rent else S.SOLD
        events.append(change_status(locked, target, by=by, lead=lead))
    return events


def _status(value: ListingStatus | str) -> ListingStatus:
    try:
        return ListingStatus(value)
    except ValueError:
        raise ValidationFailed(
            _("未知状态 %(value)s", value=value),
            fields={"to": ", ".join(s.value for s in ListingStatus)},
        ) from None


def _reason(reason: Any) -> str | None:
    if reason is None or reason == "":
        return None
    if not isinstance(reason, str):
        raise ValidationFailed(_("部分字段不正确"), fields={"reason": _("应为文字")})
    reason = reason.strip()
    if len(reason) > 500:
        raise ValidationFailed(
            _("部分字段不正确"), fields={"reason": _("太长（最多 %(n)s）", n=500)}
        )
    return reason or None


def _event(
    listing: Listing,
    type_: ListingEventType,
    by: Agent | None,
    *,
    reason: str | None = None,
    from_status: ListingStatus | None = None,
    to_status: ListingStatus | None = None,
    lead_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> ListingEvent:
    event = ListingEvent(
        listing_id=listing.id,
        type=type_,
        from_status=from_status,
        to_status=to_status,
        lead_id=lead_id,
        agent_id=by.id if by is not None else None,
        actor="agent" if by is not None else "system",
        reason=reason,
        data=data or {},
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- photos ---------------------------------------------------------------------------------

# Image types by their first bytes (the name and the declared type are not trusted).
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or WebP image, or None."""
    for magic, content_type, ext in _MAGIC:
        if data.startswith(magic):
            return content_type, ext
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def photo_dir() -> Path:
    configured = current_app.config.get("LISTINGS_PHOTO_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "listing-photos"


def photo_max_bytes() -> int:
    return int(current_app.config["LISTINGS_PHOTO_MAX_BYTES"])


def _store(data: bytes, ext: str) -> str:
    """Write the bytes under their content hash (once); returns the file name."""
    name = f"{hashlib.sha256(data).hexdigest()[:40]}.{ext}"
    folder = photo_dir()
    target = folder / name
    if target.exists():
        return name
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def add_photo(
    listing: Listing,
    *,
    by: Agent | None,
    data: bytes | None = None,
    url: str | None = None,
    caption: str | None = None,
) -> ListingPhoto:
    """Add an uploaded image (`data`: JPEG, PNG or WebP by content, at most
    LISTINGS_PHOTO_MAX_BYTES, else 400/413) or an external `url`. Caller commits.

    The file is written before the commit under its content hash; a rolled-back upload
    leaves an unreferenced file, never a row without its file."""
    if (data is None) == (url is None):
        raise ValidationFailed(_("请上传图片或提供图片网址（二选一）"), fields={"file": _("必填")})
    position = db.session.scalar(
        select(func.coalesce(func.max(ListingPhoto.position), -1) + 1).where(
            ListingPhoto.listing_id == listing.id
        )
    )
    photo = ListingPhoto(listing_id=listing.id, position=position or 0, created_at=utcnow())
    photo.agent_id = by.id if by is not None else None
    if data is not None:
        limit = photo_max_bytes()
        if len(data) > limit:
            raise AppError(
                _(
                    "图片太大：最大 %(mb)s MB",
                    mb=f"{limit / 1024 / 1024:.1f}".rstrip("0").rstrip("."),
                ),
                status=413,
                code="payload_too_large",
                fields={"file": _("最大 %(n)s 字节", n=limit)},
            )
        sniffed = sniff_image(data)
        if sniffed is None:
            raise ValidationFailed(
                _("不是支持的图片：请上传 JPEG、PNG 或 WebP"),
                code="not_an_image",
                fields={"file": _("JPEG、PNG 或 WebP")},
            )
        photo.content_type, ext = sniffed
        photo.size_bytes = len(data)
        photo.file_name = _store(data, ext)
        photo.caption = parse_photo_url({"url": "https://x.invalid/", "caption": caption}).caption
    else:
        checked = parse_photo_url({"url": url, "caption": caption})
        photo.url = str(checked.url)
        photo.caption = checked.caption
    db.session.add(photo)
    db.session.flush()
    _event(
        listing,
        ListingEventType.PHOTO_ADDED,
        by,
        data={"photo_id": photo.id, "file_name": photo.file_name, "url": photo.url},
    )
    listing.updated_at = utcnow()
    db.session.flush()
    return photo


def remove_photo(listing: Listing, photo_id: int, *, by: Agent | None) -> None:
    """Remove one photo of the listing (404 when it has no such photo). The file stays while
    another row uses the same content. Caller commits."""
    photo = db.session.get(ListingPhoto, photo_id)
    if photo is None or photo.listing_id != listing.id:
        raise NotFound(_("该载体没有这张图片"))
    db.session.delete(photo)
    _event(
        listing,
        ListingEventType.PHOTO_REMOVED,
        by,
        data={"photo_id": photo_id, "file_name": photo.file_name, "url": photo.url},
    )
    listing.updated_at = utcnow()
    db.session.flush()


def photo_url(photo: ListingPhoto) -> str:
    if photo.url:
        return photo.url
    return f"/listings/photos/{photo.file_name}"


# --- matching -------------------------------------------------------------------------------


def _candidates_cap() -> int:
    return int(current_app.config["LISTINGS_MATCH_CANDIDATES"])


# Bounds that rule nothing out, so every lead of a shape runs the same statement.
_NO_MINIMUM = 0
_NO_MAXIMUM = 10**12


def _listing_candidates(lead: Any) -> list[Any]:
    """Available listings the lead's hard rules do not rule out in SQL: per kind, the ones
    nearest the lead's area from below (without an area: the smallest), and as many again
    within its district; LISTINGS_MATCH_CANDIDATES in all, in one statement. Rows of the
    matching columns only (numbers as floats)."""
    bounds = matching.listing_bounds(lead)
    districts = districts_raw(lead) if matching.districts_of(lead.district) else []
    stmt = _candidates_stmt(
        bounds.kinds, per_query=max(_candidates_cap() // (2 * len(bounds.kinds)), 10)
    )
    params: dict[str, Any] = {
        "need_rent": bool(bounds.for_rent),
        "need_sale": bool(bounds.for_sale),
        "min_available": bounds.min_available_m2 or _NO_MINIMUM,
        "max_split": bounds.max_split_m2 if bounds.max_split_m2 is not None else _NO_MAXIMUM,
        "districts": districts,  # none: the district half of the statement finds nothing
        **{f"min_{name}": _NO_MINIMUM for name in _MINIMUM_COLUMNS},
        **{f"min_{name}": value for name, value in bounds.minimums.items()},
    }
    rows = {row.id: row for row in db.session.execute(stmt, params)}
    return list(rows.values())


_MINIMUM_COLUMNS = ("ceiling_height_m", "crane_t", "power_kva", "floor_load_t_m2")


@functools.lru_cache(maxsize=64)
def _candidates_stmt(kinds: tuple[str, ...], *, per_query: int) -> Any:
    """The candidates statement for the kinds a lead accepts, built once: every bound is a
    parameter, neutral when the lead has none, so a handful of statements serve every lead
    (building and compiling a statement costs more than PostgreSQL takes to run it)."""
    columns = plain_columns(Listing, _MATCH_COLUMNS)
    split = func.coalesce(Listing.min_split_m2, Listing.available_m2)
    selects = []
    for kind in kinds:
        conditions = [
            Listing.status == ListingStatus.AVAILABLE,
            Listing.kind == kind,
            or_(Listing.for_rent.is_(True), not_(bindparam("need_rent", type_=Boolean()))),
            or_(Listing.for_sale.is_(True), not_(bindparam("need_sale", type_=Boolean()))),
            Listing.available_m2 >= bindparam("min_available"),
            split <= bindparam("max_split"),
        ]
        for column in _MINIMUM_COLUMNS:
            if kind == ListingKind.LAND and column != "power_kva":
                continue  # building figures do not apply to land
            attr = getattr(Listing, column)
            conditions.append(or_(attr.is_(None), attr >= bindparam(f"min_{column}")))
        districts = Listing.district.in_(bindparam("districts", expanding=True))
        for where in (and_(*conditions), and_(*conditions, districts)):
            query = select(*columns).where(where).order_by(Listing.available_m2.asc())
            selects.append(query.limit(per_query))
    return union_of(selects)


def districts_raw(lead: Any) -> list[str]:
    """The lead's districts as written (the SQL compares them with the listing's column)."""
    text = (lead.district or "").strip()
    parts = [p.strip() for p in matching._SEPARATORS.split(text) if p.strip()]
    return parts or [text]


def match_listings_for_lead(lead: Lead, *, limit: int = 10) -> list[tuple[Listing, matching.Match]]:
    """The `limit` available listings that fit `lead` best, best first, with score, reasons
    and warnings; listings a hard rule excludes are absent."""
    limit = max(1, min(limit, MAX_MATCHES))
    ranked = matching.rank(lead, _listing_candidates(lead), limit=limit)
    full = listings_by_id([row.id for row, _ in ranked])
    return [(full[row.id], match) for row, match in ranked if row.id in full]


def match_leads_for_listing(
    listing: Listing, *, limit: int = 10, viewer: Agent | None = None
) -> list[tuple[Lead, matching.Match]]:
    """The `limit` open leads `listing` fits best, best first (only those `viewer` may see,
    when given). The database rules out what it can (need type, deal, area, stated
    minimums, EIA) among the newest open leads of each need; the rest are scored here."""
    limit = max(1, min(limit, MAX_MATCHES))
    bounds = matching.lead_bounds(listing)
    rows = leads.open_lead_candidates(
        need_types=bounds.need_types,
        deals=bounds.deals,
        area_min_at_most=bounds.area_min_at_most,
        area_max_at_least=bounds.area_max_at_least,
        maximums=bounds.maximums,
        eia_categories=bounds.eia_categories,
        limit=_candidates_cap() * 4,
        viewer=viewer,
    )
    ranked = matching.rank_leads(listing, rows, limit=limit)
    full = leads.leads_by_id([row.id for row, _ in ranked])
    return [(full[row.id], match) for row, match in ranked if row.id in full]


def notify_matching_leads(listing_id: int) -> int:
    """Tell the agents of the listing's best open leads about it (once per listing and lead:
    the outbox's idempotency key). For the task queued when a listing is added or becomes
    available again; returns how many leads were told. Caller commits."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status is not ListingStatus.AVAILABLE:
        return 0
    count = int(current_app.config["LISTINGS_NOTIFY_TOP"])
    minimum = int(current_app.config["LISTINGS_NOTIFY_MIN_SCORE"])
    told = 0
    for lead, match in match_leads_for_listing(listing, limit=count):
        if match.score < minimum or lead.agent_id is None:
            continue
        agent = db.session.get(Agent, lead.agent_id)
        if agent is None or not agent.active:
            continue
        notify_agent(
            agent,
            kind="listing_match",
            cause=f"listing_match:{listing.id}:{lead.id}",
            template="notice",
            title=f"有新载体适合您跟进的客户（{lead.reference}）",
            lines=[
                ("编号", lead.reference),
                ("载体", listing.title),
                ("匹配度", f"{match.score}/100"),
                ("理由", "；".join(n.zh for n in match.reasons[:3]) or "—"),
            ],
            remark="请在线索页面查看匹配载体。",
            lead_id=lead.id,
        )
        told += 1
    return told


# --- serialising ----------------------------------------------------------------------------

_FIELDS = (
    "kind", "subtype", "land_term_years", "land_use", "title", "title_en", "description",
    "description_en", "park", "district", "address", "lat", "lng", "area_m2", "available_m2",
    "min_split_m2", "floors", "storey", "ceiling_height_m", "floor_load_t_m2", "crane_t",
    "power_kva", "fire_class", "eia_categories", "own_yard", "dormitory", "canteen",
    "truck_access", "excluded_industries", "plot_ratio_min", "plot_ratio_max",
    "min_investment_wan_per_mu", "min_tax_wan_per_mu", "rent_yuan_m2_month",
    "sale_price_yuan_m2", "sale_price_wan", "land_price_wan_per_mu",
    "property_fee_yuan_m2_month", "status", "reserved_for_lead_id", "closed_with_lead_id",
    "agent_id", "published", "version",
)  # fmt: skip


def listing_to_dict(
    listing: Listing, *, photos: Sequence[ListingPhoto] | None = None
) -> dict[str, Any]:
    """The listing's JSON (docs/listings.md "API" names), with `photos` when given."""
    data: dict[str, Any] = {"id": listing.id, "deals": [d.value for d in listing.deals]}
    data.update({name: _jsonable(getattr(listing, name)) for name in _FIELDS})
    data["area_mu"] = float(listing.area_mu)
    data["allowed_transitions"] = [s.value for s in TRANSITIONS[listing.status]]
    data["created_at"] = listing.created_at.isoformat()
    data["updated_at"] = listing.updated_at.isoformat()
    if photos is not None:
        data["photos"] = [photo_to_dict(p) for p in photos]
    return data


def photo_to_dict(photo: ListingPhoto) -> dict[str, Any]:
    return {
        "id": photo.id,
        "url": photo_url(photo),
        "uploaded": photo.file_name is not None,
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "caption": photo.caption,
        "position": photo.position,
    }


def event_to_dict(event: ListingEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type.value,
        "from_status": _jsonable(event.from_status),
        "to_status": _jsonable(event.to_status),
        "lead_id": event.lead_id,
        "agent_id": event.agent_id,
        "actor": event.actor,
        "reason": event.reason,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }


def match_to_dict(match: matching.Match, language: str) -> dict[str, Any]:
    """score, reasons and warnings (in `language`, zh or en) of one match."""
    return {
        "score": match.score,
        "reasons": [note.text(language) for note in match.reasons],
        "warnings": [note.text(language) for note in match.warnings],
    }


# === shortlists, public pages and supply (listings-ui; docs/listings.md "Pages") ============
# Kept in one block at the end so the pages' additions merge apart from the domain above.

SHORTLIST_MAX = 20
# A prospect reopening the link within this time is one visit on the lead's timeline.
SHORTLIST_VISIT_GAP = dt.timedelta(minutes=30)
# Area bands of the supply and demand report, in m² (upper bounds; the last is open).
AREA_BANDS: tuple[tuple[str, float | None], ...] = (
    ("<1000", 1000.0),
    ("1000-5000", 5000.0),
    ("5000-20000", 20000.0),
    ("20000-66667", 66667.0),  # up to 100 亩
    (">66667", None),
)


def area_band(area_m2: Any) -> str | None:
    """The band of `area_m2` (None when unknown)."""
    if area_m2 is None:
        return None
    value = float(area_m2)
    for name, upper in AREA_BANDS:
        if upper is None or value < upper:
            return name
    return None  # pragma: no cover - the last band is open


def _locked_lead(lead_id: int) -> Lead | None:
    """The lead, its row locked and reloaded (its timeline and activity time change; a
    worker routing it at the same moment waits instead of making this write stale)."""
    lead = leads.leads_by_id([lead_id]).get(lead_id)
    if lead is not None:
        activity.lock_leads(lead)
    return lead


def _listing_ref(listing: Listing) -> dict[str, Any]:
    return {"id": listing.id, "title": listing.title}


def create_shortlist(lead: Lead, listing_ids: Sequence[Any], *, by: Agent | None) -> Shortlist:
    """A shortlist of `listing_ids` (in that order, duplicates dropped) for `lead`, behind a
    new unguessable token. Unknown ids or an empty choice answer 400."""
    ids: list[int] = []
    for raw in listing_ids:
        text = str(raw).strip()
        if not text.isdigit():
            raise ValidationFailed(_("请选择载体"), fields={"listing_ids": _("载体编号不正确")})
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise ValidationFailed(
            _("请至少选择一个载体"), fields={"listing_ids": _("请至少选择一个载体")}
        )
    if len(ids) > SHORTLIST_MAX:
        raise ValidationFailed(
            _("一份推荐清单最多 %(n)s 个载体", n=SHORTLIST_MAX),
            fields={"listing_ids": _("一份推荐清单最多 %(n)s 个载体", n=SHORTLIST_MAX)},
        )
    found = listings_by_id(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(_("没有这个载体"), fields={"listing_ids": _("没有这个载体")})
    shortlist = Shortlist(
        token=secrets.token_urlsafe(24),
        lead_id=lead.id,
        listing_ids=ids,
        created_by=by.id if by else None,
        revoked=False,
        created_at=utcnow(),
    )
    db.session.add(shortlist)
    db.session.flush()
    return shortlist


def shortlists_for_lead(lead_id: int) -> list[Shortlist]:
    return list(
        db.session.scalars(
            select(Shortlist).where(Shortlist.lead_id == lead_id).order_by(Shortlist.id.desc())
        )
    )


def get_shortlist(token: str, *, for_update: bool = False) -> Shortlist:
    """The live shortlist behind `token`; unknown or revoked: 404 with a clear message."""
    stmt = select(Shortlist).where(Shortlist.token == (token or "")[:64])
    if for_update:
        stmt = stmt.with_for_update()
    shortlist = db.session.scalars(stmt).first()
    if shortlist is None:
        raise NotFound(_("这个推荐链接不存在，请向招商顾问索取新的链接"), code="unknown_shortlist")
    if shortlist.revoked:
        raise NotFound(_("这个推荐链接已失效，请向招商顾问索取新的链接"), code="revoked_shortlist")
    return shortlist


def shortlist_listings(shortlist: Shortlist) -> list[Listing]:
    """The shortlist's listings still shown to prospects (published, not withdrawn)."""
    found = listings_by_id(list(shortlist.listing_ids or []))
    return [
        found[i]
        for i in shortlist.listing_ids or []
        if i in found and found[i].published and found[i].status != ListingStatus.WITHDRAWN
    ]


def open_shortlist(token: str) -> tuple[Shortlist, list[Listing]]:
    """The prospect opened the link: `opened_at` set the first time, a visit recorded on the
    lead's timeline (once per `SHORTLIST_VISIT_GAP`)."""
    shortlist = get_shortlist(token, for_update=True)
    shown = shortlist_listings(shortlist)
    now = utcnow()
    last = shortlist.visited_at
    if last is None or now - last > SHORTLIST_VISIT_GAP:
        lead = _locked_lead(shortlist.lead_id)
        if lead is not None:
            titles = "、".join(listing.title for listing in shown)[:200]
            leads.record_listing_activity(
                lead,
                "shortlist_opened",
                {"shortlist_id": shortlist.id, "title": titles},
                agent_id=None,
            )
        shortlist.visited_at = now
    if shortlist.opened_at is None:
        shortlist.opened_at = now
    db.session.flush()
    return shortlist, shown


def record_shortlist_click(token: str, listing_id: int) -> Listing:
    """The prospect opened one listing of the shortlist: recorded on the lead's timeline."""
    shortlist = get_shortlist(token)
    if listing_id not in (shortlist.listing_ids or []):
        raise NotFound(_("没有这个载体"))
    listing = get_listing(listing_id)
    lead = _locked_lead(shortlist.lead_id)
    if lead is not None:
        leads.record_listing_activity(
            lead, "shortlist_clicked", _listing_ref(listing), agent_id=None
        )
    return listing


def revoke_shortlist(shortlist_id: int, lead: Lead, *, by: Agent | None) -> Shortlist:
    shortlist = db.session.get(Shortlist, shortlist_id)
    if shortlist is None or shortlist.lead_id != lead.id:
        raise NotFound(_("没有这份推荐清单"))
    shortlist.revoked = True
    db.session.flush()
    return shortlist


def count_fitting_listings(lead: Lead) -> int:
    """How many available listings fit `lead` (up to MAX_MATCHES)."""
    return len(match_listings_for_lead(lead, limit=MAX_MATCHES))


def shortlist_for_bot(lead: Lead, *, limit: int = 5) -> tuple[int, Shortlist | None]:
    """For the WeChat bot: how many listings fit `lead` and a shortlist of its best published
    ones (None when none fits)."""
    found = match_listings_for_lead(lead, limit=MAX_MATCHES)
    published = [listing.id for listing, _m in found if listing.published][:limit]
    if not published:
        return len(found), None
    return len(found), create_shortlist(lead, published, by=None)


def supply_by_band() -> list[dict[str, Any]]:
    """Available listings by kind, district and area band (`AREA_BANDS`, of the available
    area): `[{kind, district, band, listings, available_m2}]` (the supply half of the supply
    and demand report); grouped in SQL."""
    band = case(
        *((Listing.available_m2 < upper, name) for name, upper in AREA_BANDS if upper),
        else_=AREA_BANDS[-1][0],
    )
    rows = db.session.execute(
        select(Listing.kind, Listing.district, band, func.count(), func.sum(Listing.available_m2))
        .where(Listing.status == ListingStatus.AVAILABLE)
        .group_by(Listing.kind, Listing.district, band)
    )
    return sorted(
        (
            {"kind": str(kind.value if hasattr(kind, "value") else kind),
             "district": district or "", "band": name, "listings": int(count),
             "available_m2": round(float(total or 0), 2)}
            for kind, district, name, count, total in rows
        ),
        key=lambda r: (r["kind"], r["district"], r["band"]),
    )  # fmt: skip


def shortlist_article(shortlist: Shortlist, link: str, image: str | None) -> dict[str, str]:
    """The news card of a shortlist: one article (WeChat shows one per news message)."""
    shown = shortlist_listings(shortlist)
    titles = "、".join(listing.title for listing in shown[:3])
    return {
        "title": _("为您推荐的 %(n)s 个载体", n=len(shown)),
        "description": titles[:120],
        "url": link,
        "image": image or "",
    }


def send_shortlist(
    lead: Lead, shortlist: Shortlist, link: str, *, by: Agent, image: str | None = None
) -> bool:
    """Deliver the shortlist to the lead's prospect as a WeChat news card when the 48-hour
    window allows (outbox, channel wechat_cs) and record it on the lead's timeline. False:
    no WeChat follower or no window; the agent sends the link another way."""
    window = activity.wechat_window(lead)
    if window.openid is None or window.expires_at is None or window.remaining <= 0:
        return False
    if image is None:
        first = shortlist_listings(shortlist)[:1]
        photos = listing_photos([first[0].id]).get(first[0].id, []) if first else []
        image = urljoin(link, photo_url(photos[0])) if photos else None
    article = shortlist_article(shortlist, link, image)
    queue_prospect_news(lead, article, cause=f"shortlist:{shortlist.id}", agent_id=by.id)
    leads.record_listing_activity(
        lead,
        "shortlist_sent",
        {"shortlist_id": shortlist.id, "title": article["description"]},
        agent_id=by.id,
    )
    return True


def record_shortlist_interest(shortlist: Shortlist, listing: Listing) -> None:
    """The prospect pressed 我有意向 on a listing of their shortlist."""
    lead = _locked_lead(shortlist.lead_id)
    if lead is not None:
        leads.record_listing_activity(lead, "interested", _listing_ref(listing), agent_id=None)
