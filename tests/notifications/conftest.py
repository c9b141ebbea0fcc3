"""Fixtures for the outbox tests: real local SMTP, webhook and WeChat servers wired into the
app's settings for one test, and a dispatcher that records notification tasks instead of
running them, so each test decides when `deliver` runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app.accounts.models import Agent
from app.core.db import db
from app.devtools.fake_server import FakeWechatServer
from app.notifications.models import Notification, NotificationChannel
from app.notifications.outbox import queue_notification
from tests.notifications.helpers import (
    TEMPLATE_ASSIGNED,
    TEMPLATE_NOTICE,
    WEBHOOK_SECRET,
    RecordingDispatcher,
)
from tests.notifications.servers import SmtpCapture, WebhookReceiver


@pytest.fixture
def dispatched(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingDispatcher:
    recorder = RecordingDispatcher(app.extensions["dispatcher"])
    monkeypatch.setitem(app.extensions, "dispatcher", recorder)
    return recorder


@pytest.fixture
def settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change app settings for this test only."""

    def _set(**values: Any) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return _set


@pytest.fixture
def smtp(settings: Callable[..., None]) -> Iterator[SmtpCapture]:
    with SmtpCapture() as server:
        settings(SMTP_HOST=server.host, SMTP_PORT=server.port, SMTP_TIMEOUT_SECONDS=5.0)
        yield server


@pytest.fixture
def webhook(settings: Callable[..., None]) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(WEBHOOK_SECRET) as receiver:
        settings(
            WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=WEBHOOK_SECRET, WEBHOOK_TIMEOUT_SECONDS=5.0
        )
        yield receiver


@pytest.fixture
def wechat(settings: Callable[..., None]) -> Iterator[FakeWechatServer]:
    with FakeWechatServer() as server:
        settings(
            WECHAT_API_BASE_URL=server.url,
            WECHAT_TEMPLATE_LEAD_ASSIGNED=TEMPLATE_ASSIGNED,
            WECHAT_TEMPLATE_NOTICE=TEMPLATE_NOTICE,
        )
        yield server


@pytest.fixture
def reachable_agent(make_agent: Callable[..., Agent], default_team: Any) -> Agent:
    """An agent with a WeChat openid and an e-mail address."""
    agent = make_agent("li", team=default_team, email="li@park.example")
    agent.wechat_openid = "o-agent-li"
    db.session.commit()
    return agent


@pytest.fixture
def make_notification(dispatched: RecordingDispatcher) -> Callable[..., Notification]:
    """Queue and commit one notification (its task is recorded, not run)."""
    counter = iter(range(1_000_000))

    def _make(channel: NotificationChannel, recipient: str, **fields: Any) -> Notification:
        fields.setdefault("kind", "test")
        fields.setdefault("idempotency_key", f"test:{next(counter)}:{channel.value}")
        notification = queue_notification(channel=channel, recipient=recipient, **fields)
        db.session.commit()
        return notification

    return _make
