"""The public privacy page and the admins' privacy API: settings, erasure, the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import json_object
from app.core.i18n import current_language
from app.core.openapi import add_paths, error_responses, json_response
from app.privacy import service as privacy

bp = Blueprint("privacy", __name__, template_folder="templates")
api = Blueprint("privacy_api", __name__, url_prefix="/api")


@bp.get("/privacy")
def policy() -> str:
    lang = current_language()
    return render_template("privacy/policy.html", text=privacy.policy_text(lang), lang=lang)


@api.get("/privacy/settings")
@require_token(Role.ADMIN)
def get_settings() -> Any:
    return jsonify(privacy.current())


@api.put("/privacy/settings")
@require_token(Role.ADMIN)
def put_settings() -> Any:
    values = privacy.update(json_object(), by_agent_id=current_agent().id)
    db.session.commit()
    return jsonify(values)


@api.post("/privacy/erase")
@require_token(Role.ADMIN)
def erase() -> Any:
    body = json_object()
    result = privacy.erase_person(
        phone=_text(body, "phone"), openid=_text(body, "openid"), by_agent_id=current_agent().id
    )
    db.session.commit()
    return jsonify(result.as_dict())


@api.get("/audit")
@require_token(Role.ADMIN)
def audit_log() -> Any:
    raw_action = request.args.get("action") or None
    actions = {a.value: a for a in AuditAction}
    if raw_action is not None and raw_action not in actions:
        raise ValidationFailed("unknown action", fields={"action": ", ".join(actions)})
    before = request.args.get("before", type=int)
    limit = min(max(request.args.get("limit", 100, type=int), 1), 200)
    rows = audit.entries(action=actions.get(raw_action or ""), before_id=before, limit=limit)
    next_cursor = rows[-1].id if len(rows) == limit else None
    return jsonify({"items": [audit.entry_to_dict(r) for r in rows], "next_cursor": next_cursor})


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string", fields={name: "a string"})
    return value


def _document() -> None:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    settings_shape = {
        "type": "object",
        "properties": {
            "notice_zh": {"type": "string", "maxLength": privacy.MAX_TEXT},
            "notice_en": {"type": "string", "maxLength": privacy.MAX_TEXT},
            "policy_url": {"type": "string", "description": "https://…, or empty for /privacy"},
            "policy_text": {"type": "string", "maxLength": privacy.MAX_TEXT},
            "policy_text_en": {"type": "string", "maxLength": privacy.MAX_TEXT},
            "retention_days": {"type": "integer", "minimum": 0, "maximum": 36500},
        },
    }
    erasure = {
        "type": "object",
        "properties": {
            "leads": {"type": "array", "items": {"type": "integer"}},
            "followers": {"type": "integer"},
            "messages": {"type": "integer"},
            "notifications": {"type": "integer"},
        },
    }
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "action": {"type": "string", "enum": [a.value for a in AuditAction]},
            "agent_id": {"type": ["integer", "null"]},
            "address": {"type": ["string", "null"]},
            "detail": {"type": "object"},
        },
    }

    def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"summary": summary, "tags": ["privacy"], "security": bearer,
                "responses": {**responses, **error_responses(401, 403)}, **extra}  # fmt: skip

    json_body = {"required": True, "content": {"application/json": {"schema": settings_shape}}}
    add_paths(
        {
            "/api/privacy/settings": {
                "get": op("Privacy settings", {"200": json_response(settings_shape, "Settings")}),
                "put": op(
                    "Change the consent notice, its link, the privacy text or the retention",
                    {"200": json_response(settings_shape, "Saved"), **error_responses(400)},
                    requestBody=json_body,
                ),
            },
            "/api/privacy/erase": {
                "post": op(
                    "Erase a person's personal data by phone or WeChat openid (audited)",
                    {"200": json_response(erasure, "Erased"), **error_responses(400)},
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "phone": {"type": "string"},
                                        "openid": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                )
            },
            "/api/audit": {
                "get": op(
                    "The audit log of exports, erasures and setting changes (newest first)",
                    {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": entry},
                                    "next_cursor": {"type": ["integer", "null"]},
                                },
                            },
                            "Entries",
                        ),
                        **error_responses(400),
                    },
                    parameters=[
                        {"name": "action", "in": "query", "schema": {"type": "string"}},
                        {"name": "before", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                )
            },
        }
    )


_document()
