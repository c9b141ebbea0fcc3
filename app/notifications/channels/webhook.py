"""Outgoing webhook: each event POSTed as JSON to WEBHOOK_URL, signed.

Headers a receiver uses:

- `X-ParkLead-Timestamp`: Unix seconds when this attempt was signed.
- `X-ParkLead-Signature`: `sha256=` + hex HMAC-SHA256, keyed with WEBHOOK_SECRET, of
  `<timestamp>.<raw body>`. Compare in constant time and refuse old timestamps (replays).
- `X-ParkLead-Idempotency-Key`: the same on every attempt of one event; a receiver that
  remembers it can drop the rare second delivery (see `app.notifications.service`).
- `X-ParkLead-Event`: the event name, e.g. `lead.assigned`.

2xx is delivered; 408, 429 and 5xx (or no answer) are retried; any other status is final.
Redirects are not followed: a POST must not silently become a GET somewhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from flask import current_app

from app.notifications.channels.base import ChannelResult, PermanentError
from app.notifications.channels.http import post
from app.notifications.models import Notification

USER_AGENT = "ParkLead-Webhook/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body_for(notification: Notification) -> bytes:
    payload = notification.payload
    document: dict[str, Any] = {
        "id": notification.idempotency_key,
        "event": payload.get("event") or notification.kind,
        "occurred_at": payload.get("occurred_at"),
        "data": payload.get("data") or {},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send(notification: Notification) -> ChannelResult:
    cfg = current_app.config
    url, secret = cfg.get("WEBHOOK_URL"), cfg.get("WEBHOOK_SECRET")
    if not url:
        raise PermanentError("WEBHOOK_URL is not set")
    if not secret:
        raise PermanentError("WEBHOOK_SECRET is not set: webhooks are only sent signed")
    body = body_for(notification)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-ParkLead-Event": str(notification.payload.get("event") or notification.kind),
        "X-ParkLead-Timestamp": timestamp,
        "X-ParkLead-Signature": sign(secret, timestamp, body),
        "X-ParkLead-Idempotency-Key": notification.idempotency_key,
    }
    response = post(
        url, body, headers=headers, what="webhook", timeout=cfg["WEBHOOK_TIMEOUT_SECONDS"]
    )
    return ChannelResult.sent(f"HTTP {response.status_code}")
