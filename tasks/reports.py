"""Periodic report jobs (Celery beat)."""

from __future__ import annotations

import logging

from celery import shared_task

from app.core.db import db
from app.reports import rollup

log = logging.getLogger(__name__)


@shared_task(name="tasks.reports.refresh_rollup")
def refresh_rollup() -> dict[str, object]:
    """Materialize new days of the funnel report's rollup and rebuild dirty ones."""
    with db.transaction():
        result = rollup.refresh()
    if result.days:
        log.info("report rollup: %s", result.as_dict())
    return result.as_dict()
