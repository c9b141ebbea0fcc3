"""Admin API for the notification outbox: see what failed or died, and retry it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts.auth import require_token
from app.accounts.models import Role
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import int_arg
from app.core.openapi import add_paths, error_responses, json_response, page_of
from app.notifications import service
from app.notifications.models import NotificationChannel, NotificationStatus

bp = Blueprint("notifications_api", __name__, url_prefix="/api/notifications")


def _enum_list(name: str, enum_cls: type[NotificationStatus]) -> list[NotificationStatus]:
    values = []
    for part in (request.args.get(name) or "").split(","):
        if not part.strip():
            continue
        try:
            values.append(enum_cls(part.strip()))
        except ValueError:
            raise ValidationFailed(
                f"unknown {name} {part.strip()!r}",
                fields={name: "one of " + ", ".join(s.value for s in enum_cls)},
            ) from None
    return values


@bp.get("")
@require_token(Role.ADMIN)
def list_notifications() -> Any:
    raw_channel = request.args.get("channel")
    try:
        channel = NotificationChannel(raw_channel) if raw_channel else None
    except ValueError:
        raise ValidationFailed(
            f"unknown channel {raw_channel!r}",
            fields={"channel": "one of " + ", ".join(c.value for c in NotificationChannel)},
        ) from None
    lead_id = request.args.get("lead_id")
    if lead_id is not None and not lead_id.isdigit():
        raise ValidationFailed("lead_id must be a number", fields={"lead_id": "a number"})
    rows, next_cursor = service.list_notifications(
        statuses=_enum_list("status", NotificationStatus),
        channel=channel,
        kind=request.args.get("kind") or None,
        lead_id=int(lead_id) if lead_id else None,
        limit=int_arg("limit", 50),
        cursor=request.args.get("cursor"),
    )
    return jsonify(
        {"items": [service.notification_to_dict(n) for n in rows], "next_cursor": next_cursor}
    )


@bp.post("/<int:notification_id>/retry")
@require_token(Role.ADMIN)
def retry(notification_id: int) -> Any:
    notification = service.retry_notification(notification_id)
    db.session.commit()
    return jsonify(service.notification_to_dict(notification))


_NOTIFICATION = {"$ref": "#/components/schemas/Notification"}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
_CHANNELS = [c.value for c in NotificationChannel]

add_paths(
    {
        "/api/notifications": {
            "get": {
                "summary": "The notification outbox, newest first (admins)",
                "tags": ["notifications"],
                "security": _BEARER,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "description": "Comma-separated statuses, e.g. dead,failed",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "channel",
                        "in": "query",
                        "schema": {"type": "string", "enum": _CHANNELS},
                    },
                    {"name": "kind", "in": "query", "schema": {"type": "string"}},
                    {"name": "lead_id", "in": "query", "schema": {"type": "integer"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": json_response(page_of(_NOTIFICATION), "A page of notifications"),
                    **error_responses(400, 401, 403),
                },
            }
        },
        "/api/notifications/{notification_id}/retry": {
            "post": {
                "summary": "Send a dead, failed or skipped notification again (admins)",
                "description": "Back to pending with its attempts kept, and queued at once. "
                "Other statuses answer 409.",
                "tags": ["notifications"],
                "security": _BEARER,
                "parameters": [
                    {
                        "name": "notification_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": json_response(_NOTIFICATION, "The notification, now pending"),
                    **error_responses(401, 403, 404, 409),
                },
            }
        },
    },
    {
        "Notification": {
            "type": "object",
            "required": ["id", "channel", "kind", "status", "attempts", "last_error"],
            "properties": {
                "id": {"type": "integer"},
                "channel": {"type": "string", "enum": _CHANNELS},
                "kind": {"type": "string"},
                "recipient": {"type": "string"},
                "template": {"type": ["string", "null"]},
                "payload": {"type": "object"},
                "idempotency_key": {"type": "string"},
                "status": {"type": "string", "enum": [s.value for s in NotificationStatus]},
                "attempts": {"type": "integer"},
                "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                "last_error": {"type": ["string", "null"]},
                "lead_id": {"type": ["integer", "null"]},
                "agent_id": {"type": ["integer", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "sent_at": {"type": ["string", "null"], "format": "date-time"},
                "receipt": {
                    "type": ["string", "null"],
                    "description": "WeChat's delivery report of a template message "
                    "(success, failed:user block, failed: system failed)",
                },
                "receipt_at": {"type": ["string", "null"], "format": "date-time"},
            },
        }
    },
)
