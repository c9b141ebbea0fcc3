"""Senders, one per outbox channel. Each takes a claimed `Notification` and either returns a
`ChannelResult` (sent, or skipped by rule) or raises `RetryableError` / `PermanentError`.

A sender never touches the row's status: `app.notifications.service.deliver` does, so the
claim, retry and dead-letter rules live in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.notifications.channels import dingtalk, email, sms, webhook, wechat, wecom
from app.notifications.channels.base import (
    AnswerUnknown,
    ChannelResult,
    DeliveryError,
    PermanentError,
    RetryableError,
)
from app.notifications.models import Notification, NotificationChannel

__all__ = [
    "AnswerUnknown",
    "ChannelResult",
    "DeliveryError",
    "PermanentError",
    "RetryableError",
    "batch",
    "send",
]

SENDERS: dict[NotificationChannel, Callable[[Notification], ChannelResult]] = {
    NotificationChannel.WECHAT_TEMPLATE: wechat.send_template,
    NotificationChannel.WECHAT_CS: wechat.send_customer_service,
    NotificationChannel.EMAIL: email.send,
    NotificationChannel.WEBHOOK: webhook.send,
    NotificationChannel.WECOM_APP: wecom.send_app_message,
    NotificationChannel.WECOM_ROBOT: wecom.send_robot,
    NotificationChannel.DINGTALK_ROBOT: dingtalk.send_robot,
    NotificationChannel.SMS: sms.send,
}


def send(notification: Notification) -> ChannelResult:
    return SENDERS[notification.channel](notification)


@contextmanager
def batch() -> Iterator[None]:
    """Sends inside share what a channel can keep open between messages: one SMTP connection.
    (WeChat's API client keeps its HTTP connections alive on its own, batch or not.)"""
    with email.connection_per_batch():
        yield
