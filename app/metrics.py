"""Prometheus metrics (`GET /metrics`, docs/operations.md): the state of the pipeline, read from the
database and the broker at each scrape, so every web process answers the same figures.

The figures count several rooms' tables, so they are gathered here at the top level; the
factory registers `render` with `app.core.routes.register_metrics`, which serves it.

Each figure is one indexed query: leads by status, leads the worker still owes a routing
(ix_lead_unrouted), open leads past their SLA due time and not contacted
(ix_lead_sla_pending), the notification outbox by status (ix_notification_status_created_at,
sent rows left out: they only grow), how late the oldest due notification is, the age of the
report rollup, and the Celery queue's length.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import current_app
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select

from app.core.db import db, utcnow
from app.leads.models import OPEN_STATUSES, Lead, LeadStatus
from app.notifications.models import Notification, NotificationStatus
from app.reports.models import ReportState

WAITING = (NotificationStatus.PENDING, NotificationStatus.FAILED)


def render() -> bytes:
    """The metrics in Prometheus' text format."""
    registry = CollectorRegistry()
    now = utcnow()

    leads = Gauge("parklead_leads", "Leads by status", ["status"], registry=registry)
    by_lead_status = select(Lead.status, func.count()).group_by(Lead.status)
    counts = {status: n for status, n in db.session.execute(by_lead_status)}
    for status in LeadStatus:
        leads.labels(status.value).set(counts.get(status, 0))

    unrouted = select(func.count()).where(Lead.routed_at.is_(None))
    _gauge(registry, "parklead_leads_unrouted", "Leads the worker still owes a routing", unrouted)
    overdue = select(func.count()).where(
        Lead.first_contacted_at.is_(None),
        Lead.sla_due_at < now,
        Lead.status.in_(OPEN_STATUSES),
        Lead.merged_into_id.is_(None),
    )
    _gauge(registry, "parklead_leads_sla_overdue", "Open leads not contacted by the SLA", overdue)

    outbox = Gauge(
        "parklead_notifications",
        "Outbox rows by status (sent rows are not counted)",
        ["status"],
        registry=registry,
    )
    unsent = [s for s in NotificationStatus if s is not NotificationStatus.SENT]
    rows = db.session.execute(
        select(Notification.status, func.count())
        .where(Notification.status.in_(unsent))
        .group_by(Notification.status)
    )
    by_status = {status: n for status, n in rows}
    for status in unsent:
        outbox.labels(status.value).set(by_status.get(status, 0))

    oldest_due = db.session.scalar(
        select(
            func.min(func.coalesce(Notification.next_attempt_at, Notification.created_at))
        ).where(Notification.status.in_(WAITING))
    )
    late = Gauge(
        "parklead_notifications_oldest_due_seconds",
        "How long the oldest due notification has waited past its send time (0: none)",
        registry=registry,
    )
    late.set(max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)

    state = db.session.get(ReportState, 1)
    rollup = Gauge(
        "parklead_report_rollup_age_seconds",
        "Time since the report rollup was refreshed (-1: never)",
        registry=registry,
    )
    refreshed = state.refreshed_at if state is not None else None
    rollup.set((now - refreshed).total_seconds() if refreshed else -1)

    queue = Gauge(
        "parklead_celery_queue_length",
        "Tasks waiting in the Celery queue (-1: embedded mode or broker unreachable)",
        registry=registry,
    )
    queue.set(_queue_length())
    db.session.rollback()
    return generate_latest(registry)


def _gauge(registry: CollectorRegistry, name: str, doc: str, stmt: Any) -> None:
    Gauge(name, doc, registry=registry).set(db.session.scalar(stmt) or 0)


def _queue_length() -> int:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return -1
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return int(client.llen(current_app.config["CELERY_QUEUE"]))
        finally:
            client.close()
    except redis.RedisError:
        return -1
