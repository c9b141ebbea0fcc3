"""Admin JSON API for teams and agents (bearer token, role admin).

It sits with the admin's pages, above the rooms it reads: an agent's open leads come from
routing, and a team may only go once no routing rule or lead names it (app/admin/teams.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts import management
from app.accounts.auth import require_token
from app.accounts.models import Role
from app.accounts.schemas import AgentIn, AgentPatch, TeamIn, TeamPatch
from app.accounts.shapes import Agent, AgentQuery, Team
from app.admin.teams import refuse_referred_team
from app.core.apidoc import Page, api_doc
from app.core.cursors import decode_id_cursor, encode_id_cursor
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import bool_arg, int_arg, json_body
from app.core.validation import parse
from app.routing.service import open_leads_of

bp = Blueprint("accounts_api", __name__, url_prefix="/api")
admin_only = require_token(Role.ADMIN)


# --- teams -------------------------------------------------------------------------------------


def _team(team_id: int) -> dict[str, Any]:
    team = management.get_team(team_id)
    return management.team_to_dict(team, management.agent_counts([team.id])[team.id])


@bp.get("/teams")
@api_doc(
    "All teams",
    tags="admin",
    auth=True,
    responses={200: (Page[Team], "Teams")},
    errors=(401, 403),
)
@admin_only
def list_teams() -> Any:
    teams = management.list_teams()
    counts = management.agent_counts([t.id for t in teams])
    items = [management.team_to_dict(t, counts[t.id]) for t in teams]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/teams")
@api_doc(
    "Create a team",
    tags="admin",
    auth=True,
    body=TeamIn,
    responses={201: Team},
    errors=(400, 401, 403, 409),
)
@admin_only
def create_team() -> tuple[Any, int]:
    team = management.create_team(parse(TeamIn, json_body()))
    db.session.commit()
    return jsonify(_team(team.id)), 201


@bp.get("/teams/<int:team_id>")
@api_doc(
    "One team",
    tags="admin",
    auth=True,
    responses={200: Team},
    errors=(401, 403, 404),
)
@admin_only
def get_team(team_id: int) -> Any:
    return jsonify(_team(team_id))


@bp.patch("/teams/<int:team_id>")
@api_doc(
    "Change a team (fields left out keep their value)",
    tags="admin",
    auth=True,
    body=TeamPatch,
    responses={200: Team},
    errors=(400, 401, 403, 404, 409),
)
@admin_only
def update_team(team_id: int) -> Any:
    management.update_team(team_id, parse(TeamPatch, json_body()))
    db.session.commit()
    return jsonify(_team(team_id))


@bp.delete("/teams/<int:team_id>")
@api_doc(
    "Delete a team without agents, rules or leads (409 otherwise)",
    tags="admin",
    auth=True,
    responses={204: "Deleted"},
    errors=(401, 403, 404, 409),
)
@admin_only
def delete_team(team_id: int) -> tuple[str, int]:
    management.delete_team(team_id, refuse_referred=refuse_referred_team)
    db.session.commit()
    return "", 204


# --- agents ------------------------------------------------------------------------------------


def _agent(agent_id: int) -> dict[str, Any]:
    agent = management.get_agent(agent_id)
    return management.agent_to_dict(agent, open_leads_of([agent.id])[agent.id])


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
@api_doc(
    "Agents by id, with their open leads",
    tags="admin",
    auth=True,
    query=AgentQuery,
    responses={200: (Page[Agent], "Agents")},
    errors=(400, 401, 403),
)
@admin_only
def list_agents() -> Any:
    cursor = request.args.get("cursor") or None
    agents, last_id = management.list_agents(
        team_id=int_arg("team_id", 0, minimum=0, maximum=2**31 - 1) or None,
        role=_role_arg(),
        active=bool_arg("active"),
        limit=int_arg("limit", 50),
        cursor=decode_id_cursor("a", cursor) if cursor else None,
    )
    counts = open_leads_of([a.id for a in agents])
    items = [management.agent_to_dict(a, counts[a.id]) for a in agents]
    next_cursor = encode_id_cursor("a", last_id) if last_id else None
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.post("/agents")
@api_doc(
    "Create an agent with a password",
    tags="admin",
    auth=True,
    body=AgentIn,
    responses={201: Agent},
    errors=(400, 401, 403, 409),
)
@admin_only
def create_agent() -> tuple[Any, int]:
    agent = management.create_agent(parse(AgentIn, json_body()))
    db.session.commit()
    return jsonify(_agent(agent.id)), 201


@bp.get("/agents/<int:agent_id>")
@api_doc(
    "One agent",
    tags="admin",
    auth=True,
    responses={200: Agent},
    errors=(401, 403, 404),
)
@admin_only
def get_agent(agent_id: int) -> Any:
    return jsonify(_agent(agent_id))


@bp.patch("/agents/<int:agent_id>")
@api_doc(
    "Change an agent's settings, team, role or password",
    tags="admin",
    auth=True,
    body=AgentPatch,
    responses={200: Agent},
    errors=(400, 401, 403, 404, 409),
)
@admin_only
def update_agent(agent_id: int) -> Any:
    management.update_agent(agent_id, parse(AgentPatch, json_body()))
    db.session.commit()
    return jsonify(_agent(agent_id))
