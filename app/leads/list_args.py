"""Reading a list's scope and agent filter from the query string, for the pages and the JSON
API alike (docs/workspace.md)."""

from __future__ import annotations

from dataclasses import replace

from flask import request

from app.accounts.models import Agent
from app.core.errors import Forbidden, ValidationFailed
from app.leads.queue import LeadQuery, Scope, scopes_for


def scope_from_args(viewer: Agent) -> Scope:
    """?scope=mine|team|all (mine when absent); 403 when `viewer`'s role may not open it."""
    raw = request.args.get("scope") or Scope.MINE.value
    try:
        scope = Scope(raw)
    except ValueError:
        raise ValidationFailed(
            f"unknown scope {raw!r}", fields={"scope": "one of mine, team, all"}
        ) from None
    if scope not in scopes_for(viewer):
        raise Forbidden(f"your role cannot open the {scope.value} list")
    return scope


def with_agent_filter(query: LeadQuery, scope: Scope) -> LeadQuery:
    """?agent=<id> or ?agent=none (unassigned) on a team's or the office's list."""
    raw = (request.args.get("agent") or "").strip()
    if scope is Scope.MINE or not raw:
        return query
    if raw == "none":
        return replace(query, unassigned=True)
    if not raw.isdigit() or int(raw) > 2**31:
        raise ValidationFailed("agent must be an id or none", fields={"agent": "an id or none"})
    return replace(query, agent_id=int(raw))
