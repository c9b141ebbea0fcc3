"""Writing to the notification outbox: called inside the transaction of the causing change.

`queue_notification` inserts one row per idempotency key (a second call with the same key is
a no-op, also when two transactions race: INSERT ... ON CONFLICT DO NOTHING) and hands the
send task to Celery after the commit. If that hand-off is lost, the outbox sweeper finds the
row by its `next_attempt_at`.

The INSERT is a statement of its own, not a flush: queuing a notification in the middle of a
change (routing, for one) must not write the caller's pending changes early, which would turn
one UPDATE of a lead into two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite

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
    values = {
        "channel": channel,
        "kind": kind,
        "recipient": recipient,
        "idempotency_key": idempotency_key,
        "payload": payload or {},
        "template": template,
        "lead_id": lead_id,
        "agent_id": agent_id,
        "status": NotificationStatus.PENDING,
        "next_attempt_at": utcnow(),
    }
    with db.session.no_autoflush:
        # RETURNING the whole row: the new notification in one round trip, no SELECT after.
        notification = db.session.scalar(_insert_unless_exists(values))
        if notification is None:  # this cause was queued before
            return db.session.scalars(
                select(Notification).where(Notification.idempotency_key == idempotency_key)
            ).one()
        enqueue_after_commit(SEND_TASK, notification.id)
    return notification


def _insert_unless_exists(values: dict[str, Any]) -> Insert:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Notification.idempotency_key])
        .returning(Notification)
    )
