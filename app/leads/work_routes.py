"""JSON API for working leads: the queue and pool views, field edits, notes, calls,
follow-ups, merges, WeChat replies, leads taken by phone, import and export.

The endpoints hang on the `leads_api` blueprint (bearer tokens, no CSRF) and follow the
visibility of `visible_leads`: agents see their own leads and the unassigned pool.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, jsonify, request, stream_with_context

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Agent, Role
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import messages
from app.core.db import db
from app.core.errors import AppError, ValidationFailed
from app.core.http import int_arg, json_object
from app.core.i18n import language_named
from app.core.logging import mask_phones
from app.core.openapi import add_paths, error_responses, json_response, page_of
from app.leads import activity, bulk, service
from app.leads.list_args import scope_from_args, with_agent_filter
from app.leads.models import Lead
from app.leads.queue import (
    QUEUE_ORDER,
    LeadQuery,
    filtered_leads,
    list_scope,
    queue_query,
    scope_counts,
)
from app.leads.routes import _lead_detail, _need_type_filter, _status_filter, bp
from app.leads.schemas import normalize_phone
from app.routing import service as routing
from app.web.labels import label

# --- reading: queue and pool views -----------------------------------------------------------


def _flag(name: str) -> bool:
    return (request.args.get(name) or "").lower() in ("1", "true", "yes")


def lead_query_from_args() -> LeadQuery:
    """The list filters of docs/api.md "HTTP" from the query string (API and pages alike)."""
    phone = (request.args.get("phone") or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise ValidationFailed(f"phone {exc}", fields={"phone": str(exc)}) from None
    status = _status_filter()
    return LeadQuery(
        status=tuple(status) if status else None,
        need_type=_need_type_filter(),
        district=(request.args.get("district") or "").strip() or None,
        q=(request.args.get("q") or "").strip()[:100] or None,
        phone=phone or None,
        overdue=_flag("overdue"),
        unassigned=_flag("unassigned"),
    )


def _items(leads: list[Any]) -> list[dict[str, Any]]:
    agents = service.agents_by_id({lead.agent_id for lead in leads if lead.agent_id})
    return [service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0)) for lead in leads]


def list_view(view: str) -> Any:
    """GET /api/leads?view=queue|pool (called by the list endpoint)."""
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
        leads, next_cursor = routing.pool(agent, team_id=team_id, limit=limit, cursor=cursor)
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
            "send the lead's version as you read it (optimistic locking)",
            fields={"version": "integer, required"},
        )
    return version


def _detail(lead_id: int) -> Any:
    return jsonify(_lead_detail(str(lead_id)))


@bp.patch("/<lead_key>")
@require_token()
def edit_lead(lead_key: str) -> Any:
    body = json_object()
    version = _version(body, required=True)
    changes = {k: v for k, v in body.items() if k != "version"}
    if not changes:
        raise ValidationFailed("send at least one field to change")
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    activity.edit_lead(lead, changes, by=current_agent(), expected_version=version)
    db.session.commit()
    return _detail(lead.id)


@bp.get("/<lead_key>/timeline")
@require_token()
def timeline(lead_key: str) -> Any:
    lead = service.get_visible_lead(current_agent(), lead_key)
    items = [entry.as_dict() for entry in activity.timeline(lead)]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/<lead_key>/notes")
@require_token()
def add_note(lead_key: str) -> tuple[Any, int]:
    body = json_object()
    lead = service.get_visible_lead(current_agent(), lead_key, for_update=True)
    event = activity.add_note(lead, body.get("text"), by=current_agent())
    db.session.commit()
    return jsonify(service.event_to_dict(event)), 201


@bp.post("/<lead_key>/calls")
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
@require_token()
def wechat_window(lead_key: str) -> Any:
    lead = service.get_visible_lead(current_agent(), lead_key)
    return jsonify(_window(activity.wechat_window(lead)))


# --- manual, import, export ------------------------------------------------------------------


@bp.post("/manual")
@require_token()
def create_manual() -> tuple[Any, int]:
    body = json_object()
    agent_id = body.pop("agent_id", None)
    if agent_id is not None and (not isinstance(agent_id, int) or isinstance(agent_id, bool)):
        raise ValidationFailed("agent_id must be an agent's id", fields={"agent_id": "integer"})
    result = activity.create_manual_lead(body, by=current_agent(), agent_id=agent_id)
    db.session.commit()
    return _manual_response(result)


def _manual_response(result: service.IntakeResult) -> tuple[Any, int]:
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


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_MAX_REQUEST = bulk.MAX_IMPORT_BYTES + 64 * 1024


def allow_upload() -> None:
    """Accept a body up to the import limit (before anything reads the form)."""
    request.max_content_length = IMPORT_MAX_REQUEST


def uploaded_file() -> tuple[bytes, str]:
    """The `file` part of a multipart upload (allowing bodies up to the import limit)."""
    allow_upload()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "upload the CSV or XLSX as the multipart field 'file'", fields={"file": "required"}
        )
    return upload.read(bulk.MAX_IMPORT_BYTES + 1), upload.filename


@bp.post("/import")
@require_token(Role.ADMIN)
def import_leads() -> tuple[Any, int]:
    dry_run = _flag("dry_run")
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


def export_response(viewer: Agent, fmt: str, query: LeadQuery, *, queue: bool) -> Response:
    """The filtered list as a streamed CSV or XLSX download (pages reuse this)."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("format must be csv or xlsx", fields={"format": "csv or xlsx"})
    if queue:
        stmt = filtered_leads(viewer, queue_query(viewer, query)).order_by(*QUEUE_ORDER)
    else:
        stmt = filtered_leads(viewer, query).order_by(Lead.created_at.desc(), Lead.id.desc())
    count = bulk.check_export_size(stmt)
    english = str(request.args.get("lang") or "").lower() == "en"
    # Only admins take full phone numbers out of the system (docs/security.md).
    masked = viewer.role is not Role.ADMIN
    audit.record(
        AuditAction.EXPORT, agent_id=viewer.id, what="leads", format=fmt, rows=count,
        phones_masked=masked, view="queue" if queue else "list",
        filters={
            k: mask_phones(v) for k, v in request.args.items() if k not in ("format", "lang")
        },
    )  # fmt: skip
    db.session.commit()  # the audit entry stands before a single row leaves
    rows = bulk.export_rows(stmt, english=english, label=label, mask_phones=masked)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    filename = f"parklead-leads-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        body = stream_with_context(bulk.csv_chunks(rows))
        return Response(body, mimetype="text/csv", headers=headers)
    # The workbook is built into a spooled file first (an XLSX is a zip written at the end).
    body = bulk.file_chunks(bulk.xlsx_file(rows))
    return Response(
        body,
        mimetype=XLSX_TYPE,
        headers=headers,
    )


