"""Erasing personal data from the notification outbox (docs/security.md): messages about the
erased leads, or sent to the erased WeChat followers, keep their status and times and lose
their text and recipient. Notifications still waiting to be sent are cancelled (skipped)."""

from __future__ import annotations

from sqlalchemy import or_, select

from app.core.db import db
from app.notifications.models import Notification, NotificationStatus

ERASED = "erased"


def erase_notifications(*, lead_ids: list[int], recipients: list[str]) -> int:
    conditions = []
    if lead_ids:
        conditions.append(Notification.lead_id.in_(lead_ids))
    if recipients:
        conditions.append(Notification.recipient.in_(recipients))
    if not conditions:
        return 0
    rows = list(db.session.scalars(select(Notification).where(or_(*conditions))))
    for row in rows:
        row.payload = {ERASED: True}
        if row.recipient in recipients:
            row.recipient = ERASED
        if row.status in (NotificationStatus.PENDING, NotificationStatus.FAILED):
            row.status = NotificationStatus.SKIPPED
            row.last_error = "personal data erased before sending"
    db.session.flush()
    return len(rows)
