"""JSON API for listings and matching (docs/listings.md), and the photo files.

Thin: parse, call `app.listings.service`, shape the answer. Bearer tokens; team leads and
admins manage listings, an agent the listings they are responsible for; any agent reserves a
listing for a lead they can see.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, send_from_directory
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as HTTPNotFound

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.core.apidoc import Page, api_doc
from app.core.db import db
from app.core.errors import NotFound, ValidationFailed
from app.core.http import bool_arg, int_arg, json_object
from app.core.i18n import current_language
from app.leads import service as leads
from app.leads.models import Lead
from app.leads.shapes import LEAD_KEY
from app.listings import service
from app.listings.models import ListingKind, ListingStatus
from app.listings.shapes import (
    LISTING_ID,
    LeadMatches,
    Listing,
    ListingCreate,
    ListingMatches,
    ListingPatch,
    ListingPhoto,
    ListingQuery,
    MatchQuery,
    PhotoLink,
    PhotoUpload,
    ReserveIn,
    StatusIn,
)

bp = Blueprint("listings_api", __name__)
files = Blueprint("listing_photos", __name__)

# Content-addressed names: <hex>.<ext>; anything else is not one of ours.
PHOTO_CACHE_SECONDS = 365 * 24 * 3600


def _enum_arg(name: str, enum_cls: Any) -> Any:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        raise ValidationFailed(
            _("部分字段不正确"),
            fields={name: _("应为以下之一：%(expected)s", expected=", ".join(enum_cls))},
        ) from None


def _statuses() -> tuple[ListingStatus, ...] | None:
    raw = (request.args.get("status") or "").strip()
    if not raw:
        return None
    statuses = []
    for part in raw.split(","):
        try:
            statuses.append(ListingStatus(part.strip()))
        except ValueError:
            raise ValidationFailed(
                _("部分字段不正确"),
                fields={
                    "status": _(
                        "应为以下之一：%(expected)s", expected=", ".join(s for s in ListingStatus)
                    )
                },
            ) from None
    return tuple(statuses)


def _published() -> bool | None:
    if (request.args.get("published") or "").strip().lower() == "any":
        return None
    return bool_arg("published")


def _version(body: dict[str, Any], *, required: bool) -> int | None:
    version = body.get("version")
    if version is None and not required:
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed(
            _("请附上读取时的版本号（version）"),
            fields={"version": _("必填，整数")},
        )
    return version


def _lead(raw: Any) -> Lead:
    """A lead the current agent may see, by id or reference."""
    if isinstance(raw, bool) or not isinstance(raw, int | str) or raw == "":
        raise ValidationFailed(_("部分字段不正确"), fields={"lead_id": _("线索编号或 ID")})
    return leads.get_visible_lead(current_agent(), str(raw), for_update=True)


def _detail(listing_id: int) -> dict[str, Any]:
    listing = service.get_listing(listing_id)
    photos = service.listing_photos([listing.id])[listing.id]
    data = service.listing_to_dict(listing, photos=photos)
    data["events"] = [service.event_to_dict(e) for e in service.listing_events(listing)]
    return data


@bp.get("/api/listings")
@api_doc(
    "Listings, newest first",
    tags="listings",
    auth=True,
    query=ListingQuery,
    responses={200: (Page[Listing], "A page of listings")},
    errors=(400, 401),
)
@require_token()
def list_listings() -> Any:
    filters = service.ListingQuery(
        kind=_enum_arg("kind", ListingKind),
        district=(request.args.get("district") or "").strip() or None,
        status=_statuses(),
        q=(request.args.get("q") or "").strip()[:100] or None,
        published=_published(),
        agent_id=int_arg("agent_id", 0, minimum=0, maximum=2**31 - 1) or None,
    )
    rows, next_cursor = service.list_listings(
        filters, limit=int_arg("limit", 50), cursor=request.args.get("cursor") or None
    )
    photos = service.listing_photos(row.id for row in rows)
    items = [service.listing_to_dict(row, photos=photos[row.id]) for row in rows]
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.post("/api/listings")
@api_doc(
    "Add a listing (team lead or admin); its best open leads' agents are told. `status` "
    "(default available; reserved with `lead_id`) is recorded as a status change",
    tags="listings",
    auth=True,
    body=ListingCreate,
    responses={201: Listing},
    errors=(400, 401, 403, 415),
)
@require_token(Role.LEAD, Role.ADMIN)
def create_listing() -> tuple[Any, int]:
    body = json_object()
    status, lead = _status_fields(body)
    with db.session.begin_nested():  # a status the rules refuse leaves no listing behind
        listing = service.create_listing(body, by=current_agent())
        _set_status(listing, status, lead, reason=None)
    db.session.commit()
    return jsonify(_detail(listing.id)), 201


def _status_fields(body: dict[str, Any]) -> tuple[ListingStatus | None, Lead | None]:
    """`status` (and the `lead_id` it may name) sent with a listing's fields, as a listing's
    JSON has them: taken out of `body` and checked before anything is written."""
    raw, lead_raw = body.pop("status", None), body.pop("lead_id", None)
    if raw in (None, ""):
        if lead_raw not in (None, ""):
            raise ValidationFailed(
                _("部分字段不正确"), fields={"lead_id": _("仅在改为预留、已租或已售时填写")}
            )
        return None, None
    try:
        status = ListingStatus(raw) if isinstance(raw, str) else None
    except ValueError:
        status = None
    if status is None:
        raise ValidationFailed(
            _("未知状态 %(value)s", value=raw),
            fields={"status": ", ".join(s.value for s in ListingStatus)},
        )
    return status, (_lead(lead_raw) if lead_raw not in (None, "") else None)


def _set_status(
    listing: Any, status: ListingStatus | None, lead: Lead | None, *, reason: Any
) -> None:
    """A status sent with the fields goes through the one place statuses change (its rules,
    its event); the listing's own status again is no change."""
    if status is not None and status is not listing.status:
        service.change_status(listing, status, by=current_agent(), reason=reason, lead=lead)


