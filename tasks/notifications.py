"""Thin tasks around the notification outbox. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task, shared_task
from flask import current_app

from app.core.dispatch import publish_in_batches
from app.notifications import service
from app.notifications.outbox import SEND_TASK

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


# A batch hands the rows it has not reached back as a new batch after this long, so a slow
# remote cannot keep a batch running into the task time limit.
BATCH_BUDGET_SECONDS = 60.0
# Rows claimed, sent and recorded together (`service.deliver_many`): one claim, one SMTP
# connection and one record per chunk. Bounded so that a worker lost mid-chunk leaves few
# rows sent but not recorded (sent again once their lease expires, docs/notifications.md).
CLAIM_CHUNK = 50


@shared_task(name="tasks.notifications.send_notifications")
def send_notifications(notification_ids: list[int]) -> int:
    """Deliver a batch the publisher sent as one message (`publish_in_batches`), in chunks of
    `CLAIM_CHUNK` rows, each delivered by `service.deliver_many` in an app context (and so a
    session) of its own. A row to retry goes back as its own `send_notification` at its
    backoff; a chunk whose delivery raised is left to the outbox sweeper, as a failed task's;
    rows released by a slow chunk and rows not reached within the budget go back as a new
    batch."""
    started = time.monotonic()
    sent = 0
    for index in range(0, len(notification_ids), CLAIM_CHUNK):
        if time.monotonic() - started > BATCH_BUDGET_SECONDS:
            send_notifications.apply_async((notification_ids[index:],))
            break
        chunk = notification_ids[index : index + CLAIM_CHUNK]
        try:
            with current_app.app_context():
                batch = service.deliver_many(chunk)
                for delivery in batch.deliveries:
                    if delivery.retry_in is not None:
                        send_notification.apply_async(
                            (delivery.notification_id,),
                            countdown=retry_countdown(delivery.retry_in),
                        )
        except Exception:
            log.exception("notifications %s: delivery failed; left to the sweeper", chunk)
            continue
        sent += sum(d.outcome is service.Outcome.SENT for d in batch.deliveries)
        if batch.released:
            rest = batch.released + notification_ids[index + CLAIM_CHUNK :]
            send_notifications.apply_async((rest,))
            break
    return sent


# One chunk a message, so that the rows of a large routing batch are sent by several threads
# and workers at once rather than one after the other.
publish_in_batches(SEND_TASK, "tasks.notifications.send_notifications", size=CLAIM_CHUNK)


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
