"""The agents' workspace pages (SPEC §10): queue, pool, lead page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.leads import service as leads
from app.leads.models import LeadStatus
from app.web.auth import role_required

bp = Blueprint("workspace", __name__, url_prefix="/app", template_folder="templates")


@bp.get("/")
@role_required()
def home() -> Response:
    return redirect(url_for("workspace.queue"))


@bp.get("/leads")
@role_required()
def queue() -> str:
    """My open leads, newest first (a fuller queue view replaces this)."""
    filters = leads.LeadFilter(
        status=[s for s in LeadStatus if s.value in request.args.getlist("status")] or None,
        agent_id=current_user.id,
    )
    items, next_cursor = leads.list_leads(current_user, filters, limit=50,
                                          cursor=request.args.get("cursor"))
    return render_template("queue.html", leads=items, next_cursor=next_cursor)
