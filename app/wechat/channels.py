"""The official account's outbox channels: template messages to agents and customer-service
messages to prospects (docs/notifications.md). Registered into the outbox's channel registry
by `register_channels` when the app starts, so the outbox sends through this domain's client
without importing it.
"""

from __future__ import annotations

from flask import current_app

from app.notifications import channels
from app.notifications.channels import ChannelResult, PermanentError
from app.notifications.channels.wechat import call_api, template_setting
from app.notifications.models import Notification, NotificationChannel
from app.wechat import client as wechat


def send_template(notification: Notification) -> ChannelResult:
    setting = template_setting(notification.template)
    template_id = current_app.config.get(setting)
    if not template_id:
        raise PermanentError(f"{setting} is not set: no WeChat template to send")
    payload = notification.payload
    outcome = call_api(
        lambda: wechat.send_template_message(
            notification.recipient, template_id, payload.get("data") or {}, payload.get("url")
        )
    )
    msgid = str(outcome.msgid) if outcome.msgid else None
    return ChannelResult.sent(f"msgid {msgid}" if msgid else None, remote_id=msgid)


def send_customer_service(notification: Notification) -> ChannelResult:
    text = notification.payload.get("text")
    news = notification.payload.get("news")
    if not text and not isinstance(news, dict):
        raise PermanentError("customer-service message without text")
    # The client counts the message against the 48-hour window in our transaction, which the
    # outbox commits together with the row's new status.
    if isinstance(news, dict):  # one news card (a listings shortlist, docs/listings.md)
        outcome = call_api(lambda: wechat.send_customer_service_news(notification.recipient, news))
    else:
        outcome = call_api(lambda: wechat.send_customer_service_text(notification.recipient, text))
    if not outcome.sent:
        return ChannelResult.skip(str(outcome.reason))
    return ChannelResult.sent()


def register_channels() -> None:
    """Called by `create_app`."""
    channels.register(NotificationChannel.WECHAT_TEMPLATE, send_template)
    channels.register(NotificationChannel.WECHAT_CS, send_customer_service)
