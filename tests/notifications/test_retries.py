"""Claim, lease, retries with backoff, dead letters, and redelivered tasks."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import update

from app.core.db import db, utcnow
from app.notifications import channels, service
from app.notifications.channels import ChannelResult
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.service import Outcome, backoff_seconds
from tasks import notifications as tasks
from tests.notifications.helpers import reload
from tests.notifications.servers import WebhookReceiver

Status = NotificationStatus


@pytest.fixture
def event(make_notification, webhook: WebhookReceiver) -> Notification:
    return make_notification(
        NotificationChannel.WEBHOOK,
        webhook.url,
        kind="lead_created",
        payload={"event": "lead.created", "data": {"id": 1}},
    )


def set_row(notification: Notification, **values) -> None:
    db.session.execute(
        update(Notification).where(Notification.id == notification.id).values(**values)
    )
    db.session.commit()


# --- backoff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (3, 60, 120), (7, 960, 1920), (8, 1800, 3600), (40, 1800, 3600)],
)
def test_backoff_is_exponential_with_jitter_within_bounds(attempt, low, high):
    rng = random.Random(attempt)
    waits = [backoff_seconds(attempt, base=30, cap=3600, rng=rng) for _ in range(500)]

    assert all(low <= w <= high for w in waits)
    assert max(waits) - min(waits) > (high - low) * 0.8  # really jittered, not a constant


def test_backoff_never_shrinks_from_one_attempt_to_the_next_below_the_cap():
    rng = random.Random(7)
    for _ in range(200):
        waits = [backoff_seconds(n, base=30, cap=3600, rng=rng) for n in range(1, 8)]
        assert waits == sorted(waits)


def test_backoff_survives_absurd_attempt_counts():
    assert 1800 <= backoff_seconds(10_000, base=30, cap=3600) <= 3600


# --- retries and dead letters ----------------------------------------------------------------


def test_failures_back_off_then_die_with_the_last_error(event, webhook, settings):
    settings(NOTIFY_MAX_ATTEMPTS=4, NOTIFY_BACKOFF_BASE_SECONDS=10, NOTIFY_BACKOFF_MAX_SECONDS=60)
    webhook.answer(503, 503, 503, 500)
    waits = []
    for attempt in range(1, 4):
        before = utcnow()
        delivery = service.deliver(event.id)
        row = reload(event)
        assert delivery.outcome is Outcome.FAILED
        assert row.status is Status.FAILED
        assert row.attempts == attempt
        assert "HTTP 503" in row.last_error
        ceiling = min(60, 10 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delivery.retry_in <= ceiling
        wait = (row.next_attempt_at - before).total_seconds()
        assert ceiling / 2 <= wait <= ceiling + 1
        waits.append(wait)
    assert waits == sorted(waits)

    delivery = service.deliver(event.id)

    row = reload(event)
    assert delivery.outcome is Outcome.DEAD
    assert delivery.retry_in is None
    assert row.status is Status.DEAD
    assert row.attempts == 4
    assert row.next_attempt_at is None
    assert "HTTP 500" in row.last_error
    assert "gave up after 4 attempts" in row.last_error
    assert len(webhook.calls) == 4


def test_dead_row_is_not_sent_again(event, webhook):
    set_row(event, status=Status.DEAD, attempts=8, last_error="HTTP 503")

    assert service.deliver(event.id).outcome is Outcome.DONE
    assert webhook.calls == []


# --- idempotent delivery ---------------------------------------------------------------------


def test_redelivered_task_sends_nothing_twice(event, webhook):
    outcomes = [service.deliver(event.id).outcome for _ in range(3)]

    assert outcomes == [Outcome.SENT, Outcome.DONE, Outcome.DONE]
    assert len(webhook.calls) == 1
    assert reload(event).attempts == 1


@pytest.mark.parametrize("status", [Status.SENT, Status.DEAD, Status.SKIPPED])
def test_finished_rows_send_nothing(event, webhook, status):
    set_row(event, status=status)

    assert service.deliver(event.id).outcome is Outcome.DONE
    assert webhook.calls == []


def test_row_leased_by_another_worker_is_left_alone(event, webhook):
    lease = utcnow() + dt.timedelta(seconds=60)
    set_row(event, status=Status.SENDING, attempts=1, next_attempt_at=lease)

    assert service.deliver(event.id).outcome is Outcome.BUSY
    assert webhook.calls == []
    row = reload(event)
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.SENDING, 1, lease)


def test_expired_lease_is_taken_over(event, webhook):
    set_row(
        event, status=Status.SENDING, attempts=1, next_attempt_at=utcnow() - dt.timedelta(seconds=1)
    )

    assert service.deliver(event.id).outcome is Outcome.SENT
    assert reload(event).attempts == 2
    assert len(webhook.calls) == 1


def test_claim_holds_a_lease_while_sending(event, settings, monkeypatch):
    settings(NOTIFY_LEASE_SECONDS=90)
    seen = {}

    def peek(notification: Notification) -> ChannelResult:
        row = reload(notification)
        seen.update(status=row.status, attempts=row.attempts, lease=row.next_attempt_at)
        return ChannelResult.sent()

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, peek)
    before = utcnow()
    service.deliver(event.id)

    assert seen["status"] is Status.SENDING
    assert seen["attempts"] == 1
    assert before + dt.timedelta(seconds=89) < seen["lease"] <= utcnow() + dt.timedelta(seconds=90)


def test_worker_whose_lease_was_taken_over_does_not_overwrite_the_newer_attempt(event, monkeypatch):
    def slow_send_taken_over(notification: Notification) -> ChannelResult:
        # While this worker was sending, its lease expired and another worker claimed the
        # row (attempt 2) and recorded a failure.
        set_row(notification, attempts=2, status=Status.FAILED, last_error="newer attempt")
        return ChannelResult.sent()

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, slow_send_taken_over)

    assert service.deliver(event.id).outcome is Outcome.SUPERSEDED
    row = reload(event)
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 2, "newer attempt")


def test_worker_lost_on_the_last_attempt_makes_the_row_dead(event, webhook, settings):
    settings(NOTIFY_MAX_ATTEMPTS=3)
    set_row(
        event, status=Status.SENDING, attempts=3, next_attempt_at=utcnow() - dt.timedelta(seconds=5)
    )

    assert service.deliver(event.id).outcome is Outcome.DONE
    row = reload(event)
    assert row.status is Status.DEAD
    assert "lost" in row.last_error
    assert webhook.calls == []


def test_unexpected_sender_error_is_recorded_and_retried(event, monkeypatch, caplog):
    def broken(_notification: Notification) -> ChannelResult:
        raise KeyError("data")

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, broken)

    delivery = service.deliver(event.id)

    assert delivery.outcome is Outcome.FAILED
    row = reload(event)
    assert row.status is Status.FAILED
    assert row.last_error == "unexpected KeyError: 'data'"
    assert "sender raised" in caplog.text


def test_missing_row_is_nothing_to_do(app):
    assert service.deliver(987654).outcome is Outcome.MISSING


# --- the task --------------------------------------------------------------------------------


def test_task_retries_with_the_backoff_as_countdown(event, webhook, monkeypatch):
    webhook.answer(503)
    retries = []

    def fake_retry(**options):
        retries.append(options)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.send_notification, "retry", fake_retry)
    with pytest.raises(RuntimeError, match="retry"):
        tasks.send_notification.run(event.id)

    row = reload(event)
    [options] = retries
    assert 15 <= options["countdown"] <= 30
    expected = (row.next_attempt_at - utcnow()).total_seconds()
    assert abs(options["countdown"] - expected) < 2


def test_task_countdown_stays_below_the_visibility_timeout(settings, app):
    settings(CELERY_VISIBILITY_TIMEOUT=3600, CELERY_TASK_TIME_LIMIT=300)

    assert tasks.retry_countdown(45.0) == 45.0
    assert tasks.retry_countdown(3599.0) == 3300.0


def test_task_in_embedded_mode_leaves_the_retry_to_the_sweeper(event, webhook):
    webhook.answer(503)

    result = tasks.send_notification.apply(args=(event.id,))

    assert result.get()["outcome"] == "failed"
    assert len(webhook.calls) == 1  # not retried at once, inside the request
    assert reload(event).status is Status.FAILED


def test_task_for_a_sent_row_does_nothing(event, webhook):
    tasks.send_notification.apply(args=(event.id,))
    result = tasks.send_notification.apply(args=(event.id,))

    assert result.get()["outcome"] == "done"
    assert len(webhook.calls) == 1
