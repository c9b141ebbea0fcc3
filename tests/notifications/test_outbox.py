"""Writing to the outbox: one row per idempotency key, its task queued only after commit."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.db import db
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK, queue_notification


def queue(key: str = "lead_assigned:1:2:2026-11-24T08:00:00+00:00:email") -> Notification:
    return queue_notification(
        channel=NotificationChannel.EMAIL,
        kind="lead_assigned",
        recipient="li@park.example",
        idempotency_key=key,
        payload={"subject": "s", "body": "b"},
    )


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_new_notification_is_pending_and_due_now(dispatched):
    notification = queue()
    db.session.commit()

    assert notification.status is NotificationStatus.PENDING
    assert notification.attempts == 0
    assert notification.next_attempt_at is not None
    assert notification.payload == {"subject": "s", "body": "b"}


def test_same_key_twice_is_one_row(dispatched):
    first = queue()
    db.session.commit()
    second = queue()
    db.session.commit()

    assert second.id == first.id
    assert count() == 1
    assert dispatched.notification_ids == [first.id]


def test_same_key_twice_in_one_transaction_is_one_row(dispatched):
    first, second = queue(), queue()
    db.session.commit()

    assert first.id == second.id
    assert count() == 1


def test_send_task_is_enqueued_only_after_commit(dispatched):
    notification = queue()

    assert dispatched.sent == []
    db.session.commit()
    assert dispatched.sent == [(SEND_TASK, (notification.id,))]


def test_rolled_back_notification_is_never_enqueued(dispatched):
    queue()
    db.session.rollback()
    db.session.commit()

    assert dispatched.sent == []
    assert count() == 0


def test_queueing_leaves_the_callers_pending_changes_unflushed(dispatched, lead):
    lead.company = "改过的公司名"
    queue(f"test:{lead.id}")

    # Still one UPDATE of the lead at the caller's commit, not an early one here.
    assert lead in db.session.dirty
