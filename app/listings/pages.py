"""The listings pages of the workspace (`/app/listings...`) and the 匹配载体 panel of the lead
page (docs/listings.md "Pages"). Session login and CSRF like every /app page; each action
calls a service function of app.listings and commits once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import ValidationError as CsrfInvalid

from app.accounts.models import Agent, Role
from app.accounts.pages_auth import csrf, role_required
from app.core import messages
from app.core.db import db
from app.core.errors import AppError, NotFound, ValidationFailed
from app.core.i18n import current_language
from app.leads import service as leads
from app.leads.models import Lead
from app.listings import bulk, service
from app.listings.flashes import flash_failure
from app.listings.labels import FIELD_NAMES, listing_label, mu, num
from app.listings.models import (
    SUBTYPES_BY_KIND,
    FireClass,
    ListingDeal,
    ListingKind,
    ListingStatus,
)

bp = Blueprint("listing_pages", __name__, url_prefix="/app", template_folder="templates")
PageResult = ResponseReturnValue
PAGE = 30

# The fields of the listing form (docs/listings.md "The listing").
TEXT_FIELDS = ("title", "title_en", "description", "park", "district", "address")
FORM_NUMBERS = (
    "area_m2", "available_m2", "min_split_m2", "floors", "storey", "ceiling_height_m",
    "floor_load_t_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_price_yuan_m2",
    "land_price_wan_per_mu", "property_fee_yuan_m2_month", "min_investment_wan_per_mu",
    "min_tax_wan_per_mu", "land_term_years", "lat", "lng",
)  # fmt: skip
FLAGS = ("own_yard", "dormitory", "canteen", "truck_access")


def me() -> Agent:
    return current_user._get_current_object()


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """`listing_label`, `mu`, `num` everywhere."""
    return {
        "listing_label": listing_label,
        "mu": mu,
        "num": num,
        "field_names": FIELD_NAMES,
    }


def _visible_lead(key: str | int, *, for_update: bool = False) -> Lead:
    """A lead the user may see, or 404 with the sentence in the user's language."""
    try:
        return leads.get_visible_lead(me(), key, for_update=for_update)
    except NotFound:
        raise NotFound(_("找不到这条线索")) from None


def _version() -> int | None:
    raw = (request.form.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


# --- the list --------------------------------------------------------------------------------


def _query() -> service.ListingQuery:
    args = request.args
    kind = args.get("kind") or None
    status = args.get("status") or None
    if kind and kind not in {k.value for k in ListingKind}:
        raise ValidationFailed(_("没有这个载体类型"), fields={"kind": _("没有这个载体类型")})
    if status and status not in {s.value for s in ListingStatus}:
        raise ValidationFailed(_("没有这个状态"), fields={"status": _("没有这个状态")})
    return service.ListingQuery(
        kind=ListingKind(kind) if kind else None,
        district=(args.get("district") or "").strip() or None,
        status=(ListingStatus(status),) if status else None,
        q=(args.get("q") or "").strip() or None,
    )


@bp.get("/listings")
@role_required()
def listings() -> PageResult:
    try:
        query = _query()
        items, next_cursor = service.list_listings(
            query, limit=PAGE, cursor=request.args.get("cursor") or None
        )
    except AppError as exc:
        flash_failure(exc)
        return redirect(url_for("listing_pages.listings"))
    keep = [(k, v) for k, v in request.args.items() if k != "cursor" and v]
    return render_template(
        "listings/list.html",
        items=items,
        photos=service.listing_photos([i.id for i in items]),
        next_query=urlencode([*keep, ("cursor", next_cursor)]) if next_cursor else None,
        export_query=urlencode(keep),
        kinds=list(ListingKind),
        statuses=list(ListingStatus),
        can_manage=service.may_manage(me()),
    )


# --- create and edit -------------------------------------------------------------------------


def form_payload(form: Any) -> dict[str, Any]:
    """The listing form as the fields of `ListingIn` (empty inputs are None)."""
    payload: dict[str, Any] = {}
    for name in ("kind", "subtype", "fire_class", "land_use", *TEXT_FIELDS, *FORM_NUMBERS):
        value = (form.get(name) or "").strip()
        payload[name] = value or None
    payload["deals"] = form.getlist("deals") or [ListingDeal.RENT.value]
    payload["eia_categories"] = form.get("eia_categories") or []
    payload["excluded_industries"] = form.get("excluded_industries") or []
    for name in FLAGS:
        raw = form.get(name) or ""
        payload[name] = {"yes": True, "no": False}.get(raw)
    payload["published"] = form.get("published") == "on"
    return payload


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "kinds": list(ListingKind),
        "subtypes": SUBTYPES_BY_KIND,
        "deals": list(ListingDeal),
        "fire_classes": list(FireClass),
        "numbers": FORM_NUMBERS,
        "flags": FLAGS,
        **extra,
    }


