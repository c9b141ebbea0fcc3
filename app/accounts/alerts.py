"""Alerts to an agent on the channels they chose (docs/notifications.md "Who hears what, and
in what order").

The accounts domain owns the agent's choice (`notify_channels`, `notify_events`) and their
addresses, so it turns a message for an agent into outbox rows: `notify_agent` queues the
first channel that can reach them, and when the outbox announces that row given up (dead,
or skipped), `fall_back` queues the next one. Callers (leads, routing, WeChat, listings) give
the message as plain text lines. Functions here only flush; the caller commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from flask import current_app

from app.accounts.models import Agent, AlertChannel, AlertEvent
from app.core.db import db
from app.notifications import signals
from app.notifications.channels.sms import template_setting as sms_template_setting
from app.notifications.channels.wechat import template_setting
from app.notifications.models import Notification, NotificationChannel
from app.notifications.outbox import queue_notification
from app.notifications.service import channel_configured

log = logging.getLogger(__name__)

# The agent's channels (AlertChannel) as outbox channels.
ALERT_CHANNELS = {c.value: NotificationChannel(c.value) for c in AlertChannel}
# Without a choice of their own an agent hears on every configured channel of these at once.
DEFAULT_CHANNELS = (NotificationChannel.WECHAT_TEMPLATE, NotificationChannel.EMAIL)
_MOBILE = re.compile(r"^\+861\d{10}$")


EVENT_KINDS = frozenset(e.value for e in AlertEvent)


def alerts_wanted(agent: Agent, kind: str) -> bool:
    """Whether `agent` wants alerts of this kind (only AlertEvent kinds can be switched off)."""
    return kind not in EVENT_KINDS or (agent.notify_events or {}).get(kind) is not False


def notify_agent(
    agent: Agent,
    *,
    kind: str,
    cause: str,
    template: str,
    title: str,
    lines: Sequence[tuple[str, str]],
    remark: str = "",
    lead_id: int | None = None,
    sms_params: Sequence[str] | None = None,
) -> list[Notification]:
    """Queue a message to an agent (docs/notifications.md).

    An agent who chose channels (`notify_channels`) hears on the first of them that can
    reach them; when that one fails for good (dead, or skipped), the next is queued, and so
    on. An agent who did not choose hears on every configured default channel at once: a
    WeChat template message (their openid, WECHAT_APP_ID and WECHAT_TEMPLATE_<template> set)
    and an e-mail (their address and SMTP_HOST set). Kinds the agent switched off
    (`notify_events`) queue nothing. `lines` are (label, value) pairs, which fill the
    template's keyword1..N in order; `sms_params` fill an SMS template (default: the title).
    """
    if not alerts_wanted(agent, kind):
        return []
    alert = {
        "kind": kind,
        "cause": cause,
        "template": template.lower(),
        "title": title,
        "lines": [[label, value] for label, value in lines],
        "remark": remark,
        "sms_params": list(sms_params) if sms_params else [_sms_text(title)],
    }
    if agent.notify_channels is None:
        chain = [c for c in DEFAULT_CHANNELS if _reachable(agent, c, alert)]
        return [_queue_alert(agent, c, alert, [], lead_id) for c in chain]
    chain = _chain(agent, agent.notify_channels, alert)
    if not chain:
        log.warning("agent %s: none of their alert channels can reach them (%s)", agent.id, kind)
        return []
    return [_queue_alert(agent, chain[0], alert, chain[1:], lead_id)]


def _chain(agent: Agent, names: Sequence[str], alert: dict[str, Any]) -> list[NotificationChannel]:
    channels_ = [ALERT_CHANNELS[n] for n in names if n in ALERT_CHANNELS]
    return [c for c in channels_ if _reachable(agent, c, alert)]


def _mobile(agent: Agent) -> str | None:
    """The agent's mainland mobile as 11 digits, or None."""
    return agent.phone[3:] if agent.phone and _MOBILE.match(agent.phone) else None


