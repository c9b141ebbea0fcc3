"""Retention of personal data (Celery beat, daily): docs/security.md."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from app.core.db import db
from app.privacy import service as privacy


@shared_task(name="tasks.privacy.erase_expired")
def erase_expired() -> dict[str, Any]:
    """Erase closed leads past the retention period, a batch at a time until none is left."""
    erased: list[int] = []
    while True:
        with db.transaction():
            result = privacy.run_retention()
        erased.extend(result.leads)
        if not result.leads:
            return {"leads": len(erased)}
