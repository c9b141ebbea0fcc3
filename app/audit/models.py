"""Append-only audit entries; nothing updates or deletes them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum


class AuditAction(enum.StrEnum):
    EXPORT = "export"  # a list of leads or a report left the system as a file
    ERASE_PERSON = "erase_person"  # an admin erased a person's data on request
    RETENTION_ERASE = "retention_erase"  # the retention task erased closed leads
    SETTING_CHANGED = "setting_changed"


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, 32))
    # The agent who acted; None for the system (the retention task).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What was done, without the personal data itself (counts, filters, masked phone).
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_audit_entry_at", "at"),)