@bp.route("/listings/new", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.LEAD)
def new_listing() -> PageResult:
    if request.method == "GET":
        return render_template("listings/form.html", **_form_context(values={}, errors={}))
    try:
        listing = service.create_listing(form_payload(request.form), by=me())
        db.session.commit()
    except AppError as exc:
        flash_failure(exc)
        return render_template(
            "listings/form.html",
            **_form_context(values=request.form, errors=messages.fields_text(exc.fields)),
        ), exc.status
    flash(_("已创建载体 %(title)s", title=listing.title), "info")
    return redirect(url_for("listing_pages.detail", listing_id=listing.id), 303)


def render_detail(listing_id: int, status: int = 200, **extra: Any) -> tuple[str, int]:
    listing = service.get_listing(listing_id)
    viewer = me()
    fits = service.match_leads_for_listing(listing, limit=10, viewer=viewer)
    lead_ids = {e.lead_id for e in service.listing_events(listing) if e.lead_id}
    if listing.reserved_for_lead_id:
        lead_ids.add(listing.reserved_for_lead_id)
    return render_template(
        "listings/detail.html",
        listing=listing,
        photos=service.listing_photos([listing.id]).get(listing.id, []),
        history=service.listing_events(listing),
        history_leads=leads.leads_by_id(sorted(lead_ids)),
        agents=leads.agents_by_id(
            {e.agent_id for e in service.listing_events(listing) if e.agent_id is not None}
        ),
        transitions=service.allowed_transitions(listing.status),
        fits=fits,
        language=current_language(),
        can_manage=service.may_manage(viewer, listing),
        photo_url=service.photo_url,
        **_form_context(values=extra.pop("values", None), errors=extra.pop("errors", {})),
        **extra,
    ), status


@bp.get("/listings/<int:listing_id>")
@role_required()
def detail(listing_id: int) -> PageResult:
    return render_detail(listing_id)


def _listing_act(
    listing_id: int, action: Any, *, refill: bool = False, first: Any = None
) -> PageResult:
    """Run `action(listing)` on the locked listing and commit; back to its page with the
    message `action` returns, or its page again with what went wrong (`refill`: the form
    with its field errors). `first()` runs before the listing is locked (a lead's row: lead
    rows are locked before listing rows everywhere)."""
    try:
        if first is not None:
            first()
        listing = service.get_listing(listing_id, for_update=True)
        message = action(listing)
        db.session.commit()
    except AppError as exc:
        flash_failure(exc)
        if refill:
            errors = messages.fields_text(exc.fields)
            return render_detail(listing_id, exc.status, values=request.form, errors=errors)
        return render_detail(listing_id, exc.status)
    flash(message, "info")
    return redirect(url_for("listing_pages.detail", listing_id=listing_id), 303)


@bp.post("/listings/<int:listing_id>/edit")
@role_required()
def edit(listing_id: int) -> PageResult:
    def action(listing: Any) -> str:
        service.require_manager(me(), listing)
        changed = service.update_listing(
            listing, form_payload(request.form), by=me(), expected_version=_version()
        )
        return _("已保存") if changed else _("没有修改")

    return _listing_act(listing_id, action, refill=True)


