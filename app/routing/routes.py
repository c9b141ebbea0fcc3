"""Routing JSON API: rules (admin), dry run (admin, team lead), the unassigned pool, claiming
and assigning leads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.core.apidoc import Page, api_doc
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import int_arg, json_body, json_object
from app.core.validation import parse
from app.leads import queue
from app.leads import service as leads
from app.leads import shapes as lead_shapes
from app.leads.models import Lead
from app.leads.shapes import LEAD_KEY
from app.leads.shapes import Lead as LeadShape
from app.routing import service
from app.routing.schemas import AssignIn, DryRunIn, ReorderIn, RuleIn, RulePatch
from app.routing.shapes import DryRunResult, PoolQuery, RoutingRule

bp = Blueprint("routing_api", __name__)
admin_only = require_token(Role.ADMIN)


@bp.get("/api/routing/rules")
@api_doc(
    "Routing rules in the order they are checked (admin)",
    tags="routing",
    auth=True,
    responses={200: (Page[RoutingRule], "Rules")},
    errors=(401, 403),
)
@admin_only
def list_rules() -> Any:
    items = [service.rule_to_dict(r) for r in service.list_rules()]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/api/routing/rules")
@api_doc(
    "Add a rule: conditions → a team (and strategy) or one agent (admin)",
    tags="routing",
    auth=True,
    body=RuleIn,
    responses={201: RoutingRule},
    errors=(400, 401, 403),
)
@admin_only
def create_rule() -> tuple[Any, int]:
    rule = service.create_rule(parse(RuleIn, json_body()))
    db.session.commit()
    return jsonify(service.rule_to_dict(rule)), 201


@bp.get("/api/routing/rules/<int:rule_id>")
@api_doc(
    "One rule (admin)",
    tags="routing",
    auth=True,
    responses={200: RoutingRule},
    errors=(401, 403, 404),
)
@admin_only
def get_rule(rule_id: int) -> Any:
    return jsonify(service.rule_to_dict(service.get_rule(rule_id)))


@bp.patch("/api/routing/rules/<int:rule_id>")
@api_doc(
    "Change a rule; fields left out keep their value (admin)",
    tags="routing",
    auth=True,
    body=RulePatch,
    responses={200: RoutingRule},
    errors=(400, 401, 403, 404),
)
@admin_only
def update_rule(rule_id: int) -> Any:
    rule = service.update_rule(rule_id, parse(RulePatch, json_body()))
    db.session.commit()
    return jsonify(service.rule_to_dict(rule))


@bp.delete("/api/routing/rules/<int:rule_id>")
@api_doc(
    "Delete a rule (admin)",
    tags="routing",
    auth=True,
    responses={204: "Deleted"},
    errors=(401, 403, 404),
)
@admin_only
def delete_rule(rule_id: int) -> tuple[str, int]:
    service.delete_rule(rule_id)
    db.session.commit()
    return "", 204


@bp.post("/api/routing/rules/reorder")
@api_doc(
    "Set the order of all rules: `ids` lists every rule once (admin)",
    tags="routing",
    auth=True,
    body=ReorderIn,
    responses={200: (Page[RoutingRule], "Rules in the new order")},
    errors=(400, 401, 403),
)
@admin_only
def reorder_rules() -> Any:
    rules = service.reorder_rules(parse(ReorderIn, json_body()).ids)
    db.session.commit()
    return jsonify({"items": [service.rule_to_dict(r) for r in rules], "next_cursor": None})


@bp.post("/api/routing/dry-run")
@api_doc(
    "Where a lead would be routed and why, changing nothing (admin, team lead)",
    tags="routing",
    auth=True,
    body=DryRunIn,
    responses={200: DryRunResult},
    errors=(400, 401, 403, 404),
)
@require_token(Role.ADMIN, Role.LEAD)
def dry_run() -> Any:
    return jsonify(service.dry_run(current_agent(), parse(DryRunIn, json_body())))


@bp.get("/api/routing/pool")
@api_doc(
    "Unassigned leads, best score first (your team's unless team_id is given)",
    tags="leads",
    auth=True,
    query=PoolQuery,
    responses={200: (Page[LeadShape], "Leads")},
    errors=(400, 401),
)
@require_token()
def pool() -> Any:
    team_id = int_arg("team_id", 0, minimum=0, maximum=2**31 - 1) or None
    rows, next_cursor = queue.pool(
        current_agent(),
        team_id=team_id,
        limit=int_arg("limit", 50),
        cursor=request.args.get("cursor") or None,
    )
    return jsonify(
        {"items": [leads.lead_to_dict(lead) for lead in rows], "next_cursor": next_cursor}
    )


def _lead_json(lead: Lead) -> dict[str, Any]:
    owners = leads.agents_by_id({lead.agent_id} if lead.agent_id else set())
    return leads.lead_to_dict(lead, agent=owners.get(lead.agent_id or 0))


@bp.post("/api/leads/<lead_key>/claim")
@api_doc(
    "Claim a lead from the unassigned pool; exactly one claimer wins",
    tags="leads",
    auth=True,
    path=LEAD_KEY,
    responses={200: (LeadShape, "The lead, now yours")},
    errors=(401, 403, 404, 409),
)
@require_token()
def claim(lead_key: str) -> Any:
    lead = service.claim(current_agent(), lead_key)
    db.session.commit()
    return jsonify(_lead_json(lead))


@bp.post("/api/leads/<lead_key>/assign")
@api_doc(
    "Give a lead to a named agent (team lead: own team; admin)",
    tags="leads",
    auth=True,
    path=LEAD_KEY,
    body=AssignIn,
    responses={200: LeadShape},
    errors=(400, 401, 403, 404, 409),
)
@require_token(Role.LEAD, Role.ADMIN)
def assign(lead_key: str) -> Any:
    body = parse(AssignIn, json_body())
    lead = service.assign_to(current_agent(), lead_key, body.agent_id)
    db.session.commit()
    return jsonify(_lead_json(lead))


# --- a lead taken by phone: intake, then assigned by hand ------------------------------------


@bp.post("/api/leads/manual")
@api_doc(
    "Create a lead taken by phone (channel phone), assigned to you, or to agent_id (team "
    "lead: own team; admin); an open lead with the phone gets the enquiry instead (200)",
    tags="leads",
    auth=True,
    body=lead_shapes.ManualLeadIn,
    responses={
        201: (lead_shapes.IntakeResult, "Lead created"),
        200: (lead_shapes.IntakeResult, "Added to the open lead with this phone"),
    },
    errors=(400, 401, 403, 409),
)
@require_token()
def create_manual() -> tuple[Any, int]:
    body = json_object()
    agent_id = body.pop("agent_id", None)
    if agent_id is not None and (not isinstance(agent_id, int) or isinstance(agent_id, bool)):
        raise ValidationFailed("agent_id must be an agent's id", fields={"agent_id": "integer"})
    result = service.create_manual_lead(body, by=current_agent(), agent_id=agent_id)
    db.session.commit()
    return _manual_response(result)


def _manual_response(result: leads.IntakeResult) -> tuple[Any, int]:
    """An agent's own entry: unlike the public receipt, it names the open lead it joined."""
    lead = result.lead
    body = {
        "id": lead.id,
        "reference": lead.reference,
        "status": lead.status.value,
        "created": result.created,
    }
    if not result.created:
        body["message"] = "此电话已有进行中的需求，已并入原需求 / added to your open enquiry"
    return jsonify(body), 201 if result.created else 200
