"""Write and read the audit log. Written in the caller's transaction, so an export or an
erasure and its entry are committed together."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from app.audit.models import AuditAction, AuditEntry
from app.core.db import db


def record(action: AuditAction, *, agent_id: int | None, **detail: Any) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        agent_id=agent_id,
        address=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(
    *, action: AuditAction | None = None, before_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first; page with `before_id` (the last id seen)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(db.session.scalars(stmt))


def entry_to_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "action": entry.action.value,
        "agent_id": entry.agent_id,
        "address": entry.address,
        "detail": entry.detail,
    }
