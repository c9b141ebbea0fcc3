"""Routing JSON API: rules (admin), dry run (admin, team lead), the unassigned pool, claiming
and assigning leads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.core.db import db
from app.core.http import int_arg, json_body
from app.core.openapi import add_paths, error_responses, json_response, page_of
from app.leads import service as leads
from app.leads.models import Lead
from app.routing import service
from app.routing.schemas import AssignIn, DryRunIn, ReorderIn, RuleIn, RulePatch, parse

bp = Blueprint("routing_api", __name__)
admin_only = require_token(Role.ADMIN)


@bp.get("/api/routing/rules")
@admin_only
def list_rules() -> Any:
    items = [service.rule_to_dict(r) for r in service.list_rules()]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/api/routing/rules")
@admin_only
def create_rule() -> tuple[Any, int]:
    rule = service.create_rule(parse(RuleIn, json_body()))
    db.session.commit()
    return jsonify(service.rule_to_dict(rule)), 201


@bp.get("/api/routing/rules/<int:rule_id>")
@admin_only
def get_rule(rule_id: int) -> Any:
    return jsonify(service.rule_to_dict(service.get_rule(rule_id)))


@bp.patch("/api/routing/rules/<int:rule_id>")
@admin_only
def update_rule(rule_id: int) -> Any:
    rule = service.update_rule(rule_id, parse(RulePatch, json_body()))
    db.session.commit()
    return jsonify(service.rule_to_dict(rule))


@bp.delete("/api/routing/rules/<int:rule_id>")
@admin_only
def delete_rule(rule_id: int) -> tuple[str, int]:
    service.delete_rule(rule_id)
    db.session.commit()
    return "", 204


@bp.post("/api/routing/rules/reorder")
@admin_only
def reorder_rules() -> Any:
    rules = service.reorder_rules(parse(ReorderIn, json_body()).ids)
    db.session.commit()
    return jsonify({"items": [service.rule_to_dict(r) for r in rules], "next_cursor": None})


@bp.post("/api/routing/dry-run")
@require_token(Role.ADMIN, Role.LEAD)
def dry_run() -> Any:
    return jsonify(service.dry_run(current_agent(), parse(DryRunIn, json_body())))


@bp.get("/api/routing/pool")
@require_token()
def pool() -> Any:
    team_id = int_arg("team_id", 0, minimum=0, maximum=2**31 - 1) or None
    rows, next_cursor = service.pool(
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
@require_token()
def claim(lead_key: str) -> Any:
    lead = service.claim(current_agent(), lead_key)
    db.session.commit()
    return jsonify(_lead_json(lead))


@bp.post("/api/leads/<lead_key>/assign")
@require_token(Role.LEAD, Role.ADMIN)
def assign(lead_key: str) -> Any:
    body = parse(AssignIn, json_body())
    lead = service.assign_to(current_agent(), lead_key, body.agent_id)
    db.session.commit()
    return jsonify(_lead_json(lead))


# --- OpenAPI -----------------------------------------------------------------------------------


def _document() -> None:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    rule_ref = {"$ref": "#/components/schemas/RoutingRule"}
    lead_ref = {"$ref": "#/components/schemas/Lead"}
    schemas: dict[str, Any] = {}
    for model in (RuleIn, RulePatch, ReorderIn, DryRunIn, AssignIn):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema

    def body(name: str) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{name}"}
        return {"required": True, "content": {"application/json": {"schema": ref}}}

    def op(summary: str, responses: dict[str, Any], tag: str = "routing", **extra: Any) -> dict:
        return {
            "summary": summary,
            "tags": [tag],
            "security": bearer,
            "responses": responses,
            **extra,
        }

    rule_id = {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    lead_key = {
        "name": "lead_key",
        "in": "path",
        "required": True,
        "description": "Lead id or reference (PL-20261124-0007)",
        "schema": {"type": "string"},
    }
    rules_page = page_of(rule_ref)
    add_paths(
        {
            "/api/routing/rules": {
                "get": op(
                    "Routing rules in the order they are checked (admin)",
                    {"200": json_response(rules_page, "Rules"), **error_responses(401, 403)},
                ),
                "post": op(
                    "Add a rule: conditions → a team (and strategy) or one agent (admin)",
                    {"201": json_response(rule_ref, "The rule"), **error_responses(400, 401, 403)},
                    requestBody=body("RuleIn"),
                ),
            },
            "/api/routing/rules/{rule_id}": {
                "get": op(
                    "One rule (admin)",
                    {"200": json_response(rule_ref, "The rule"), **error_responses(401, 403, 404)},
                    parameters=[rule_id],
                ),
                "patch": op(
                    "Change a rule; fields left out keep their value (admin)",
                    {
                        "200": json_response(rule_ref, "The rule"),
                        **error_responses(400, 401, 403, 404),
                    },
                    parameters=[rule_id],
                    requestBody=body("RulePatch"),
                ),
                "delete": op(
                    "Delete a rule (admin)",
                    {"204": {"description": "Deleted"}, **error_responses(401, 403, 404)},
                    parameters=[rule_id],
                ),
            },
            "/api/routing/rules/reorder": {
                "post": op(
                    "Set the order of all rules: `ids` lists every rule once (admin)",
                    {
                        "200": json_response(rules_page, "Rules in the new order"),
                        **error_responses(400, 401, 403),
                    },
                    requestBody=body("ReorderIn"),
                ),
            },
            "/api/routing/dry-run": {
                "post": op(
                    "Where a lead would be routed and why, changing nothing (admin, team lead)",
                    {
                        "200": json_response(
                            {"$ref": "#/components/schemas/DryRunResult"}, "The decision"
                        ),
                        **error_responses(400, 401, 403, 404),
                    },
                    requestBody=body("DryRunIn"),
                ),
            },
            "/api/routing/pool": {
                "get": op(
                    "Unassigned leads, best score first (your team's unless team_id is given)",
                    {"200": json_response(page_of(lead_ref), "Leads"), **error_responses(400, 401)},
                    tag="leads",
                    parameters=[
                        {"name": "team_id", "in": "query", "schema": {"type": "integer"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    ],
                ),
            },
            "/api/leads/{lead_key}/claim": {
                "post": op(
                    "Claim a lead from the unassigned pool; exactly one claimer wins",
                    {
                        "200": json_response(lead_ref, "The lead, now yours"),
                        **error_responses(401, 403, 404, 409),
                    },
                    tag="leads",
                    parameters=[lead_key],
                ),
            },
            "/api/leads/{lead_key}/assign": {
                "post": op(
                    "Give a lead to a named agent (team lead: own team; admin)",
                    {
                        "200": json_response(lead_ref, "The lead"),
                        **error_responses(400, 401, 403, 404, 409),
                    },
                    tag="leads",
                    parameters=[lead_key],
                    requestBody=body("AssignIn"),
                ),
            },
        },
        {
            **schemas,
            "RoutingRule": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "position": {"type": "integer"},
                    "active": {"type": "boolean"},
                    "conditions": {"$ref": "#/components/schemas/RuleConditions"},
                    "team_id": {"type": ["integer", "null"]},
                    "agent_id": {"type": ["integer", "null"]},
                    "strategy": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                },
            },
            "DryRunResult": {
                "type": "object",
                "properties": {
                    "lead_id": {"type": ["integer", "null"]},
                    "at": {"type": "string", "format": "date-time"},
                    "score": {"type": "integer"},
                    "rule": {"type": ["object", "null"]},
                    "rules_checked": {"type": "array", "items": {"type": "object"}},
                    "team": {"type": ["object", "null"]},
                    "strategy": {"type": ["string", "null"]},
                    "agent": {"type": ["object", "null"]},
                    "pool": {"type": "boolean"},
                    "reason": {"type": "string"},
                    "available": {"type": "array", "items": {"type": "object"}},
                    "skipped": {
                        "type": "array",
                        "description": "Agents passed over, each with reasons: inactive, "
                        "at_capacity, outside_working_hours, over_private_lead_limit",
                        "items": {"type": "object"},
                    },
                },
            },
        },
    )


_document()
