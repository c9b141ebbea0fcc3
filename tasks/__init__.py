"""Celery entry point: `celery -A tasks.celery_app worker`.

The Celery app is built from the Flask app on first access (PEP 562), so importing a task
module from inside the web app does not create a second Flask app.
"""

from __future__ import annotations

from typing import Any

_celery_app: Any = None


def __getattr__(name: str) -> Any:
    global _celery_app
    if name != "celery_app":
        raise AttributeError(name)
    if _celery_app is None:
        from app import create_app

        _celery_app = create_app().extensions["celery"]
    return _celery_app
