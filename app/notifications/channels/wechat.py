"""WeChat channels: template messages to agents, customer-service messages to prospects.

`notification.template` names the template ("lead_assigned"); its id comes from the setting
`WECHAT_TEMPLATE_<NAME>` when the message is sent, so a wrong id fixed in the environment
takes effect when an admin retries the dead rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from app.notifications.channels.base import (
    AnswerUnknown,
    ChannelResult,
    PermanentError,
    RetryableError,
)
from app.notifications.models import Notification
from app.wechat import client as wechat

T = TypeVar("T")

# WeChat errcodes worth another attempt later; every other errcode is final.
RETRYABLE_ERRCODES = frozenset(
    {
        -1,  # system busy
        40001,  # token refused again after the client's one refresh (another process refreshed)
        40014,
        42001,
        45009,  # the account's daily API quota is used up
        45011,  # API called too often
    }
)


def template_setting(name: str | None) -> str:
    return f"WECHAT_TEMPLATE_{(name or '').upper()}"


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
    text = notification.payload.get("text") or ""
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


def call_api(send: Callable[[], T], retryable: frozenset[int] = RETRYABLE_ERRCODES) -> T:
    """`send()`, with the client's errors as the outbox's: a missing setting or an errcode not
    in `retryable` is permanent; a retryable errcode or no usable answer is retried."""
    try:
        return send()
    except wechat.WechatNotConfigured as exc:
        raise PermanentError(str(exc)) from exc
    except wechat.WechatApiError as exc:
        if exc.errcode in retryable:
            raise RetryableError(str(exc)) from exc
        raise PermanentError(str(exc)) from exc
    except wechat.WechatAnswerUnknown as exc:
        raise AnswerUnknown(str(exc)) from exc
    except wechat.WechatTransportError as exc:
        raise RetryableError(str(exc)) from exc
