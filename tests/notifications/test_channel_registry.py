"""The outbox's channel registry (app/notifications/channels/__init__.py): the WeChat domain
registers the official account's senders; the outbox refuses what it cannot send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.notifications import channels
from app.notifications.channels import ChannelResult, PermanentError
from app.notifications.models import Notification, NotificationChannel
from app.wechat import channels as wechat_channels


@pytest.fixture
def senders(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """The registry, restored after the test."""
    saved = dict(channels.SENDERS)
    yield channels.SENDERS
    channels.SENDERS.clear()
    channels.SENDERS.update(saved)


def _sender(notification: Notification) -> ChannelResult:
    return ChannelResult.sent()


def test_the_app_registers_the_official_accounts_channels(app: Flask) -> None:
    assert channels.SENDERS[NotificationChannel.WECHAT_TEMPLATE] is wechat_channels.send_template
    assert channels.SENDERS[NotificationChannel.WECHAT_CS] is (
        wechat_channels.send_customer_service
    )


def test_an_unknown_channel_is_refused(senders: dict) -> None:
    with pytest.raises(ValueError, match="unknown notification channel 'fax'"):
        channels.register("fax", _sender)
    assert "fax" not in senders


def test_a_second_sender_for_a_channel_is_refused(senders: dict) -> None:
    with pytest.raises(ValueError, match="already has a sender"):
        channels.register(NotificationChannel.EMAIL, _sender)


def test_registering_the_same_sender_again_changes_nothing(senders: dict) -> None:
    channels.register(NotificationChannel.EMAIL, senders[NotificationChannel.EMAIL])
    channels.register("email", senders[NotificationChannel.EMAIL])


def test_a_row_of_a_channel_without_a_sender_is_permanent_failure(senders: dict) -> None:
    senders.pop(NotificationChannel.WECHAT_CS, None)
    row = Notification(
        channel=NotificationChannel.WECHAT_CS, kind="prospect_message", recipient="o-1",
        idempotency_key="t:wechat_cs", payload={"text": "您好"},
    )  # fmt: skip

    with pytest.raises(PermanentError, match="no sender is registered for channel wechat_cs"):
        channels.send(row)
