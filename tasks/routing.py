"""Periodic routing jobs (Celery beat): SLA checks, the public pool, reminders, digest."""

from __future__ import annotations

import logging

from celery import shared_task

from app.core.db import db
from app.routing import sla

log = logging.getLogger(__name__)


@shared_task(name="tasks.routing.check_sla")
def check_sla() -> dict[str, int]:
    with db.transaction():
        run = sla.check_sla()
    if run.breached or run.reassigned or run.pooled:
        log.info("SLA check: %s", run.as_dict())
    return run.as_dict()


@shared_task(name="tasks.routing.release_inactive")
def release_inactive() -> int:
    with db.transaction():
        return len(sla.release_inactive())


@shared_task(name="tasks.routing.remind_follow_ups")
def remind_follow_ups() -> int:
    with db.transaction():
        return sla.remind_follow_ups()


@shared_task(name="tasks.routing.daily_digest")
def daily_digest() -> int:
    with db.transaction():
        return sla.daily_digest()
