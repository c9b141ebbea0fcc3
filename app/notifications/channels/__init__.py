"""Senders, one per outbox channel. Each takes a claimed `Notification` and either returns a
`ChannelResult` (sent, or skipped by rule) or raises `RetryableError` / `PermanentError`.

A sender never touches the row's status: `app.notifications.service.deliver` does, so the
claim, retry and dead-letter rules live in one place.

The senders that need nothing but HTTP and the settings (e-mail, webhook, 企业微信, 钉钉, SMS)
are registered here. A channel that needs a domain's own client registers its sender from
that domain when the app starts: the official account's template and customer-service
messages come from `app.wechat.channels` (registered by `create_app`), so the outbox never
imports the WeChat domain (docs/architecture.md "The outbox contract").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.notifications.channels import dingtalk, email, sms, webhook, wecom
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
    "Sender",
    "batch",
    "register",
    "send",
]

Sender = Callable[[Notification], ChannelResult]

SENDERS: dict[NotificationChannel, Sender] = {
    NotificationChannel.EMAIL: email.send,
    NotificationChannel.WEBHOOK: webhook.send,
    NotificationChannel.WECOM_APP: wecom.send_app_message,
    NotificationChannel.WECOM_ROBOT: wecom.send_robot,
    NotificationChannel.DINGTALK_ROBOT: dingtalk.send_robot,
    NotificationChannel.SMS: sms.send,
}


def register(channel: NotificationChannel | str, sender: Sender) -> None:
    """Make `sender` the sender of `channel`. Refuses a channel the outbox does not know (a
    row could never name it) and a second, different sender for a channel (two rooms must
    not both claim one); registering the same sender again is harmless (every `create_app`
    does)."""
    try:
        known = NotificationChannel(channel)
    except ValueError:
        raise ValueError(f"unknown notification channel {channel!r}") from None
    current = SENDERS.get(known)
    if current is not None and current is not sender:
        raise ValueError(f"channel {known.value} already has a sender ({current.__qualname__})")
    SENDERS[known] = sender


def send(notification: Notification) -> ChannelResult:
    sender = SENDERS.get(notification.channel)
    if sender is None:
        # A process that did not build the app with `create_app` (which registers every
        # sender): the row is dead, visible and retryable by an admin once that is fixed.
        raise PermanentError(f"no sender is registered for channel {notification.channel.value}")
    return sender(notification)


@contextmanager
def batch() -> Iterator[None]:
    """Sends inside share what a channel can keep open between messages: one SMTP connection.
    (The WeChat API client keeps its HTTP connections alive on its own, batch or not.)"""
    with email.connection_per_batch():
        yield