@bp.get("/api/listings/<listing_id>")
@api_doc(
    "One listing with photos and history",
    tags="listings",
    auth=True,
    path=LISTING_ID,
    responses={200: Listing},
    errors=(401, 404),
)
@require_token()
def get_listing(listing_id: str) -> Any:
    return jsonify(_detail(service.get_listing(listing_id).id))


@bp.patch("/api/listings/<listing_id>")
@api_doc(
    (
        "Change a listing's fields (validated with its other values) and, with `status` (and "
        "`lead_id`, `reason`), its status as POST …/status would; a stale `version` answers 409"
    ),
    tags="listings",
    auth=True,
    path=LISTING_ID,
    body=ListingPatch,
    responses={200: Listing},
    errors=(400, 401, 403, 404, 409),
)
@require_token()
def edit_listing(listing_id: str) -> Any:
    body = json_object()
    listing = service.get_listing(listing_id, for_update=True)
    service.require_manager(current_agent(), listing)
    version = _version(body, required=False)
    reason = body.pop("reason", None)
    status, lead = _status_fields(body)
    changes = {k: v for k, v in body.items() if k != "version"}
    if not changes and status is None:
        raise ValidationFailed(_("请至少提交一个要修改的字段"))
    if changes:
        service.update_listing(listing, changes, by=current_agent(), expected_version=version)
    else:
        service.check_version(listing, version)
    _set_status(listing, status, lead, reason=reason)
    db.session.commit()
    return jsonify(_detail(listing.id))


@bp.post("/api/listings/<listing_id>/status")
@api_doc(
    "Change the status (available, reserved, let, sold, withdrawn); recorded with who, why "
    "and which lead",
    tags="listings",
    auth=True,
    path=LISTING_ID,
    body=StatusIn,
    responses={200: Listing},
    errors=(400, 401, 403, 404, 409),
)
@require_token()
def change_status(listing_id: str) -> Any:
    """Any status change; `reserved` takes `lead_id`, `let`/`sold` an optional one."""
    body = json_object()
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ValidationFailed(_("请说明要改为哪个状态"), fields={"to": _("必填")})
    version = _version(body, required=False)
    agent = current_agent()
    lead = _lead(body["lead_id"]) if body.get("lead_id") not in (None, "") else None
    listing = service.get_listing(listing_id, for_update=True)
    if to == ListingStatus.RESERVED.value and lead is not None:
        pass  # any agent who can see the lead may reserve for it
    elif to in (ListingStatus.LET.value, ListingStatus.SOLD.value) and _agent_of_lead(
        agent, lead, listing
    ):
        pass  # the lead's own agent records the deal they closed
    else:
        service.require_manager(agent, listing)
    service.change_status(
        listing, to, by=agent, reason=body.get("reason"), lead=lead, expected_version=version
    )
    db.session.commit()
    return jsonify(_detail(listing.id))


def _agent_of_lead(agent: Any, lead: Lead | None, listing: Any) -> bool:
    lead_id = lead.id if lead is not None else listing.reserved_for_lead_id
    if lead_id is None:
        return False
    if lead is None:
        lead = leads.leads_by_id([lead_id]).get(lead_id)
    return lead is not None and lead.agent_id == agent.id


@bp.post("/api/listings/<listing_id>/reserve")
@api_doc(
    ("Reserve the listing for a lead you can see; of two at once one wins, the other gets 409"),
    tags="listings",
    auth=True,
    path=LISTING_ID,
    body=ReserveIn,
    responses={200: Listing},
    errors=(400, 401, 404, 409),
)
@require_token()
def reserve(listing_id: str) -> Any:
    """Hold the listing for a lead; of two at once, one wins and the other gets 409."""
    body = json_object()
    if body.get("lead_id") in (None, ""):
        raise ValidationFailed(_("预留需指定线索"), fields={"lead_id": _("必填")})
    lead = _lead(body["lead_id"])
    service.reserve_for_lead(
        listing_id,
        lead,
        by=current_agent(),
        reason=body.get("reason"),
        expected_version=_version(body, required=False),
    )
    db.session.commit()
    return jsonify(_detail(int(listing_id)))


