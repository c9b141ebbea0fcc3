"""Helpers shared by the outbox tests (constants, the recording dispatcher)."""

from __future__ import annotations

from typing import Any

from app.core.db import db
from app.notifications.models import Notification
from app.notifications.outbox import SEND_TASK

WEBHOOK_SECRET = "whsec-test-0123456789"
TEMPLATE_ASSIGNED = "tmpl-lead-assigned"
TEMPLATE_NOTICE = "tmpl-notice"


class RecordingDispatcher:
    """Stands in for the app's dispatcher: notification sends are recorded, anything else
    (routing) still runs in-process as in embedded mode."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def send(self, name: str, args: tuple[Any, ...]) -> None:
        if name.startswith("tasks.notifications."):
            self.sent.append((name, args))
        else:
            self.real.send(name, args)

    @property
    def notification_ids(self) -> list[int]:
        return [args[0] for name, args in self.sent if name == SEND_TASK]


def reload(notification: Notification | int) -> Notification:
    notification_id = notification if isinstance(notification, int) else notification.id
    row = db.session.get(Notification, notification_id, populate_existing=True)
    assert row is not None
    return row
