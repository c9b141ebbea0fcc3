"""Admin JSON API for teams and agents (bearer token, role admin)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts import management
from app.accounts.auth import require_token
from app.accounts.models import Role
from app.accounts.schemas import AgentIn, AgentPatch, TeamIn, TeamPatch
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import int_arg, json_body
from app.core.openapi import add_paths, error_responses, json_response, page_of
from app.routing.schemas import parse
from app.routing.service import open_leads_of

bp = Blueprint("accounts_api", __name__, url_prefix="/api")
admin_only = require_token(Role.ADMIN)


# --- teams -------------------------------------------------------------------------------------


def _team(team_id: int) -> dict[str, Any]:
    team = management.get_team(team_id)
    return management.team_to_dict(team, management.agent_counts([team.id])[team.id])


@bp.get("/teams")
@admin_only
def list_teams() -> Any:
    teams = management.list_teams()
    counts = management.agent_counts([t.id for t in teams])
    items = [management.team_to_dict(t, counts[t.id]) for t in teams]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/teams")
@admin_only
def create_team() -> tuple[Any, int]:
    team = management.create_team(parse(TeamIn, json_body()))
    db.session.commit()
    return jsonify(_team(team.id)), 201


@bp.get("/teams/<int:team_id>")
@admin_only
def get_team(team_id: int) -> Any:
    return jsonify(_team(team_id))


@bp.patch("/teams/<int:team_id>")
@admin_only
def update_team(team_id: int) -> Any:
    management.update_team(team_id, parse(TeamPatch, json_body()))
    db.session.commit()
    return jsonify(_team(team_id))


@bp.delete("/teams/<int:team_id>")
@admin_only
def delete_team(team_id: int) -> tuple[str, int]:
    management.delete_team(team_id)
    db.session.commit()
    return "", 204


# --- agents ------------------------------------------------------------------------------------


def _agent(agent_id: int) -> dict[str, Any]:
    agent = management.get_agent(agent_id)
    return management.agent_to_dict(agent, open_leads_of([agent.id])[agent.id])


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true"):
        return True
    if raw.lower() in ("0", "false"):
        return False
    raise ValidationFailed(f"{name} must be true or false", fields={name: "true or false"})


def _role_arg() -> Role | None:
    raw = request.args.get("role")
    if not raw:
        return None
    try:
        return Role(raw)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"unknown role {raw!r}", fields={"role": f"one of {roles}"}
        ) from None


@bp.get("/agents")
@admin_only
def list_agents() -> Any:
    cursor = request.args.get("cursor") or None
    if cursor is not None and not cursor.isdigit():
        raise ValidationFailed("invalid cursor", fields={"cursor": "use next_cursor as given"})
    agents, last_id = management.list_agents(
        team_id=int_arg("team_id", 0, minimum=0, maximum=2**31 - 1) or None,
        role=_role_arg(),
        active=_bool_arg("active"),
        limit=int_arg("limit", 50),
        cursor=int(cursor) if cursor else None,
    )
    counts = open_leads_of([a.id for a in agents])
    items = [management.agent_to_dict(a, counts[a.id]) for a in agents]
    return jsonify({"items": items, "next_cursor": str(last_id) if last_id else None})


@bp.post("/agents")
@admin_only
def create_agent() -> tuple[Any, int]:
    agent = management.create_agent(parse(AgentIn, json_body()))
    db.session.commit()
    return jsonify(_agent(agent.id)), 201


@bp.get("/agents/<int:agent_id>")
@admin_only
def get_agent(agent_id: int) -> Any:
    return jsonify(_agent(agent_id))


@bp.patch("/agents/<int:agent_id>")
@admin_only
def update_agent(agent_id: int) -> Any:
    management.update_agent(agent_id, parse(AgentPatch, json_body()))
    db.session.commit()
    return jsonify(_agent(agent_id))


# --- OpenAPI -----------------------------------------------------------------------------------


def _schema(model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema, schema.pop("$defs", {})


def _document() -> None:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    team_ref = {"$ref": "#/components/schemas/Team"}
    agent_ref = {"$ref": "#/components/schemas/Agent"}
    schemas: dict[str, Any] = {}
    for model in (TeamIn, TeamPatch, AgentIn, AgentPatch):
        schema, defs = _schema(model)
        schemas[model.__name__] = schema
        schemas.update(defs)

    def body(name: str) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{name}"}
        return {"required": True, "content": {"application/json": {"schema": ref}}}

    def path_id(name: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}

    def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "summary": summary,
            "tags": ["admin"],
            "security": bearer,
            "responses": responses,
            **extra,
        }

    query = [
        {"name": n, "in": "query", "schema": s}
        for n, s in (
            ("team_id", {"type": "integer"}),
            ("role", {"type": "string", "enum": [r.value for r in Role]}),
            ("active", {"type": "boolean"}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            ("cursor", {"type": "string"}),
        )
    ]
    deleted = {"description": "Deleted"}
    add_paths(
        {
            "/api/teams": {
                "get": op(
                    "All teams",
                    {"200": json_response(page_of(team_ref), "Teams"), **error_responses(401, 403)},
                ),
                "post": op(
                    "Create a team",
                    {
                        "201": json_response(team_ref, "The team"),
                        **error_responses(400, 401, 403, 409),
                    },
                    requestBody=body("TeamIn"),
                ),
            },
            "/api/teams/{team_id}": {
                "get": op(
                    "One team",
                    {"200": json_response(team_ref, "The team"), **error_responses(401, 403, 404)},
                    parameters=[path_id("team_id")],
                ),
                "patch": op(
                    "Change a team (fields left out keep their value)",
                    {
                        "200": json_response(team_ref, "The team"),
                        **error_responses(400, 401, 403, 404, 409),
                    },
                    parameters=[path_id("team_id")],
                    requestBody=body("TeamPatch"),
                ),
                "delete": op(
                    "Delete a team without agents, rules or leads (409 otherwise)",
                    {"204": deleted, **error_responses(401, 403, 404, 409)},
                    parameters=[path_id("team_id")],
                ),
            },
            "/api/agents": {
                "get": op(
                    "Agents by id, with their open leads",
                    {
                        "200": json_response(page_of(agent_ref), "Agents"),
                        **error_responses(400, 401, 403),
                    },
                    parameters=query,
                ),
                "post": op(
                    "Create an agent with a password",
                    {
                        "201": json_response(agent_ref, "The agent"),
                        **error_responses(400, 401, 403, 409),
                    },
                    requestBody=body("AgentIn"),
                ),
            },
            "/api/agents/{agent_id}": {
                "get": op(
                    "One agent",
                    {
                        "200": json_response(agent_ref, "The agent"),
                        **error_responses(401, 403, 404),
                    },
                    parameters=[path_id("agent_id")],
                ),
                "patch": op(
                    "Change an agent's settings, team, role or password",
                    {
                        "200": json_response(agent_ref, "The agent"),
                        **error_responses(400, 401, 403, 404, 409),
                    },
                    parameters=[path_id("agent_id")],
                    requestBody=body("AgentPatch"),
                ),
            },
        },
        {
            **schemas,
            "Team": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "is_default": {"type": "boolean"},
                    "strategy": {"type": "string"},
                    "sla_minutes": {"type": ["integer", "null"]},
                    "pool_after_days": {"type": ["integer", "null"]},
                    "max_private_leads": {"type": ["integer", "null"]},
                    "active": {"type": "boolean"},
                    "agents": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "Agent": {
                "type": "object",
                "description": "Never carries the password or its hash.",
                "properties": {
                    "id": {"type": "integer"},
                    "login": {"type": "string"},
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                    "team_id": {"type": ["integer", "null"]},
                    "phone": {"type": ["string", "null"]},
                    "email": {"type": ["string", "null"]},
                    "wechat_openid": {"type": ["string", "null"]},
                    "wecom_userid": {"type": ["string", "null"]},
                    "notify_channels": {
                        "type": ["array", "null"],
                        "items": {"type": "string"},
                        "description": "alert channels, first choice first; null: defaults",
                    },
                    "notify_events": {
                        "type": ["object", "null"],
                        "additionalProperties": {"type": "boolean"},
                        "description": "event kind -> false to switch its alerts off",
                    },
                    "skills": {"type": "object"},
                    "capacity": {"type": "integer"},
                    "weight": {"type": "integer"},
                    "working_hours": {"type": ["object", "null"]},
                    "active": {"type": "boolean"},
                    "open_leads": {"type": "integer"},
                    "last_assigned_at": {"type": ["string", "null"], "format": "date-time"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    )


_document()
