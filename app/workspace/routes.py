"""The agents' workspace pages (docs/workspace.md): my queue, the team's pool, leads taken by phone,
import and export. The lead page and its actions are in `lead_pages`.

Pages are thin: read the form or the query string, call the same service functions as the
JSON API, commit once, and redirect (303) on success or show the page again with the problem
and the error's status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import ValidationError as CsrfInvalid

from app.accounts import management
from app.accounts.models import Agent, Role
from app.accounts.pages_auth import csrf, role_required
from app.core.db import db, utcnow
from app.core.errors import AppError, NotFound
from app.leads import bulk, labels
from app.leads.list_args import lead_query_from_args, scope_from_args, with_agent_filter
from app.leads.models import OPEN_STATUSES, Channel, Deal, LeadStatus, NeedType
from app.leads.queue import (
    Scope,
    list_scope,
    scope_counts,
    scope_query,
    scopes_for,
)
from app.leads.queue import pool as lead_pool
from app.leads.requests import allow_upload, export_response, uploaded_file
from app.leads.service import agents_by_id
from app.notifications.models import NotificationChannel
from app.routing import service as routing
from app.workspace import present
from app.workspace.helpers import PageResult, assignable_agents, bp, failed, me

QUEUE_PAGE = 30


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "label": labels.label,
        "status_label": lambda raw: labels.label_of(LeadStatus, raw),
        "channel_label": lambda raw: labels.label_of(Channel, raw),
        "field_label": present.label_of_field,
        "field_value": present.field_value,
        "field_message": present.field_message,
        "countdown": present.countdown,
        "english_values": Markup('<code translate="no">factory、land</code>'),
        "message_lines": present.message_lines,
        "notification_kind": labels.notification_kind,
        "routing_reason": present.routing_reason,
        "channel_of_notification": lambda raw: labels.label_of(NotificationChannel, raw),
        "call_outcomes": present.CALL_OUTCOMES,
        "event_labels": present.EVENT_LABELS,
        "listing_actions": present.LISTING_ACTIONS,
        "notification_states": present.NOTIFICATION_STATES,
        "template_receipts": present.TEMPLATE_RECEIPTS,
        "need_types": list(NeedType),
        "deals": list(Deal),
        "statuses": list(LeadStatus),
        "open_statuses": OPEN_STATUSES,
        "now": utcnow(),
        "Role": Role,
    }


@bp.get("/")
@role_required()
def home() -> Response:
    return redirect(url_for("workspace.queue"))


# --- my queue --------------------------------------------------------------------------------


def _args_without(*names: str, **extra: str) -> str:
    """The current query string minus `names`, plus `extra` (for tabs and paging links)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in names and v]
    pairs += [(k, v) for k, v in extra.items() if v]
    return urlencode(pairs)


SCOPE_TITLES = {Scope.MINE: _l("我的线索"), Scope.TEAM: _l("团队线索"), Scope.ALL: _l("全部线索")}


def _filter_agents(scope: Scope) -> list[Agent]:
    if scope is Scope.MINE:
        return []
    team_id = me().team_id if scope is Scope.TEAM else None
    agents, _next = management.list_agents(team_id=team_id, limit=200)
    return agents


@bp.get("/leads")
@role_required()
def queue() -> PageResult:
    """My open leads, the most urgent first (SLA due time, score); team leads and admins
    also their team's and all leads, the same way (docs/workspace.md)."""
    scope = scope_from_args(me())  # a list the role may not open is a 403 page, not a redirect
    try:
        query = with_agent_filter(lead_query_from_args(), scope)
        leads, next_cursor = list_scope(
            me(), scope, query, limit=QUEUE_PAGE, cursor=request.args.get("cursor") or None
        )
        counts = scope_counts(me(), scope, query)
    except AppError as exc:
        failed(exc)
        return redirect(url_for("workspace.queue", scope=scope.value))
    owners = agents_by_id({lead.agent_id for lead in leads if lead.agent_id})
    return render_template(
        "workspace/queue.html",
        leads=leads,
        next_cursor=next_cursor,
        counts=counts,
        open_total=sum(counts[s] for s in OPEN_STATUSES),
        query=query,
        args_without=_args_without,
        can_export=me().role in (Role.ADMIN, Role.LEAD),
        scope=scope,
        scopes=[(s, SCOPE_TITLES[s]) for s in scopes_for(me())],
        title=SCOPE_TITLES[scope],
        filter_agents=_filter_agents(scope),
        owners=owners,
    )