def _reachable(agent: Agent, channel: NotificationChannel, alert: dict[str, Any]) -> bool:
    """Whether `channel` is configured and knows how to reach `agent`."""
    if not channel_configured(channel):
        return False
    cfg = current_app.config
    C = NotificationChannel
    if channel is C.WECHAT_TEMPLATE:
        return bool(agent.wechat_openid and cfg.get(template_setting(alert["template"])))
    if channel is C.EMAIL:
        return bool(agent.email)
    if channel is C.WECOM_APP:
        return bool(agent.wecom_userid)
    if channel is C.SMS:
        return bool(_mobile(agent) and cfg.get(sms_template_setting(_sms_template(alert))))
    return channel in (C.WECOM_ROBOT, C.DINGTALK_ROBOT)


def _sms_template(alert: dict[str, Any]) -> str:
    return "lead_assigned" if alert["template"] == "lead_assigned" else "notice"


def _sms_text(title: str, limit: int = 30) -> str:
    # The Chinese half of "中文 / English" titles; SMS template variables are short.
    return shorten(title.split(" / ")[0], limit)


def _queue_alert(
    agent: Agent,
    channel: NotificationChannel,
    alert: dict[str, Any],
    fallback: Sequence[NotificationChannel],
    lead_id: int | None,
) -> Notification:
    C = NotificationChannel
    recipient = agent.login
    payload: dict[str, Any] = {"alert": alert, "fallback": [c.value for c in fallback]}
    title, lines, remark = alert["title"], alert["lines"], alert["remark"]
    if channel is C.WECHAT_TEMPLATE:
        recipient = str(agent.wechat_openid)
        data = {"first": title}
        data.update({f"keyword{i}": value for i, (_, value) in enumerate(lines, start=1)})
        data["remark"] = remark
        payload["data"] = data
    elif channel is C.EMAIL:
        recipient = str(agent.email)
        body = "\n".join([f"{agent.name}，您好：", "", title, "", *(f"{k}：{v}" for k, v in lines)])
        if remark:
            body += f"\n\n{remark}"
        payload["subject"] = f"[ParkLead] {title}"
        payload["body"] = body + "\n\n— ParkLead\n"
    elif channel is C.WECOM_APP:
        recipient = str(agent.wecom_userid)
    elif channel in (C.WECOM_ROBOT, C.DINGTALK_ROBOT):
        recipient = _mobile(agent) or agent.login
        payload["mention"] = _mobile(agent)
    elif channel is C.SMS:
        recipient = str(_mobile(agent))
        payload["sms"] = {"template": _sms_template(alert), "params": alert["sms_params"]}
    if channel in (C.WECOM_APP, C.WECOM_ROBOT, C.DINGTALK_ROBOT):
        payload.update(title=title, lines=lines, remark=remark)
    return queue_notification(
        channel=channel,
        kind=alert["kind"],
        recipient=recipient[:254],
        template=alert["template"] if channel is C.WECHAT_TEMPLATE else None,
        idempotency_key=f"{alert['cause']}:{channel.value}",
        payload=payload,
        lead_id=lead_id,
        agent_id=agent.id,
    )


def fall_back(notification: Notification) -> Notification | None:
    """The next of the agent's channels, after `notification` failed for good; None when
    there is none left (or the row was not an agent's alert). Connected to the outbox's
    `given_up` signal; the delivery commits."""
    payload = notification.payload or {}
    alert, rest = payload.get("alert"), payload.get("fallback") or []
    if not alert or not rest or notification.agent_id is None:
        return None
    agent = db.session.get(Agent, notification.agent_id)
    if agent is None:
        return None
    chain = _chain(agent, rest, alert)
    if not chain:
        return None
    log.info("notification %s failed for good; falling back to %s", notification.id, chain[0])
    return _queue_alert(agent, chain[0], alert, chain[1:], notification.lead_id)


def shorten(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis (alert lines are short)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def connect_signals() -> None:
    """Called by `create_app`: the outbox tells us when an alert was given up."""
    signals.given_up.connect(_given_up, weak=False)


def _given_up(notification: Notification, **_: Any) -> Notification | None:
    return fall_back(notification)
