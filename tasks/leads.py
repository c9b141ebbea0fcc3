"""Thin task wrappers around lead routing. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from app.core.db import db
from app.core.dispatch import publish_in_batches
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


# Leads routed in one transaction (`engine.route_leads`): the team's rows stay locked for the
# batch, so it is kept short enough for claims and the SLA check not to wait long.
ROUTE_CHUNK = 100
# A chunk smaller than ROUTE_CHUNK takes along other leads still owed a routing, up to it
# (`engine.route_leads(more=...)`): under load the queue holds many small batches.


@shared_task(
    name="tasks.leads.route_leads",
    bind=True,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def route_leads(self: Task, lead_ids: list[int]) -> int:
    """Route a batch the web process published at once, `ROUTE_CHUNK` leads per transaction.
    A chunk that fails is rolled back and its leads are routed one by one, each in its own
    transaction, so one lead's failure holds back or doubles none of the others; those that
    fail on their own are retried with backoff (a database error) or left to the sweeper."""
    failed: list[int] = []
    routed = 0
    for start in range(0, len(lead_ids), ROUTE_CHUNK):
        chunk = lead_ids[start : start + ROUTE_CHUNK]
        try:
            with db.transaction():
                routed += len(engine.route_leads(chunk, more=ROUTE_CHUNK - len(chunk)))
            continue
        except Exception:
            log.warning("routing %d leads together failed; one by one", len(chunk), exc_info=True)
        for lead_id in chunk:
            try:
                with db.transaction():
                    routed += engine.route_lead(lead_id) is not None
            except OperationalError:
                log.warning("routing lead %s failed; will retry", lead_id, exc_info=True)
                failed.append(lead_id)
            except Exception:
                log.exception("routing lead %s failed; left to the sweeper", lead_id)
    if failed:
        raise self.retry(args=(failed,))
    return routed


publish_in_batches("tasks.leads.route_lead", "tasks.leads.route_leads")


@shared_task(name="tasks.leads.sweep_unrouted")
def sweep_unrouted() -> int:
    """Re-enqueue leads whose routing task was lost; safe to run twice at once."""
    ids = engine.unrouted_lead_ids(current_app.config["ROUTING_SWEEP_AFTER_SECONDS"])
    if ids:
        route_leads.apply_async((ids,))
    if ids:
        log.warning("sweeper re-enqueued %d unrouted leads", len(ids))
    return len(ids)
