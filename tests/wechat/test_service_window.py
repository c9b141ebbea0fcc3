"""The customer-service window as an agent's reply sees it (app.wechat.client.service_window):
the one place the rule is read, for the lead page and the reply API (docs/notifications.md)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from app.core.db import db
from app.notifications.models import NotificationChannel
from app.notifications.outbox import queue_notification
from app.wechat.client import CS_MAX_AFTER_EVENT, CS_MAX_PER_WINDOW, service_window
from app.wechat.models import WechatUser

NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)


def follower(openid: str, **fields: object) -> WechatUser:
    user = WechatUser(openid=openid, **fields)
    db.session.add(user)
    db.session.flush()
    return user


def test_a_stranger_has_no_window(app: Flask) -> None:
    window = service_window("o-nobody", NOW)
    assert (window.is_open, window.expires_at, window.remaining) == (False, None, 0)


def test_a_message_opens_48_hours_with_the_slots_not_yet_used(app: Flask) -> None:
    wrote = NOW - dt.timedelta(hours=3)
    follower("o-1", last_inbound_at=wrote, cs_sent_in_window=2)

    window = service_window("o-1", NOW)

    assert window.is_open
    assert window.expires_at.replace(tzinfo=dt.UTC) == wrote + dt.timedelta(hours=48)
    assert window.remaining == CS_MAX_PER_WINDOW - 2
    assert f"{CS_MAX_PER_WINDOW} in 48 hours" in window.rule


def test_a_click_adds_the_event_windows_slots(app: Flask) -> None:
    follower(
        "o-2",
        last_inbound_at=NOW - dt.timedelta(hours=1),
        cs_sent_in_window=CS_MAX_PER_WINDOW,
        last_event_at=NOW - dt.timedelta(seconds=10),
        cs_sent_after_event=0,
    )

    window = service_window("o-2", NOW)

    assert window.is_open
    assert window.remaining == CS_MAX_AFTER_EVENT


def test_queued_replies_use_slots_before_they_are_sent(app: Flask) -> None:
    # Queued rows count by when they were queued: this test runs on the real clock.
    now = dt.datetime.now(dt.UTC)
    follower("o-3", last_inbound_at=now - dt.timedelta(hours=1), cs_sent_in_window=3)
    for n in range(2):
        queue_notification(
            channel=NotificationChannel.WECHAT_CS,
            kind="prospect_message",
            recipient="o-3",
            idempotency_key=f"reply:{n}:wechat_cs",
            payload={"text": "您好"},
        )

    window = service_window("o-3", now)

    assert (window.is_open, window.remaining) == (False, 0)
    assert window.expires_at is not None  # still open in time, only its slots are taken


def test_an_old_message_leaves_the_window_closed(app: Flask) -> None:
    follower("o-4", last_inbound_at=NOW - dt.timedelta(hours=49), cs_sent_in_window=0)
    assert service_window("o-4", NOW).is_open is False