@bp.get("/export")
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
    )


# --- OpenAPI ---------------------------------------------------------------------------------


def _document() -> None:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    lead_ref = {"$ref": "#/components/schemas/Lead"}
    event_ref = {"$ref": "#/components/schemas/LeadEvent"}
    lead_key = {
        "name": "lead_key",
        "in": "path",
        "required": True,
        "description": "Lead id or reference (PL-20261124-0007)",
        "schema": {"type": "string"},
    }

    def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
        param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
        if description:
            param["description"] = description
        return param

    filters = [
        query("status", {"type": "string"}, "Comma-separated statuses"),
        query("need_type", {"type": "string"}),
        query("district", {"type": "string"}),
        query("phone", {"type": "string"}),
        query("q", {"type": "string"}, "Search company, contact, phone"),
        query(
            "overdue",
            {"type": "boolean"},
            "Only leads past their SLA due time and not yet contacted",
        ),
        query("unassigned", {"type": "boolean"}),
    ]
    paging = [
        query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
        query("cursor", {"type": "string"}),
    ]

    def body(schema: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
        shape = {"type": "object", "properties": schema}
        if required:
            shape["required"] = required
        return {"required": True, "content": {"application/json": {"schema": shape}}}

    def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "summary": summary,
            "tags": ["leads"],
            "security": bearer,
            "responses": responses,
            **extra,
        }

    editable = {
        name: {"$ref": f"#/components/schemas/EnquiryIn/properties/{name}"}
        for name in activity.EDITABLE_FIELDS
    }
    queue_page = page_of(lead_ref)
    queue_page["properties"]["counts"] = {
        "type": "object",
        "description": "view=queue: your leads per status under the other filters",
        "additionalProperties": {"type": "integer"},
    }
    report = {"$ref": "#/components/schemas/ImportReport"}
    add_paths(
        {
            "/api/leads": {
                "get": op(
                    "Leads you can see: newest first; view=queue: your open leads by SLA due "
                    "time (no due time last), score, id (scope=team: your team's, team leads "
                    "and admins; scope=all: every lead, admins; a search q finds closed leads "
                    "too); view=pool: your team's unassigned leads, best score first",
                    {
                        "200": json_response(queue_page, "A page of leads"),
                        **error_responses(400, 401, 403),
                    },
                    parameters=[
                        query("view", {"type": "string", "enum": ["queue", "pool"]}),
                        query(
                            "scope",
                            {"type": "string", "enum": ["mine", "team", "all"]},
                            "view=queue: whose leads (default mine)",
                        ),
                        query(
                            "agent",
                            {"type": "string"},
                            "view=queue, scope team or all: an agent's id, or none (unassigned)",
                        ),
                        query("team_id", {"type": "integer"}, "view=pool: another team's pool"),
                        *paging,
                        *filters,
                    ],
                ),
            },
            "/api/leads/{lead_key}": {
                "patch": op(
                    "Change a lead's fields (the enquiry rules apply); one field_changed event "
                    "per change; a stale version answers 409",
                    {
                        "200": json_response(lead_ref, "The lead"),
                        **error_responses(400, 401, 404, 409),
                    },
                    parameters=[lead_key],
                    requestBody=body(
                        {**editable, "version": {"type": "integer"}}, required=["version"]
                    ),
                ),
            },
            "/api/leads/{lead_key}/timeline": {
                "get": op(
                    "The lead's history, newest first: events and notifications with their "
                    "delivery state",
                    {
                        "200": json_response(
                            page_of({"$ref": "#/components/schemas/TimelineEntry"}), "Timeline"
                        ),
                        **error_responses(401, 404),
                    },
                    parameters=[lead_key],
                ),
            },
            "/api/leads/{lead_key}/notes": {
                "post": op(
                    "Add a note",
                    {
                        "201": json_response(event_ref, "The note event"),
                        **error_responses(400, 401, 404),
                    },
                    parameters=[lead_key],
                    requestBody=body(
                        {"text": {"type": "string", "maxLength": activity.NOTE_MAX}},
                        required=["text"],
                    ),
                ),
            },
            "/api/leads/{lead_key}/calls": {
                "post": op(
                    "Log a phone call; a connected call on an assigned lead offers (or with "
                    "mark_contacted makes) the move to contacted",
                    {
                        "201": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "event": event_ref,
                                    "status": {"type": "string"},
                                    "moved_to_contacted": {"type": "boolean"},
                                    "offer_contacted": {"type": "boolean"},
                                },
                            },
                            "The call event",
                        ),
                        **error_responses(400, 401, 404, 409),
                    },
                    parameters=[lead_key],
                    requestBody=body(
                        {
                            "outcome": {
                                "type": "string",
                                "enum": [o.value for o in activity.CallOutcome],
                            },
                            "duration_seconds": {"type": "integer", "minimum": 0},
                            "note": {"type": "string"},
                            "mark_contacted": {"type": "boolean", "default": False},
                        },
                        required=["outcome"],
                    ),
                ),
            },
            "/api/leads/{lead_key}/follow-up": {
                "post": op(
                    "Set the next follow-up (ISO date-time; without an offset it is Beijing "
                    "time; must be in the future), or clear it with null",
                    {"200": json_response(lead_ref, "The lead"), **error_responses(400, 401, 404)},
                    parameters=[lead_key],
                    requestBody=body(
                        {"at": {"type": ["string", "null"]}, "note": {"type": "string"}},
                        required=["at"],
                    ),
                ),
            },
            "/api/leads/{lead_key}/merge": {
                "post": op(
                    "Merge this lead into another (admin): it becomes a duplicate of `into` "
                    "(status duplicate where the lifecycle allows), `into` fills its blank "
                    "fields; an event on both",
                    {
                        "200": json_response(lead_ref, "The surviving lead"),
                        **error_responses(400, 401, 403, 404, 409),
                    },
                    parameters=[lead_key],
                    requestBody=body(
                        {"into": {"type": ["integer", "string"]}, "version": {"type": "integer"}},
                        required=["into"],
                    ),
                ),
            },
            "/api/leads/{lead_key}/wechat-reply": {
                "post": op(
                    "Queue a WeChat customer-service message to the prospect (inside the "
                    "48-hour window and its quota)",
                    {
                        "202": json_response({"type": "object"}, "Queued in the outbox"),
                        **error_responses(400, 401, 404, 409),
                    },
                    parameters=[lead_key],
                    requestBody=body(
                        {"text": {"type": "string", "maxLength": activity.REPLY_MAX}},
                        required=["text"],
                    ),
                ),
            },
            "/api/leads/{lead_key}/wechat-window": {
                "get": op(
                    "The prospect's WeChat customer-service window: open, until when, "
                    "messages left",
                    {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "open": {"type": "boolean"},
                                    "expires_at": {"type": ["string", "null"]},
                                    "remaining": {"type": "integer"},
                                },
                            },
                            "The window",
                        ),
                        **error_responses(401, 404),
                    },
                    parameters=[lead_key],
                ),
            },
            "/api/leads/manual": {
                "post": op(
                    "Create a lead taken by phone (channel phone), assigned to you, or to "
                    "agent_id (team lead: own team; admin); an open lead with the phone gets "
                    "the enquiry instead (200)",
                    {
                        "201": json_response(
                            {"$ref": "#/components/schemas/IntakeResult"}, "Lead created"
                        ),
                        "200": json_response(
                            {"$ref": "#/components/schemas/IntakeResult"},
                            "Added to the open lead with this phone",
                        ),
                        **error_responses(400, 401, 403, 409),
                    },
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "allOf": [
                                        {"$ref": "#/components/schemas/EnquiryIn"},
                                        {
                                            "type": "object",
                                            "properties": {"agent_id": {"type": "integer"}},
                                        },
                                    ]
                                }
                            }
                        },
                    },
                ),
            },
            "/api/leads/import": {
                "post": op(
                    "Import leads from CSV or XLSX (admin). dry_run=1 checks and reports "
                    "without writing; the real run writes every valid row in one transaction, "
                    "or nothing when any row has an error (400 with the report). Rows whose "
                    "phone has an open lead are skipped as duplicates. Columns: 公司/company, "
                    "联系人/contact_name, 电话/phone, 微信号/wechat_id, 需求/need_type, 租售/deal, "
                    "面积/area (5000, 3000-5000, 30亩), 最小面积/area_min_m2, "
                    "最大面积/area_max_m2, 行业/industry, 年税收/tax_wan, 投资额/investment_wan, "
                    "员工数/employees, 时间要求/timeline, 区域/district, 备注/message, "
                    "来源/utm_source",
                    {
                        "200": json_response(report, "Dry run report"),
                        "201": json_response(report, "Imported"),
                        **error_responses(400, 401, 403, 413),
                    },
                    parameters=[query("dry_run", {"type": "boolean"})],
                    requestBody={
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                }
                            }
                        },
                    },
                ),
            },
            "/api/leads/export": {
                "get": op(
                    f"The filtered list as CSV (UTF-8 with BOM) or XLSX (team lead, admin); at "
                    f"most {bulk.EXPORT_MAX_ROWS} rows, else 400 export_too_large",
                    {
                        "200": {
                            "description": "The file",
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                            },
                        },
                        **error_responses(400, 401, 403),
                    },
                    parameters=[
                        query(
                            "format", {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"}
                        ),
                        query(
                            "view",
                            {"type": "string", "enum": ["queue"]},
                            "queue: your queue, in its order",
                        ),
                        query(
                            "lang",
                            {"type": "string", "enum": ["zh", "en"]},
                            "Header and label language",
                        ),
                        *filters,
                    ],
                ),
            },
        },
        {
            "LeadEvent": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"type": "string"},
                    "actor": {"type": "string"},
                    "agent_id": {"type": ["integer", "null"]},
                    "data": {"type": "object"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "TimelineEntry": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "type": {"type": "string"},
                    "actor": {"type": "string"},
                    "agent": {"type": ["object", "null"]},
                    "data": {"type": "object"},
                    "notification": {"type": ["object", "null"]},
                },
            },
            "ImportReport": {
                "type": "object",
                "properties": {
                    "dry_run": {"type": "boolean"},
                    "columns": {"type": "object", "additionalProperties": {"type": "string"}},
                    "ignored_columns": {"type": "array", "items": {"type": "string"}},
                    "rows": {"type": "integer"},
                    "valid": {"type": "integer"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "row": {"type": "integer"},
                                "column": {"type": ["string", "null"]},
                                "field": {"type": ["string", "null"]},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "duplicates": {"type": "array", "items": {"type": "object"}},
                    "created": {"type": "integer"},
                    "leads": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    )


_document()
