"""The prospects' listing pages (docs/listings.md "Public pages"): the index `/listings`, a
listing `/listings/<id>` with its Open Graph card and 我有意向, and a lead's shortlist
`/s/<token>` (no login; opening and clicks recorded on the lead's timeline).

No session is needed: the forms are exempt from CSRF like the public enquiry form, rate
limited like it, and the answer to 我有意向 is the same whether the phone number had an open
lead or not (it never reveals another prospect's lead).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from app.core import messages
from app.core.db import db
from app.core.errors import AppError, NotFound, ValidationFailed
from app.core.limiter import intake_limit
from app.leads import service as leads
from app.leads.models import Channel
from app.leads.schemas import parse_enquiry_payload
from app.listings import service
from app.listings.models import Listing, ListingKind, ListingStatus, Shortlist

bp = Blueprint("listing_public", __name__, template_folder="templates")
PAGE = 20
# A listing's kind as the need of an enquiry made from its page.
NEED_FOR_KIND = {
    ListingKind.LAND: "land",
    ListingKind.FACTORY: "factory",
    ListingKind.WAREHOUSE: "warehouse",
    ListingKind.OFFICE: "office",
    ListingKind.INCUBATOR: "incubator",
}


def _not_found(message: str) -> tuple[str, int]:
    return render_template("listings/public_error.html", message=message), 404


def _public_listing(listing_id: int) -> Listing:
    """A listing prospects may see: published and not withdrawn."""
    try:
        listing = service.get_listing(listing_id)
    except AppError:
        listing = None
    if listing is None or not listing.published or listing.status == ListingStatus.WITHDRAWN:
        raise NotFound(_("这个载体不存在或已下架"), code="unknown_listing")
    return listing


def _absolute(url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("http://", "https://")) else request.host_url.rstrip("/") + url


def _first_photo_urls(listings: list[Listing]) -> dict[int, str]:
    photos = service.listing_photos([listing.id for listing in listings])
    return {i: service.photo_url(found[0]) for i, found in photos.items() if found}


@bp.get("/listings")
def index() -> tuple[str, int]:
    args = request.args
    kind = args.get("kind") or None
    if kind not in {None, *(k.value for k in ListingKind)}:
        kind = None
    query = service.ListingQuery(
        kind=ListingKind(kind) if kind else None,
        district=(args.get("district") or "").strip() or None,
        status=(ListingStatus.AVAILABLE,),
        q=(args.get("q") or "").strip() or None,
        published=True,
    )
    try:
        items, next_cursor = service.list_listings(
            query, limit=PAGE, cursor=args.get("cursor") or None
        )
    except AppError:
        items, next_cursor = [], None
    keep = [(k, v) for k, v in args.items() if k != "cursor" and v]
    return render_template(
        "listings/public_index.html",
        items=items,
        covers=_first_photo_urls(items),
        kinds=list(ListingKind),
        next_query=urlencode([*keep, ("cursor", next_cursor)]) if next_cursor else None,
    ), 200


def _render_listing(
    listing: Listing, *, token: str | None = None, status: int = 200, **extra: Any
) -> tuple[str, int]:
    photos = service.listing_photos([listing.id]).get(listing.id, [])
    page_url = url_for("listing_public.listing", listing_id=listing.id, _external=True)
    description = " · ".join(
        part
        for part in (
            listing.park or listing.district,
            f"{float(listing.available_m2):,.0f} ㎡",
            f"{listing.rent_yuan_m2_month} 元/㎡/月" if listing.rent_yuan_m2_month else None,
        )
        if part
    )
    return render_template(
        "listings/public_listing.html",
        listing=listing,
        photos=[service.photo_url(p) for p in photos],
        og={
            "title": listing.title,
            "description": description,
            "image": _absolute(service.photo_url(photos[0])) if photos else None,
            "url": page_url,
        },
        token=token,
        form=request.form if request.method == "POST" else {},
        errors=extra.pop("errors", {}),
        **extra,
    ), status


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> tuple[str, int]:
    try:
        found = _public_listing(listing_id)
    except AppError as exc:
        return _not_found(exc.message)
    return _render_listing(found)


@bp.post("/listings/<int:listing_id>/interest")
@intake_limit
def interest(listing_id: int) -> tuple[str, int]:
    """我有意向: an enquiry through the leads' public intake (joins the open lead with the same
    phone, or creates one); from a shortlist, a note on the shortlist's lead."""
    try:
        found = _public_listing(listing_id)
    except AppError as exc:
        return _not_found(exc.message)
    token = (request.form.get("token") or "").strip()
    if token:
        try:
            shortlist = service.get_shortlist(token)
            service.record_shortlist_interest(shortlist, found)
        except AppError as exc:
            db.session.rollback()
            return _not_found(exc.message)
        db.session.commit()
        return _render_listing(found, token=token, done=True)
    form = request.form
    if (form.get("website") or "").strip():  # the honeypot
        return _render_listing(found, done=True)
    text = _("对载体「%(title)s」（编号 %(id)s）有意向", title=found.title, id=found.id)
    note = (form.get("message") or "").strip()
    payload = {
        "need_type": NEED_FOR_KIND.get(found.kind, "other"),
        "district": found.district or None,
        "company": (form.get("company") or "").strip() or None,
        "contact_name": (form.get("contact_name") or "").strip() or None,
        "phone": (form.get("phone") or "").strip() or None,
        "message": f"{text}\n{note}" if note else text,
    }
    try:
        if not payload["phone"]:
            raise ValidationFailed(_("请填写手机号"), fields={"phone": _("请填写手机号")})
        enquiry = parse_enquiry_payload({k: v for k, v in payload.items() if v is not None})
    except ValidationFailed as exc:
        errors = messages.fields_text(exc.fields)
        return _render_listing(found, status=400, errors=errors)
    leads.submit_enquiry(
        enquiry, channel=Channel.WEB_FORM, source={"form": "listing", "listing_id": found.id}
    )
    db.session.commit()
    # The same answer whether the phone had an open lead or not.
    return _render_listing(found, done=True)


# --- shortlists ------------------------------------------------------------------------------


@bp.get("/s/<token>")
def shortlist(token: str) -> tuple[str, int]:
    try:
        found, shown = service.open_shortlist(token)
    except AppError as exc:
        db.session.rollback()
        return _not_found(exc.message)
    db.session.commit()
    return render_template(
        "listings/public_shortlist.html",
        shortlist=found,
        items=shown,
        covers=_first_photo_urls(shown),
        token=token,
    ), 200


@bp.get("/s/<token>/<int:listing_id>")
def shortlist_listing(token: str, listing_id: int) -> tuple[str, int]:
    try:
        found: Shortlist = service.get_shortlist(token)
        shown = {listing.id for listing in service.shortlist_listings(found)}
        if listing_id not in shown:
            raise NotFound(_("这个载体不存在或已下架"))
        chosen = service.record_shortlist_click(token, listing_id)
    except AppError as exc:
        db.session.rollback()
        return _not_found(exc.message)
    db.session.commit()
    return _render_listing(chosen, token=token)
