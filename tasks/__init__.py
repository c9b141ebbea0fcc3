"""Celery entry point: `celery -A tasks.celery_app worker`.

The Celery app is built from the Flask app on first access (PEP 562), so importing a task
module from inside the web app does not create a second Flask app.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.schedules import crontab
from flask import Flask

_celery_app: Any = None

TASK_MODULES = [
    "tasks.leads",
    "tasks.listings",
    "tasks.notifications",
    "tasks.privacy",
    "tasks.reports",
    "tasks.routing",
]


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    return {
        "sweep-unrouted-leads": {
            "task": "tasks.leads.sweep_unrouted",
            "schedule": float(app.config["ROUTING_SWEEP_AFTER_SECONDS"]),
        },
        "sweep-notification-outbox": {
            "task": "tasks.notifications.sweep_outbox",
            "schedule": float(app.config["NOTIFY_SWEEP_INTERVAL_SECONDS"]),
        },
        "check-sla": {"task": "tasks.routing.check_sla", "schedule": 60.0},
        "refresh-report-rollup": {
            "task": "tasks.reports.refresh_rollup",
            "schedule": float(app.config["REPORT_ROLLUP_INTERVAL_SECONDS"]),
        },
        "remind-follow-ups": {"task": "tasks.routing.remind_follow_ups", "schedule": 300.0},
        "release-inactive-leads": {"task": "tasks.routing.release_inactive", "schedule": 3600.0},
        # 03:00 in Shanghai: erase closed leads past the retention period (docs/security.md).
        "erase-expired-personal-data": {
            "task": "tasks.privacy.erase_expired",
            "schedule": crontab(hour=19, minute=0),
        },
        # 08:30 in Shanghai (beat runs on UTC).
        "daily-digest": {
            "task": "tasks.routing.daily_digest",
            "schedule": crontab(hour=0, minute=30),
        },
    }


def configure(celery: Celery, app: Flask) -> None:
    """Name the task modules and the beat schedule, and register the tasks now so the
    dispatcher (and eager mode) can find them by name."""
    celery.conf.update(beat_schedule=beat_schedule(app), include=TASK_MODULES)
    for module in TASK_MODULES:
        __import__(module)


def __getattr__(name: str) -> Any:
    global _celery_app
    if name != "celery_app":
        raise AttributeError(name)
    if _celery_app is None:
        from app import create_app

        _celery_app = create_app().extensions["celery"]
    return _celery_app
