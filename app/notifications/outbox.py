"""Writing to the notification outbox: called inside the transaction of the causing change.

`queue_notification` inserts one row per idempotency key (a second call with the same key is
a no-op) and hands the send task to Celery after the commit. If that hand-off is lost, the
outbox sweeper finds the row by its `next_attempt_at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.dispatch import enqueue_after_commit
from app.notifications.models import Notification, NotificationChannel, NotificationStatus

SEND_TASK = "tasks.notifications.send_notification"


def queue_notification(
    *,
    channel: NotificationChannel,
    kind: str,
    recipient: str,
    idempotency_key: str,
    payload: dict[str, Any] | None = None,
    template: str | None = None,
    lead_id: int | None = None,
    agent_id: int | None = None,
) -> Notification:
    """Add a notification to the outbox (or return the one with this key). Caller commits."""
    existing = db.session.scalars(
        select(Notification).where(Notification.idempotency_key == idempotency_key)
    ).first()
    if existing is not None:
        return existing
    notification = Notification(
        channel=channel,
        kind=kind,
        recipient=recipient,
        idempotency_key=idempotency_key,
        payload=payload or {},
        template=template,
        lead_id=lead_id,
        agent_id=agent_id,
        status=NotificationStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(notification)
    db.session.flush()
    enqueue_after_commit(SEND_TASK, notification.id)
    return notification
