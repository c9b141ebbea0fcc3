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

import requests
from flask import current_app

from app.notifications.channels.base import ChannelResult, PermanentError, RetryableError
from app.notifications.models import Notification

RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
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
    timeout = cfg["WEBHOOK_TIMEOUT_SECONDS"]
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(min(5.0, timeout), timeout),
            allow_redirects=False,
        )
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise PermanentError(f"WEBHOOK_URL is not a usable URL: {exc}") from exc
    except requests.RequestException as exc:
        raise RetryableError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return ChannelResult.sent(f"HTTP {status}")
    error = f"webhook answered HTTP {status}: {snippet(response)}"
    if status >= 500 or status in RETRYABLE_CLIENT_STATUSES:
        raise RetryableError(error, retry_after=retry_after(response))
    raise PermanentError(error)


def snippet(response: requests.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None  # the HTTP-date form is rare for APIs