@bp.get("/leads/export")
@role_required(Role.ADMIN, Role.LEAD)
def export() -> PageResult:
    """The queue (view=queue) or every lead I can see, filtered, as CSV or XLSX."""
    try:
        scope = scope_from_args(me())
        query = lead_query_from_args()
        as_queue = request.args.get("view") == "queue"
        if as_queue and scope is not Scope.MINE:
            # A team's or the office's list, as filtered on the page (docs/workspace.md).
            query, as_queue = scope_query(me(), scope, with_agent_filter(query, scope)), False
        return export_response(
            me(), request.args.get("format", "csv"), query, queue=as_queue, label=labels.label
        )
    except AppError as exc:
        failed(exc)
        return redirect(url_for("workspace.queue", **_queue_filters()))


def _queue_filters() -> dict[str, str]:
    keep = ("status", "need_type", "district", "q", "overdue", "scope", "agent")
    return {k: v for k, v in request.args.items() if k in keep and v}


# --- the pool --------------------------------------------------------------------------------


@bp.get("/pool")
@role_required()
def pool() -> PageResult:
    """My team's unassigned leads (admins: every team's), best score first, with claim."""
    try:
        leads, next_cursor = lead_pool(
            me(), team_id=None, limit=QUEUE_PAGE, cursor=request.args.get("cursor") or None
        )
    except AppError as exc:
        failed(exc)
        return redirect(url_for("workspace.pool"))
    return render_template("workspace/pool.html", leads=leads, next_cursor=next_cursor)


@bp.post("/leads/<int:lead_id>/claim")
@role_required()
def claim(lead_id: int) -> PageResult:
    try:
        lead = routing.claim(me(), str(lead_id))
    except NotFound:
        # Gone from the pool this agent sees (claimed, or never theirs): who has it is not said.
        db.session.rollback()
        flash(_("这条线索已不在您的公海中（可能已被别人领取）"), "error")
        return redirect(url_for("workspace.pool"), 303)
    except AppError as exc:
        failed(exc)
        return redirect(url_for("workspace.pool"), 303)
    db.session.commit()
    flash(_("已领取线索 %(ref)s", ref=lead.reference), "info")
    return redirect(url_for("workspace.lead", lead_id=lead.id), 303)


# --- a lead taken by phone -------------------------------------------------------------------


@bp.route("/leads/new", methods=["GET", "POST"])
@role_required()
def new_lead() -> PageResult:
    agents = assignable_agents()
    if request.method == "GET":
        return render_template("workspace/new.html", values={}, errors={}, agents=agents)
    payload = present.lead_form_changes(request.form)
    payload = {k: v for k, v in payload.items() if v is not None}
    agent_id = (request.form.get("agent_id") or "").strip()
    try:
        result = routing.create_manual_lead(
            payload, by=me(), agent_id=int(agent_id) if agent_id.isdigit() else None
        )
    except AppError as exc:
        failed(exc)
        return render_template(
            "workspace/new.html",
            values=request.form,
            errors=present.field_errors(exc),
            agents=agents,
        ), exc.status
    db.session.commit()
    if result.created:
        flash(_("已创建线索 %(ref)s", ref=result.lead.reference), "info")
    else:
        flash(_("此电话已有进行中的线索 %(ref)s，已并入该线索", ref=result.lead.reference), "info")
    return redirect(url_for("workspace.lead", lead_id=result.lead.id), 303)


# --- import ----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the larger body limit of an upload is in place
@role_required(Role.ADMIN)
def import_leads() -> PageResult:
    if request.method == "GET":
        return render_template("workspace/import.html", report=None, columns=bulk.COLUMNS)
    allow_upload()
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CsrfInvalid:
        return render_template("error.html", status=400, message=_("页面已过期，请刷新后重试")), 400
    dry_run = request.form.get("action") != "import"
    try:
        data, filename = uploaded_file()
        report = bulk.import_leads(data, by=me(), filename=filename, dry_run=dry_run)
    except AppError as exc:
        failed(exc)
        rejected = exc.extra.get("report")
        return render_template(
            "workspace/import.html",
            report=rejected,
            columns=bulk.COLUMNS,
            file_error=present.field_errors(exc).get("file"),
        ), exc.status
    if dry_run:
        return render_template(
            "workspace/import.html", report=report.as_dict(), columns=bulk.COLUMNS
        )
    db.session.commit()
    flash(_("已导入 %(n)s 条线索", n=len(report.created)), "info")
    return render_template("workspace/import.html", report=report.as_dict(), columns=bulk.COLUMNS)


# The lead page and its actions live on the same blueprint.
from app.workspace import lead_pages  # noqa: E402, F401
