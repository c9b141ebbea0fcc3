"""The batch send task: what the publisher sends when many notifications wait at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from app.core import dispatch
from app.notifications import service
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK
from tasks import notifications as tasks
from tests.notifications.helpers import reload
from tests.notifications.servers import WebhookReceiver

Status = NotificationStatus


@pytest.fixture
def events(make_notification, webhook: WebhookReceiver) -> list[Notification]:
    return [
        make_notification(
            NotificationChannel.WEBHOOK,
            webhook.url,
            kind="lead_created",
            payload={"event": "lead.created", "data": {"id": n}},
        )
        for n in range(3)
    ]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], dict]]:
    """Tasks the batch publishes itself (a retry, the rest of a batch), recorded."""
    calls: list[tuple[str, tuple[Any, ...], dict]] = []

    def recorder(task: Any) -> Any:
        def apply_async(args: tuple[Any, ...], **options: Any) -> None:
            calls.append((task.name, args, options))

        return apply_async

    for task in (tasks.send_notification, tasks.send_notifications):
        monkeypatch.setattr(task, "apply_async", recorder(task))
    return calls


def test_publisher_sends_queued_notifications_as_one_batch():
    assert dispatch._BATCHES[SEND_TASK] == "tasks.notifications.send_notifications"


def test_batch_delivers_every_row_once(events, webhook, published):
    sent = tasks.send_notifications.run([e.id for e in events])

    assert sent == 3
    assert len(webhook.calls) == 3
    assert all(reload(e).status is Status.SENT for e in events)
    assert published == []
    # A redelivered batch sends nothing again.
    assert tasks.send_notifications.run([e.id for e in events]) == 0
    assert len(webhook.calls) == 3


def test_batch_retries_a_failed_row_on_its_own_at_its_backoff(events, webhook, published):
    webhook.answer(503)

    sent = tasks.send_notifications.run([e.id for e in events])

    assert sent == 2
    assert reload(events[0]).status is Status.FAILED
    [(name, args, options)] = published
    assert (name, args) == ("tasks.notifications.send_notification", (events[0].id,))
    assert 15 <= options["countdown"] <= 30


def test_batch_leaves_a_row_whose_delivery_raised_to_the_sweeper(
    events, webhook, published, monkeypatch
):
    real = service.deliver_many
    monkeypatch.setattr(tasks, "CLAIM_CHUNK", 1)

    def deliver_many(notification_ids: list[int]) -> service.BatchDelivery:
        if events[1].id in notification_ids:
            raise OperationalError("UPDATE notification", {}, Exception("connection lost"))
        return real(notification_ids)

    monkeypatch.setattr(service, "deliver_many", deliver_many)

    assert tasks.send_notifications.run([e.id for e in events]) == 2
    assert reload(events[1]).status is Status.PENDING
    assert published == []


def test_batch_hands_back_the_rows_it_did_not_reach(events, webhook, published, monkeypatch):
    monkeypatch.setattr(tasks, "BATCH_BUDGET_SECONDS", -1.0)

    assert tasks.send_notifications.run([e.id for e in events]) == 0
    assert webhook.calls == []
    assert published == [("tasks.notifications.send_notifications", ([e.id for e in events],), {})]
