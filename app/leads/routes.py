"""JSON API for leads: public intake, one lead and its transitions. The list and working on
leads are in `work_routes`, on the same `leads_api` blueprint (`app.leads.requests`)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.accounts.auth import current_agent, require_token
from app.core.apidoc import api_doc
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import json_object
from app.core.limiter import intake_limit
from app.leads import service
from app.leads.models import Channel, LeadStatus
from app.leads.requests import bp, lead_detail
from app.leads.schemas import EnquiryIn, parse_enquiry_payload
from app.leads.shapes import LEAD_KEY, IntakeResult, Lead, TransitionIn


def intake_response(receipt: service.Receipt) -> tuple[Any, int]:
    """The public receipt of this enquiry: the same shape, status and code whether or not the
    phone was known, and never another lead's id or reference (docs/security.md). `status`
    is the enquiry's as received (routing may already have moved the lead on)."""
    body = {
        "id": receipt.id,
        "reference": receipt.reference,
        "status": LeadStatus.NEW.value,
        "created": True,
    }
    return jsonify(body), 201


@bp.post("")
@api_doc(
    "Submit an enquiry (public)",
    description="Answers 201 with a receipt of this enquiry, the same whether or not the "
    "phone has an open lead: for a new phone the new lead's id and reference; for a known "
    "phone a receipt (a lead row of its own, merged at once into the open lead), never that "
    "lead's id, reference or data.",
    tags="leads",
    body=EnquiryIn,
    responses={201: IntakeResult},
    errors=(400, 413, 415, 429),
)
@intake_limit
def create_lead() -> tuple[Any, int]:
    payload = json_object()
    enquiry = parse_enquiry_payload(payload)
    if enquiry.website:
        raise ValidationFailed(
            "this submission looks automated and was not accepted",
            code="rejected",
            fields={"website": "must be empty"},
        )
    # The JSON endpoint is the web-form channel: landing pages post to it (docs/leads.md).
    receipt = service.receive_enquiry(enquiry, channel=Channel.WEB_FORM, source={"form": "api"})
    return intake_response(receipt)


@bp.get("/<lead_key>")
@api_doc(
    "One lead with its event timeline",
    tags="leads",
    auth=True,
    path=LEAD_KEY,
    responses={200: Lead},
    errors=(401, 404),
)
@require_token()
def get_lead(lead_key: str) -> Any:
    return jsonify(lead_detail(lead_key))


@bp.post("/<lead_key>/transitions")
@api_doc(
    "Move a lead to another stage (docs/leads.md, Lifecycle)",
    tags="leads",
    auth=True,
    path=LEAD_KEY,
    body=TransitionIn,
    responses={200: (Lead, "The lead after the change")},
    errors=(400, 401, 404, 409),
)
@require_token()
def transition(lead_key: str) -> Any:
    body = json_object()
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ValidationFailed("say which status to move to", fields={"to": "required"})
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationFailed("version must be a whole number", fields={"version": "integer"})
    for name in ("note", "reason"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise ValidationFailed(f"{name} must be text", fields={name: "text"})
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    service.transition(
        lead,
        to,
        agent=current_agent(),
        reason=body.get("reason"),
        note=(body.get("note") or None),
        expected_version=version,
    )
    db.session.commit()
    return jsonify(lead_detail(str(lead.id)))
