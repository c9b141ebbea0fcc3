"""JSON API for working leads: the lead list with its queue and pool views, field edits,
notes, calls, follow-ups, merges, WeChat replies, leads taken by phone, import and export.

The endpoints hang on the `leads_api` blueprint (`app.leads.requests`; bearer tokens, no
CSRF) and follow the visibility of `visible_leads`: agents see their own leads and the
unassigned pool.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.core import messages
from app.core.apidoc import Page, api_doc
from app.core.db import db
from app.core.errors import AppError, ValidationFailed
from app.core.http import bool_arg, int_arg, json_object
from app.core.i18n import language_named
from app.core.phones import normalize_phone
from app.leads import activity, bulk, service, shapes
from app.leads.labels import label
from app.leads.list_args import (
    lead_query_from_args,
    need_type_filter,
    scope_from_args,
    status_filter,
    with_agent_filter,
)
from app.leads.queue import LeadQuery, list_scope, pool, scope_counts
from app.leads.requests import XLSX_TYPE, bp, export_response, lead_detail, uploaded_file

# --- reading: the list, the queue and pool views ----------------------------------------------


@bp.get("")
@api_doc(
    "Leads you can see: newest first; view=queue: your open leads by SLA due time (no due "
    "time last), score, id (scope=team: your team's, team leads and admins; scope=all: every "
    "lead, admins; a search q finds closed leads too); view=pool: your team's unassigned "
    "leads, best score first",
    tags="leads",
    auth=True,
    query=shapes.LeadListQuery,
    responses={200: shapes.LeadList},
    errors=(400, 401, 403),
)
@require_token()
def list_leads() -> Any:
    view = request.args.get("view")
    if view:
        return list_view(view)  # the agent's queue or the team's pool
    phone = request.args.get("phone")
    if phone and phone[0] == " " and phone.strip()[:1].isdigit():
        phone = "+" + phone.strip()  # ?phone=+852...: an unencoded "+" arrives as a space
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise ValidationFailed(f"phone {exc}", fields={"phone": str(exc)}) from None
    statuses = status_filter()
    filters = LeadQuery(
        status=tuple(statuses) if statuses else None,
        need_type=need_type_filter(),
        district=request.args.get("district") or None,
        phone=phone,
        q=(request.args.get("q") or "").strip()[:100] or None,
        overdue=bool(bool_arg("overdue")),
        unassigned=bool(bool_arg("unassigned")),
    )
    leads, next_cursor = service.list_leads(
        current_agent(), filters, limit=int_arg("limit", 50), cursor=request.args.get("cursor")
    )
    agents = service.agents_by_id({lead.agent_id for lead in leads if lead.agent_id})
    items = [service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0)) for lead in leads]
    return jsonify({"items": items, "next_cursor": next_cursor})


def _items(leads: list[Any]) -> list[dict[str, Any]]:
    agents = service.agents_by_id({lead.agent_id for lead in leads if lead.agent_id})
    return [service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0)) for lead in leads]


def list_view(view: str) -> Any:
    """GET /api/leads?view=queue|pool."""
    agent = current_agent()
    limit = int_arg("limit", 50)
    cursor = request.args.get("cursor") or None
    if view == "queue":
        # My queue, or (?scope=team|all) my team's or every lead the same way, with ?agent=.
        scope = scope_from_args(agent)
        query = with_agent_filter(lead_query_from_args(), scope)
        leads, next_cursor = list_scope(agent, scope, query, limit=limit, cursor=cursor)
        counts = scope_counts(agent, scope, query)
        return jsonify(
            {
                "items": _items(leads),
                "next_cursor": next_cursor,
                "counts": {status.value: n for status, n in counts.items()},
            }
        )
    if view == "pool":
        team_id = int_arg("team_id", 0, minimum=0, maximum=2**31 - 1) or None
        leads, next_cursor = pool(agent, team_id=team_id, limit=limit, cursor=cursor)
        return jsonify({"items": _items(leads), "next_cursor": next_cursor})
    raise ValidationFailed(
        f"unknown view {view!r}", fields={"view": "queue, pool, or leave it out for all leads"}
    )


# --- changing one lead -----------------------------------------------------------------------


def _version(body: dict[str, Any], *, required: bool) -> int | None:
    version = body.get("version")
    if version is None and not required:
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed(
            "version is the lead's version as you read it (optimistic locking): a whole number",
            fields={"version": "integer" + (", required" if required else "")},
        )
    return version


def _detail(lead_id: int) -> Any:
    return jsonify(lead_detail(str(lead_id)))


@bp.patch("/<lead_key>")
@api_doc(
    "Change a lead's fields (the enquiry rules apply); one field_changed event per change; "
    "`version` is optional: sent, a stale one answers 409",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.LeadPatch,
    responses={200: shapes.Lead},
    errors=(400, 401, 404, 409),
)
@require_token()
def edit_lead(lead_key: str) -> Any:
    body = json_object()
    version = _version(body, required=False)
    changes = {k: v for k, v in body.items() if k != "version"}
    if not changes:
        raise ValidationFailed("send at least one field to change")
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    activity.edit_lead(lead, changes, by=current_agent(), expected_version=version)
    db.session.commit()
    return _detail(lead.id)


@bp.get("/<lead_key>/timeline")
@api_doc(
    "The lead's history, newest first: events and notifications with their delivery state",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    responses={200: (Page[shapes.TimelineEntry], "Timeline")},
    errors=(401, 404),
)
@require_token()
def timeline(lead_key: str) -> Any:
    lead = service.get_visible_lead(current_agent(), lead_key)
    items = [entry.as_dict() for entry in activity.timeline(lead)]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/<lead_key>/notes")
@api_doc(
    "Add a note",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.NoteIn,
    responses={201: (shapes.LeadEvent, "The note event")},
    errors=(400, 401, 404),
)
@require_token()
def add_note(lead_key: str) -> tuple[Any, int]:
    body = json_object()
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    event = activity.add_note(lead, body.get("text"), by=current_agent())
    db.session.commit()
    return jsonify(service.event_to_dict(event)), 201


@bp.post("/<lead_key>/calls")
@api_doc(
    "Log a phone call; a connected call on an assigned lead offers (or with mark_contacted "
    "makes) the move to contacted",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.CallIn,
    responses={201: shapes.CallLogged},
    errors=(400, 401, 404, 409),
)
@require_token()
def log_call(lead_key: str) -> tuple[Any, int]:
    body = json_object()
    mark = body.get("mark_contacted", False)
    if not isinstance(mark, bool):
        raise ValidationFailed(
            "mark_contacted must be true or false", fields={"mark_contacted": "boolean"}
        )
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    logged = activity.log_call(
        lead,
        outcome=body.get("outcome"),
        duration_seconds=body.get("duration_seconds"),
        note=body.get("note"),
        mark_contacted=mark,
        by=current_agent(),
    )
    db.session.commit()
    return jsonify(
        {
            "event": service.event_to_dict(logged.event),
            "status": lead.status.value,
            "moved_to_contacted": logged.moved_to_contacted,
            "offer_contacted": logged.offer_contacted,
        }
    ), 201


@bp.post("/<lead_key>/follow-up")
@api_doc(
    "Set the next follow-up (ISO date-time; without an offset it is Beijing time; must be in "
    "the future), or clear it with null",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.FollowUpIn,
    responses={200: shapes.Lead},
    errors=(400, 401, 404),
)
@require_token()
def set_follow_up(lead_key: str) -> Any:
    body = json_object()
    if "at" not in body:
        raise ValidationFailed("say when (at), or null to clear", fields={"at": "required"})
    at = None if body["at"] is None else activity.parse_local_datetime(body["at"])
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    activity.set_follow_up(lead, at, by=current_agent(), note=body.get("note"))
    db.session.commit()
    return _detail(lead.id)


@bp.post("/<lead_key>/merge")
@api_doc(
    "Merge this lead into another (admin): it becomes a duplicate of `into` (status duplicate "
    "where the lifecycle allows), `into` fills its blank fields; an event on both",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.MergeIn,
    responses={200: (shapes.Lead, "The surviving lead")},
    errors=(400, 401, 403, 404, 409),
)
@require_token(Role.ADMIN)
def merge(lead_key: str) -> Any:
    body = json_object()
    into = body.get("into")
    if isinstance(into, bool) or not isinstance(into, int | str) or into == "":
        raise ValidationFailed(
            "say which lead to merge into", fields={"into": "lead id or reference"}
        )
    agent = current_agent()
    duplicate = service.get_visible_lead(agent, lead_key)
    survivor = service.get_visible_lead(agent, str(into))  # as text: range-checked there
    activity.lock_leads(duplicate, survivor)
    activity.merge_leads(
        duplicate, survivor, by=agent, expected_version=_version(body, required=False)
    )
    db.session.commit()
    return _detail(survivor.id)


@bp.post("/<lead_key>/wechat-reply")
@api_doc(
    "Queue a WeChat customer-service message to the prospect (inside the 48-hour window and "
    "its quota)",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    body=shapes.WechatReplyIn,
    responses={202: shapes.ReplyQueued},
    errors=(400, 401, 404, 409),
)
@require_token()
def wechat_reply(lead_key: str) -> tuple[Any, int]:
    body = json_object()
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    event, notification = activity.send_wechat_reply(lead, body.get("text"), by=current_agent())
    db.session.commit()
    window = activity.wechat_window(lead)
    return jsonify(
        {
            "event": service.event_to_dict(event),
            "notification_id": notification.id,
            "notification_status": notification.status.value,
            "window": _window(window),
        }
    ), 202


def _window(window: activity.WechatWindow) -> dict[str, Any]:
    return {
        "open": window.is_open,
        "expires_at": window.expires_at.isoformat() if window.expires_at else None,
        "remaining": window.remaining,
    }


@bp.get("/<lead_key>/wechat-window")
@api_doc(
    "The prospect's WeChat customer-service window: open, until when, messages left",
    tags="leads",
    auth=True,
    path=shapes.LEAD_KEY,
    responses={200: shapes.WechatWindow},
    errors=(401, 404),
)
@require_token()
def wechat_window(lead_key: str) -> Any:
    lead = service.get_visible_lead(current_agent(), lead_key)
    return jsonify(_window(activity.wechat_window(lead)))


# --- manual, import, export ------------------------------------------------------------------


@bp.post("/import")
@api_doc(
    "Import leads from CSV or XLSX (admin)",
    description="dry_run=1 checks and reports without writing; the real run writes every "
    "valid row in one transaction, or nothing when any row has an error (400 with the "
    "report). Rows whose phone has an open lead are skipped as duplicates. Columns: "
    "公司/company, 联系人/contact_name, 电话/phone, 微信号/wechat_id, 需求/need_type, 租售/deal, "
    "面积/area (5000, 3000-5000, 30亩), 最小面积/area_min_m2, 最大面积/area_max_m2, "
    "行业/industry, 年税收/tax_wan, 投资额/investment_wan, 员工数/employees, "
    "时间要求/timeline, 区域/district, 备注/message, 来源/utm_source",
    tags="leads",
    auth=True,
    query=shapes.DryRunQuery,
    body_media={"multipart/form-data": shapes.ImportFile},
    responses={
        200: (shapes.ImportReport, "Dry run report"),
        201: (shapes.ImportReport, "Imported"),
    },
    errors=(400, 401, 403, 413),
)
@require_token(Role.ADMIN)
def import_leads() -> tuple[Any, int]:
    dry_run = bool(bool_arg("dry_run"))
    data, filename = uploaded_file()
    try:
        report = bulk.import_leads(data, by=current_agent(), filename=filename, dry_run=dry_run)
    except AppError as exc:
        if isinstance(exc.extra.get("report"), dict):
            exc.extra["report"] = _worded(exc.extra["report"])
        raise
    if dry_run:
        return jsonify(_worded(report.as_dict())), 200
    db.session.commit()
    return jsonify(_worded(report.as_dict())), 201


def _worded(report: dict[str, Any]) -> dict[str, Any]:
    """The row errors in the client's language when it named one (docs/i18n.md)."""
    if not language_named():
        return report
    errors = [{**e, "message": messages.field_text(e["message"])} for e in report["errors"]]
    return {**report, "errors": errors}


@bp.get("/export")
@api_doc(
    f"The filtered list as CSV (UTF-8 with BOM) or XLSX (team lead, admin); at most "
    f"{bulk.EXPORT_MAX_ROWS} rows, else 400 export_too_large",
    tags="leads",
    auth=True,
    query=shapes.ExportQuery,
    responses={
        200: {
            "text/csv": {"type": "string"},
            XLSX_TYPE: {"type": "string", "format": "binary"},
        }
    },
    errors=(400, 401, 403),
)
@require_token(Role.ADMIN, Role.LEAD)
def export() -> Response:
    view = request.args.get("view") or None
    if view not in (None, "queue"):
        raise ValidationFailed("view must be queue or left out", fields={"view": "queue"})
    return export_response(
        current_agent(),
        request.args.get("format", "csv"),
        lead_query_from_args(),
        queue=view == "queue",
        label=label,
    )
