"""Admin API for the notification outbox (`/api/notifications`): see what failed or died, and
retry it. In the admin room, not beside the outbox, because it needs the accounts' token
login; the outbox itself imports no domain (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from app.accounts.auth import require_token
from app.accounts.models import Role
from app.core.apidoc import Page, api_doc
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import int_arg
from app.notifications import service
from app.notifications.models import NotificationChannel, NotificationStatus
from app.notifications.shapes import Notification, NotificationQuery

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
@api_doc(
    "The notification outbox, newest first (admins)",
    tags="notifications",
    auth=True,
    query=NotificationQuery,
    responses={200: (Page[Notification], "A page of notifications")},
    errors=(400, 401, 403),
)
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
@api_doc(
    "Send a dead, failed or skipped notification again (admins)",
    tags="notifications",
    description="Back to pending with its attempts kept, and queued at once. Other statuses "
    "answer 409.",
    auth=True,
    responses={200: (Notification, "The notification, now pending")},
    errors=(401, 403, 404, 409),
)
@require_token(Role.ADMIN)
def retry(notification_id: int) -> Any:
    notification = service.retry_notification(notification_id)
    db.session.commit()
    return jsonify(service.notification_to_dict(notification))
