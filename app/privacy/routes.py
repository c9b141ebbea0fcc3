"""The public privacy page and the admins' privacy API: settings, erasure, the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Role
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.apidoc import api_doc
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import json_object
from app.core.i18n import current_language
from app.privacy import service as privacy
from app.privacy.shapes import AuditPage, AuditQuery, Erasure, ErasureIn, PrivacySettings
from app.settings import privacy_notice

bp = Blueprint("privacy", __name__, template_folder="templates")
api = Blueprint("privacy_api", __name__, url_prefix="/api")


@bp.get("/privacy")
def policy() -> str:
    lang = current_language()
    return render_template("privacy/policy.html", text=privacy_notice.policy_text(lang), lang=lang)


@api.get("/privacy/settings")
@api_doc(
    "Privacy settings",
    tags="privacy",
    auth=True,
    responses={200: PrivacySettings},
    errors=(401, 403),
)
@require_token(Role.ADMIN)
def get_settings() -> Any:
    return jsonify(privacy_notice.current())


@api.put("/privacy/settings")
@api_doc(
    "Change the consent notice, its link, the privacy text or the retention",
    tags="privacy",
    auth=True,
    body=PrivacySettings,
    responses={200: (PrivacySettings, "Saved")},
    errors=(400, 401, 403),
)
@require_token(Role.ADMIN)
def put_settings() -> Any:
    values = privacy.update(json_object(), by_agent_id=current_agent().id)
    db.session.commit()
    return jsonify(values)


@api.post("/privacy/erase")
@api_doc(
    "Erase a person's personal data by phone or WeChat openid (audited)",
    tags="privacy",
    auth=True,
    body=ErasureIn,
    responses={200: Erasure},
    errors=(400, 401, 403),
)
@require_token(Role.ADMIN)
def erase() -> Any:
    body = json_object()
    result = privacy.erase_person(
        phone=_text(body, "phone"), openid=_text(body, "openid"), by_agent_id=current_agent().id
    )
    db.session.commit()
    return jsonify(result.as_dict())


@api.get("/audit")
@api_doc(
    "The audit log of exports, erasures and setting changes (newest first)",
    tags="privacy",
    auth=True,
    query=AuditQuery,
    responses={200: AuditPage},
    errors=(400, 401, 403),
)
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
