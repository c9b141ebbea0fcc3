"""JSON API for leads: public intake and the authenticated lead list/detail/transitions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts.auth import current_agent, require_token
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import int_arg, json_object
from app.core.limiter import intake_limit
from app.leads import service
from app.leads.models import Channel, LeadStatus, NeedType
from app.leads.queue import LeadQuery
from app.leads.schemas import normalize_phone, parse_enquiry_payload

bp = Blueprint("leads_api", __name__, url_prefix="/api/leads")


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
    db.session.commit()
    return intake_response(receipt)


def _status_filter() -> list[LeadStatus] | None:
    raw = request.args.get("status")
    if not raw:
        return None
    statuses = []
    for part in raw.split(","):
        try:
            statuses.append(LeadStatus(part.strip()))
        except ValueError:
            raise ValidationFailed(
                f"unknown status {part!r}",
                fields={"status": "one of " + ", ".join(s.value for s in LeadStatus)},
            ) from None
    return statuses


def _need_type_filter() -> NeedType | None:
    raw = (request.args.get("need_type") or "").strip()
    if not raw:
        return None
    try:
        return NeedType(raw)
    except ValueError:
        raise ValidationFailed(
            f"unknown need_type {raw!r}",
            fields={"need_type": "one of " + ", ".join(n.value for n in NeedType)},
        ) from None


@bp.get("")
@require_token()
def list_leads() -> Any:
    view = request.args.get("view")
    if view:
        return work_routes.list_view(view)  # the agent's queue or the team's pool
    phone = request.args.get("phone")
    if phone and phone[0] == " " and phone.strip()[:1].isdigit():
        phone = "+" + phone.strip()  # ?phone=+852...: an unencoded "+" arrives as a space
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise ValidationFailed(f"phone {exc}", fields={"phone": str(exc)}) from None
    statuses = _status_filter()
    filters = LeadQuery(
        status=tuple(statuses) if statuses else None,
        need_type=_need_type_filter(),
        district=request.args.get("district") or None,
        phone=phone,
        q=(request.args.get("q") or "").strip()[:100] or None,
        unassigned=request.args.get("unassigned") in ("1", "true"),
    )
    leads, next_cursor = service.list_leads(
        current_agent(), filters, limit=int_arg("limit", 50), cursor=request.args.get("cursor")
    )
    agents = service.agents_by_id({lead.agent_id for lead in leads if lead.agent_id})
    items = [service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0)) for lead in leads]
    return jsonify({"items": items, "next_cursor": next_cursor})


def _lead_detail(lead_key: str) -> dict[str, Any]:
    lead = service.get_visible_lead(current_agent(), lead_key)
    agents = service.agents_by_id({lead.agent_id} if lead.agent_id else set())
    data = service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0))
    data["events"] = [service.event_to_dict(e) for e in service.lead_events(lead)]
    return data


@bp.get("/<lead_key>")
@require_token()
def get_lead(lead_key: str) -> Any:
    return jsonify(_lead_detail(lead_key))


@bp.post("/<lead_key>/transitions")
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
    return jsonify(_lead_detail(str(lead.id)))


# Working on leads (queue and pool views, edits, notes, calls, import, export): same blueprint.
from app.leads import work_routes  # noqa: E402
