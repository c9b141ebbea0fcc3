"""Reading a list's filters, scope and agent filter from the query string, for the pages and
the JSON API alike (docs/workspace.md, docs/api.md "HTTP")."""

from __future__ import annotations

from dataclasses import replace

from flask import request

from app.accounts.models import Agent
from app.core.errors import Forbidden, ValidationFailed
from app.core.http import bool_arg
from app.core.phones import normalize_phone
from app.leads.models import LeadStatus, NeedType
from app.leads.queue import LeadQuery, Scope, scopes_for


def status_filter() -> list[LeadStatus] | None:
    """?status=new,assigned (comma-separated); None when absent."""
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


def need_type_filter() -> NeedType | None:
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


def lead_query_from_args() -> LeadQuery:
    """The list filters of docs/api.md "HTTP" from the query string (API and pages alike)."""
    phone = (request.args.get("phone") or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise ValidationFailed(f"phone {exc}", fields={"phone": str(exc)}) from None
    status = status_filter()
    return LeadQuery(
        status=tuple(status) if status else None,
        need_type=need_type_filter(),
        district=(request.args.get("district") or "").strip() or None,
        q=(request.args.get("q") or "").strip()[:100] or None,
        phone=phone or None,
        overdue=bool(bool_arg("overdue")),
        unassigned=bool(bool_arg("unassigned")),
    )


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
