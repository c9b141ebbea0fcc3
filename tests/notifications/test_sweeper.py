"""The outbox sweeper re-enqueues rows whose task was lost, and only those."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from app.core.db import db, utcnow
from app.notifications import service
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK
from tasks import notifications as tasks
from tests.notifications.helpers import reload

Status = NotificationStatus
GRACE = 60


@pytest.fixture
def row(make_notification, dispatched, settings):
    settings(NOTIFY_SWEEP_GRACE_SECONDS=GRACE)

    def _make(status: Status, due_seconds_ago: float | None) -> Notification:
        notification = make_notification(NotificationChannel.EMAIL, "li@park.example")
        due = utcnow() - dt.timedelta(seconds=due_seconds_ago) if due_seconds_ago else None
        db.session.execute(
            update(Notification)
            .where(Notification.id == notification.id)
            .values(status=status, next_attempt_at=due)
        )
        db.session.commit()
        dispatched.sent.clear()  # forget the task queued with it: as if it were lost
        return notification

    return _make


def test_sweeper_reenqueues_rows_whose_task_was_lost(row, dispatched):
    lost = [
        row(Status.PENDING, GRACE + 5),  # the publish after commit failed
        row(Status.FAILED, GRACE + 5),  # its retry message was lost
        row(Status.SENDING, GRACE + 5),  # the worker died; the lease expired
    ]

    assert service.sweep_outbox() == 3
    assert sorted(dispatched.notification_ids) == sorted(n.id for n in lost)
    assert all(name == SEND_TASK for name, _ in dispatched.sent)


def test_sweeper_leaves_rows_that_are_not_lost(row, dispatched):
    row(Status.PENDING, 5)  # just queued: its task is on its way
    row(Status.FAILED, -600)  # retry scheduled in ten minutes
    row(Status.SENDING, -60)  # a worker holds the lease
    for finished in (Status.SENT, Status.DEAD, Status.SKIPPED):
        row(finished, 3600)

    assert service.sweep_outbox() == 0
    assert dispatched.sent == []


def test_sweeping_twice_enqueues_each_row_once(row, dispatched):
    lost = row(Status.PENDING, GRACE + 5)

    assert service.sweep_outbox() == 1
    assert service.sweep_outbox() == 0
    assert dispatched.notification_ids == [lost.id]
    # Due again only after another grace period, should that task be lost too.
    assert reload(lost).next_attempt_at > utcnow() - dt.timedelta(seconds=GRACE)


def test_sweeper_works_in_batches(row, dispatched, settings):
    settings(NOTIFY_SWEEP_BATCH=2)
    lost = [row(Status.PENDING, GRACE + 5 + i) for i in range(5)]

    assert service.sweep_outbox() == 5
    assert sorted(dispatched.notification_ids) == sorted(n.id for n in lost)


def test_swept_row_is_sent_once_even_if_its_first_task_turns_up(row, dispatched, smtp):
    lost = row(Status.PENDING, GRACE + 5)
    service.sweep_outbox()

    outcomes = [service.deliver(lost.id).outcome.value for _ in range(2)]

    assert outcomes == ["sent", "done"]
    assert len(smtp.received()) == 1


def test_sweep_task_returns_the_count(row, app):
    row(Status.FAILED, GRACE + 5)

    assert tasks.sweep_outbox.apply().get() == 1