@bp.post("/listings/<int:listing_id>/status")
@role_required()
def change_status(listing_id: int) -> PageResult:
    to = request.form.get("to") or ""
    raw_lead = (request.form.get("lead_id") or "").strip()
    named: list[Lead] = []

    def lock_lead() -> None:
        if raw_lead:
            named.append(_visible_lead(raw_lead, for_update=True))

    def action(listing: Any) -> str:
        lead = named[0] if named else None
        if not (to == ListingStatus.RESERVED.value and lead is not None):
            service.require_manager(me(), listing)
        service.change_status(
            listing, to, by=me(), reason=request.form.get("reason"), lead=lead,
            expected_version=_version(),
        )  # fmt: skip
        return _("状态已变更为 %(status)s", status=listing_label(listing.status))

    return _listing_act(listing_id, action, first=lock_lead)


def _too_large() -> bool:
    limit = service.photo_max_bytes() + 64 * 1024
    return request.content_length is not None and request.content_length > limit


@bp.post("/listings/<int:listing_id>/photos")
@csrf.exempt  # checked below, once the body limit of a photo is in place
@role_required()
def add_photo(listing_id: int) -> PageResult:
    if _too_large():
        # The body is not read at all: an empty form, so nothing (the language choice reads
        # `lang` from the form) tries to parse 50 MB.
        request.__dict__["form"] = request.__dict__["files"] = ImmutableMultiDict()
        flash(_("图片不能超过 %(mb)s MB", mb=service.photo_max_bytes() // (1024 * 1024)), "error")
        return render_detail(listing_id, 413)
    request.max_content_length = service.photo_max_bytes() + 64 * 1024
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CsrfInvalid:
        return render_template("error.html", status=400, message=_("页面已过期，请刷新后重试")), 400

    def action(listing: Any) -> str:
        service.require_manager(me(), listing)
        upload = request.files.get("file")
        url = (request.form.get("url") or "").strip()
        caption = request.form.get("caption")
        if upload is not None and upload.filename:
            data = upload.stream.read(service.photo_max_bytes() + 1)
            service.add_photo(listing, by=me(), data=data, caption=caption)
        elif url:
            service.add_photo(listing, by=me(), url=url, caption=caption)
        else:
            raise ValidationFailed(
                _("请上传图片或提供图片网址（二选一）"), fields={"file": _("必填")}
            )
        return _("已添加照片")

    return _listing_act(listing_id, action)


@bp.post("/listings/<int:listing_id>/photos/<int:photo_id>/delete")
@role_required()
def remove_photo(listing_id: int, photo_id: int) -> PageResult:
    def action(listing: Any) -> str:
        service.require_manager(me(), listing)
        service.remove_photo(listing, photo_id, by=me())
        return _("已删除照片")

    return _listing_act(listing_id, action)


# --- import and export -----------------------------------------------------------------------


@bp.get("/listings/export")
@role_required(Role.ADMIN, Role.LEAD)
def export() -> PageResult:
    try:
        return bulk.export_response(_query(), request.args.get("format", "csv"))
    except AppError as exc:
        flash_failure(exc)
        return redirect(url_for("listing_pages.listings"))


@bp.get("/listings/import/template")
@role_required(Role.ADMIN, Role.LEAD)
def import_template() -> Response:
    return bulk.template_response(request.args.get("format", "csv"))


@bp.route("/listings/import", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the larger body limit of an upload is in place
@role_required(Role.ADMIN, Role.LEAD)
def import_listings() -> PageResult:
    if request.method == "GET":
        return render_template("listings/import.html", report=None, columns=bulk.COLUMNS)
    request.max_content_length = bulk.MAX_IMPORT_BYTES + 64 * 1024
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CsrfInvalid:
        return render_template("error.html", status=400, message=_("页面已过期，请刷新后重试")), 400
    dry_run = request.form.get("action") != "import"
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_("请选择要导入的文件"), fields={"file": _("必填")})
        report = bulk.import_listings(
            upload.read(bulk.MAX_IMPORT_BYTES + 1), by=me(), dry_run=dry_run
        )
    except AppError as exc:
        flash_failure(exc)
        return render_template(
            "listings/import.html",
            report=exc.extra.get("report"),
            columns=bulk.COLUMNS,
        ), exc.status
    if not dry_run:
        db.session.commit()
        flash(_("已导入 %(n)s 个载体", n=report["created"]), "info")
    return render_template("listings/import.html", report=report, columns=bulk.COLUMNS)
