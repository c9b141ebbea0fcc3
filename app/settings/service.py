"""Read and change admin settings. Callers own the meaning and the defaults of their keys."""

from __future__ import annotations

from typing import Any

from app.core.db import db, utcnow
from app.settings.models import Setting


def get(key: str, default: Any = None) -> Any:
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def is_set(key: str) -> bool:
    return db.session.get(Setting, key) is not None


def put(key: str, value: Any, *, by_agent_id: int | None = None) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_by_id=by_agent_id))
    else:
        row.value = value
        row.updated_by_id = by_agent_id
        row.updated_at = utcnow()
    db.session.flush()


def remove(key: str) -> None:
    row = db.session.get(Setting, key)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