@bp.post("/api/listings/<listing_id>/photos")
@api_doc(
    "Add a photo: multipart `file` (JPEG, PNG or WebP by content; 413 over "
    "LISTINGS_PHOTO_MAX_BYTES) and `caption`, or JSON {url, caption}",
    tags="listings",
    auth=True,
    path=LISTING_ID,
    body_media={"multipart/form-data": PhotoUpload, "application/json": PhotoLink},
    responses={201: ListingPhoto},
    errors=(400, 401, 403, 404, 413, 415),
)
@require_token()
def add_photo(listing_id: str) -> tuple[Any, int]:
    """multipart/form-data with `file` (and `caption`), or JSON {"url", "caption"}."""
    # The app's body limit is for JSON; a photo may be larger, up to its own limit.
    request.max_content_length = service.photo_max_bytes() + 64 * 1024
    listing = service.get_listing(listing_id, for_update=True)
    service.require_manager(current_agent(), listing)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                _("请上传图片或提供图片网址（二选一）"), fields={"file": _("必填")}
            )
        data = upload.stream.read(service.photo_max_bytes() + 1)
        photo = service.add_photo(
            listing, by=current_agent(), data=data, caption=request.form.get("caption")
        )
    else:
        body = json_object()
        if not isinstance(body.get("url"), str):
            raise ValidationFailed(_("部分字段不正确"), fields={"url": _("必填")})
        photo = service.add_photo(
            listing, by=current_agent(), url=body["url"], caption=body.get("caption")
        )
    db.session.commit()
    return jsonify(service.photo_to_dict(photo)), 201


@bp.delete("/api/listings/<listing_id>/photos/<int:photo_id>")
@api_doc(
    "Remove a photo",
    tags="listings",
    auth=True,
    path=LISTING_ID,
    responses={200: Listing},
    errors=(401, 403, 404),
)
@require_token()
def remove_photo(listing_id: str, photo_id: int) -> Any:
    listing = service.get_listing(listing_id, for_update=True)
    service.require_manager(current_agent(), listing)
    service.remove_photo(listing, photo_id, by=current_agent())
    db.session.commit()
    return jsonify(_detail(listing.id))


@bp.get("/api/listings/<listing_id>/matches")
@api_doc(
    "The open leads this listing fits best (that you can see), best first",
    tags="listings",
    auth=True,
    path=LISTING_ID,
    query=MatchQuery,
    responses={200: LeadMatches},
    errors=(400, 401, 404),
)
@require_token()
def listing_matches(listing_id: str) -> Any:
    """The open leads this listing fits best (of those the agent may see)."""
    listing = service.get_listing(listing_id)
    found = service.match_leads_for_listing(
        listing, limit=int_arg("limit", 10, maximum=service.MAX_MATCHES), viewer=current_agent()
    )
    language = current_language()
    agents = leads.agents_by_id({lead.agent_id for lead, _m in found if lead.agent_id})
    items = [
        {
            "lead": leads.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0)),
            **service.match_to_dict(match, language),
        }
        for lead, match in found
    ]
    return jsonify({"items": items})


@bp.get("/api/leads/<lead_key>/matches")
@api_doc(
    ("The available listings that fit this lead best, best first; excluded listings absent"),
    tags="listings",
    auth=True,
    path=LEAD_KEY,
    query=MatchQuery,
    responses={200: ListingMatches},
    errors=(400, 401, 404),
)
@require_token()
def lead_matches(lead_key: str) -> Any:
    """The available listings that fit this lead best, best first."""
    lead = leads.get_visible_lead(current_agent(), lead_key)
    found = service.match_listings_for_lead(
        lead, limit=int_arg("limit", 10, maximum=service.MAX_MATCHES)
    )
    language = current_language()
    photos = service.listing_photos(listing.id for listing, _m in found)
    items = [
        {
            "listing": service.listing_to_dict(listing, photos=photos[listing.id]),
            **service.match_to_dict(match, language),
        }
        for listing, match in found
    ]
    return jsonify({"items": items})


@files.get("/listings/photos/<name>")
def photo_file(name: str) -> Response:
    """An uploaded photo: immutable (its name is its content's hash), cached for a year."""
    stem, _dot, ext = name.partition(".")
    if not (stem.isalnum() and stem.isascii() and ext in ("jpg", "png", "webp")):
        raise NotFound(_("没有这张图片"))
    try:
        response = send_from_directory(
            service.photo_dir(), name, max_age=PHOTO_CACHE_SECONDS, conditional=True, etag=True
        )
    except HTTPNotFound:
        raise NotFound(_("没有这张图片")) from None
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
