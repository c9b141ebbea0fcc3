"""Writing to the notification outbox: called inside the transaction of the causing change.

`queue_notification` inserts one row per idempotency key (a second call with the same key is
a no-op, also when two transactions race: INSERT ... ON CONFLICT DO NOTHING) and hands the
send task to Celery after the commit. If that hand-off is lost, the outbox sweeper finds the
row by its `next_attempt_at`.

The INSERT is a statement of its own, not a flush: queuing a notification in the middle of a
change (routing, for one) must not write the caller's pending changes early, which would turn
one UPDATE of a lead into two.

A change that queues many notifications at once (routing a batch of leads) wraps itself in
`one_insert()`: the rows queued inside are kept as plain values and written by one INSERT when
it ends (`app.core.db.insert_many`), still in the caller's transaction and with the same ON
CONFLICT rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app.core.db import db, insert_many, transient, utcnow
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
    pending = _pending.get()
    if pending is not None:
        # Inside `one_insert()`: the row is written when it ends (its id set then; a key
        # queued before leaves the returned row without one).
        if idempotency_key not in pending:
            pending[idempotency_key] = (transient(Notification, values), values)
        return pending[idempotency_key][0]
    with db.session.no_autoflush:
        # RETURNING the whole row: the new notification in one round trip, no SELECT after.
        notification = db.session.scalar(_insert_unless_exists(values))
        if notification is None:  # this cause was queued before
            return db.session.scalars(
                select(Notification).where(Notification.idempotency_key == idempotency_key)
            ).one()
        enqueue_after_commit(SEND_TASK, notification.id)
    return notification


_pending: ContextVar[dict[str, tuple[Notification, dict[str, Any]]] | None] = ContextVar(
    "parklead_outbox_pending", default=None
)


@contextmanager
def one_insert() -> Iterator[None]:
    """Write the notifications queued inside with one INSERT when the block ends (nothing
    when it raises: the caller's transaction is rolled back anyway). Caller commits."""
    pending: dict[str, tuple[Notification, dict[str, Any]]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if not pending:
        return
    rows = [values for _, values in pending.values()]
    with db.session.no_autoflush:
        written = insert_many(
            Notification.__table__,
            rows,
            unless_exists="idempotency_key",
            returning=("id", "idempotency_key"),
        )
        for row in written:
            pending[row.idempotency_key][0].id = row.id
            enqueue_after_commit(SEND_TASK, row.id)


def _insert_unless_exists(values: dict[str, Any]) -> Insert:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Notification.idempotency_key])
        .returning(Notification)
    )
