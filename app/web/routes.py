"""The public enquiry form (`/enquiry`): mobile-first, zh-CN by default, English by switch."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from app.core import messages
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.i18n import current_language
from app.core.limiter import intake_limit
from app.core.units import mu_to_m2
from app.leads import service
from app.leads.models import Channel, Deal, NeedType
from app.leads.schemas import parse_enquiry_payload
from app.settings import privacy_notice
from app.web.i18n import t

bp = Blueprint("web", __name__, template_folder="templates")

# The lead's requirements, in the form's 更多要求 section (docs/listings.md).
REQUIREMENT_FIELDS = (
    "ceiling_height_min_m", "crane_t", "power_kva", "floor_load_t_m2", "eia_category",
    "budget_rent_yuan_m2_month", "budget_land_wan_per_mu",
)  # fmt: skip
FORM_FIELDS = (
    "need_type", "deal", "industry", "tax_wan", "investment_wan", "district", "company",
    "contact_name", "phone", "wechat_id", "message", "utm_source", "utm_medium",
    "utm_campaign", "website", *REQUIREMENT_FIELDS,
)  # fmt: skip


def _area_in_m2(raw: str | None, unit: str) -> Any:
    """The form lets people type 亩; the lead stores m². Unparseable input is passed on
    unchanged so validation reports it."""
    if not raw or not raw.strip():
        return None
    if unit != "mu":
        return raw.strip()
    try:
        return str(mu_to_m2(Decimal(raw.strip())))
    except InvalidOperation:
        return raw.strip()


def form_payload(form: Any) -> dict[str, Any]:
    payload = {name: form.get(name) for name in FORM_FIELDS if form.get(name) not in (None, "")}
    unit = form.get("area_unit", "m2")
    payload["area_min_m2"] = _area_in_m2(form.get("area_min"), unit)
    payload["area_max_m2"] = _area_in_m2(form.get("area_max"), unit)
    return {k: v for k, v in payload.items() if v is not None}


def _render(status: int = 200, **context: Any) -> tuple[str, int]:
    lang = current_language()
    return render_template(
        "enquiry.html",
        lang=lang,
        t=t,
        need_types=list(NeedType),
        deals=list(Deal),
        requirement_fields=REQUIREMENT_FIELDS,
        form=request.form,
        # The consent notice (个人信息保护法), as the admin wrote it (docs/security.md).
        privacy_notice=privacy_notice.notice(lang),
        privacy_url=privacy_notice.policy_link(),
        **context,
    ), status


@bp.errorhandler(429)
def too_many(exc: TooManyRequests) -> tuple[str, int]:
    """The form again with what was typed, and when to try again (docs/i18n.md)."""
    if request.endpoint != "web.submit":
        raise exc
    text, status = _render(429, general_error=messages.error_text("rate_limited", "", 429))
    response = make_response(text, status)
    for name, value in exc.get_headers():
        if name == "Retry-After":
            response.headers[name] = value
    return response  # type: ignore[return-value]


@bp.get("/")
def index() -> Response:
    return redirect(url_for("web.enquiry"))


@bp.get("/enquiry")
def enquiry() -> tuple[str, int]:
    return _render()


@bp.post("/enquiry")
@intake_limit
def submit() -> tuple[str, int]:
    try:
        enquiry_in = parse_enquiry_payload(form_payload(request.form))
        if enquiry_in.website:
            raise ValidationFailed("rejected", fields={"website": "must be empty"})
    except ValidationFailed as exc:
        fields = dict(exc.fields)
        for src, dst in (("area_min_m2", "area_min"), ("area_max_m2", "area_max")):
            if src in fields:
                fields[dst] = fields.pop(src)
        # In the page's language (docs/i18n.md); the summary only when it says more.
        general = None if exc.message == "some fields are not valid" else exc.message
        return _render(
            400,
            errors=messages.fields_text(fields),
            general_error=general and messages.error_text(exc.code, general),
        )
    result = service.submit_enquiry(
        enquiry_in, channel=Channel.WEB_FORM, source={"form": "enquiry"}
    )
    db.session.commit()
    # The same page whether or not the phone was known (docs/security.md).
    return _render(201, result=result)
