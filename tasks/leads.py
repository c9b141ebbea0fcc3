"""Thin task wrappers around lead routing. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from app.core.db import db
from app.routing import engine

log = logging.getLogger(__name__)


@shared_task(
    name="tasks.leads.route_lead",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def route_lead(lead_id: int) -> dict[str, object] | None:
    with db.transaction():
        outcome = engine.route_lead(lead_id)
    if outcome is None:
        return None
    log.info("lead %s routed: agent=%s (%s)", lead_id, outcome.agent_id, outcome.reason)
    return {"lead_id": lead_id, "agent_id": outcome.agent_id, "reason": outcome.reason}


@shared_task(name="tasks.leads.sweep_unrouted")
def sweep_unrouted() -> int:
    """Re-enqueue leads whose routing task was lost; safe to run twice at once."""
    ids = engine.unrouted_lead_ids(current_app.config["ROUTING_SWEEP_AFTER_SECONDS"])
    for lead_id in ids:
        route_lead.apply_async((lead_id,))
    if ids:
        log.warning("sweeper re-enqueued %d unrouted leads", len(ids))
    return len(ids)
