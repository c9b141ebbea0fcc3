"""What the outbox knows of the WeChat-family APIs (official account, 企业微信): the setting
that names a template, and how the token client's errors become the outbox's.

The official account's senders themselves (template messages to agents, customer-service
messages to prospects) live with the WeChat domain (`app.wechat.channels`), which registers
them; `notification.template` names the template ("lead_assigned") and its id comes from
the setting `WECHAT_TEMPLATE_<NAME>` when the message is sent, so a wrong id fixed in the
environment takes effect when an admin retries the dead rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.core import token_client as api
from app.notifications.channels.base import AnswerUnknown, PermanentError, RetryableError

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


def call_api(send: Callable[[], T], retryable: frozenset[int] = RETRYABLE_ERRCODES) -> T:
    """`send()`, with the client's errors as the outbox's: a missing setting or an errcode not
    in `retryable` is permanent; a retryable errcode or no usable answer is retried."""
    try:
        return send()
    except api.WechatNotConfigured as exc:
        raise PermanentError(str(exc)) from exc
    except api.WechatApiError as exc:
        if exc.errcode in retryable:
            raise RetryableError(str(exc)) from exc
        raise PermanentError(str(exc)) from exc
    except api.WechatAnswerUnknown as exc:
        raise AnswerUnknown(str(exc)) from exc
    except api.WechatTransportError as exc:
        raise RetryableError(str(exc)) from exc
