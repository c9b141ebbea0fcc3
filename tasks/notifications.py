"""Thin tasks around the notification outbox. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from flask import current_app

from app.notifications import service

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="tasks.notifications.send_notification",
    # The outbox counts attempts (NOTIFY_MAX_ATTEMPTS) and decides when a row is dead.
    max_retries=None,
)
def send_notification(self: Task, notification_id: int) -> dict[str, Any]:
    delivery = service.deliver(notification_id)
    if delivery.retry_in is not None:
        if self.request.is_eager:
            # Embedded mode would retry at once, in the request; the row keeps its
            # next_attempt_at for the sweeper instead.
            return delivery.as_dict()
        raise self.retry(countdown=retry_countdown(delivery.retry_in))
    return delivery.as_dict()


def retry_countdown(seconds: float) -> float:
    """Celery's countdown for a retry. A message waiting for its ETA stays unacknowledged on
    Redis, which hands it to another worker once the visibility timeout passes; the wait is
    kept below that (minus the time a task may run), so one retry stays one message. A row
    retried a little early is simply sent a little early."""
    cfg = current_app.config
    ceiling = max(1.0, cfg["CELERY_VISIBILITY_TIMEOUT"] - cfg["CELERY_TASK_TIME_LIMIT"])
    return max(0.0, min(seconds, ceiling))


@shared_task(name="tasks.notifications.sweep_outbox")
def sweep_outbox() -> int:
    """Re-enqueue notifications whose task was lost; safe to run twice at once."""
    return service.sweep_outbox()
