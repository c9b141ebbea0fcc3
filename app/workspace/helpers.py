"""What the workspace's page modules (`routes`, `lead_pages`) share: the `workspace`
blueprint both hang their pages on, the signed-in user, the error flash and whom a user may
give a lead to. Page modules import this; it imports none of them."""

from __future__ import annotations

from flask import Blueprint, flash
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import management
from app.accounts.models import Agent, Role
from app.core.db import db
from app.core.errors import AppError
from app.workspace import present

bp = Blueprint("workspace", __name__, url_prefix="/app", template_folder="templates")
PageResult = Response | str | tuple[str, int]


def me() -> Agent:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def failed(exc: AppError) -> None:
    """Flash what went wrong; the caller shows the page again with exc.status."""
    db.session.rollback()
    flash(present.explain(exc), "error")


def assignable_agents() -> list[Agent]:
    """Whom the current user may give a lead to: team leads their team, admins everyone."""
    user = me()
    if user.role is Role.AGENT:
        return []
    team_id = user.team_id if user.role is Role.LEAD else None
    agents, _next = management.list_agents(team_id=team_id, active=True, limit=200)
    return [a for a in agents if a.role is not Role.ADMIN or a.id == user.id]
