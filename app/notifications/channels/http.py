"""One JSON POST to a chat or SMS API, with the outbox's error rules: no answer, 408, 429 and
5xx are worth another attempt later; any other non-2xx status, or an answer that is not a
JSON object, is final. Redirects are not followed (a POST must not become a GET)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from app.notifications.channels.base import ChannelResult, PermanentError, RetryableError
from app.notifications.channels.webhook import RETRYABLE_CLIENT_STATUSES, retry_after, snippet


def post_json(
    url: str,
    body: bytes,
    *,
    what: str,
    timeout: float,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST `body` (already encoded JSON) and return the answer's JSON object. `what` names
    the remote in errors; URLs are left out of them, as they carry keys and tokens."""
    try:
        response = requests.post(
            url,
            data=body,
            params=params,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=(min(5.0, timeout), timeout),
            allow_redirects=False,
        )
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise PermanentError(f"{what}: not a usable URL ({type(exc).__name__})") from None
    except requests.RequestException as exc:
        raise RetryableError(f"{what} unreachable: {type(exc).__name__}") from None
    status = response.status_code
    if status >= 500 or status in RETRYABLE_CLIENT_STATUSES:
        raise RetryableError(
            f"{what} answered HTTP {status}: {snippet(response)}",
            retry_after=retry_after(response),
        )
    if not 200 <= status < 300:
        raise PermanentError(f"{what} answered HTTP {status}: {snippet(response)}")
    try:
        result = response.json()
    except ValueError:
        result = None
    if not isinstance(result, dict):
        # A proxy's error page with 200: nothing says the message went out; try again.
        raise RetryableError(f"{what} answered something other than JSON: {snippet(response)}")
    return result


def text_of(payload: Mapping[str, Any]) -> str:
    """The plain text of an agent alert (title, "label：value" lines, remark)."""
    lines = [str(payload.get("title") or "ParkLead")]
    lines += [f"{label}：{value}" for label, value in payload.get("lines") or []]
    if payload.get("remark"):
        lines.append(str(payload["remark"]))
    return "\n".join(lines)


def errcode_result(result: dict[str, Any], what: str, retryable: frozenset[int]) -> ChannelResult:
    """A {"errcode", "errmsg"} answer (the chat robots') as the outbox's result."""
    errcode = int(result.get("errcode") or 0)
    if errcode == 0:
        return ChannelResult.sent("ok")
    error = f"{what} error {errcode}: {result.get('errmsg', '')}"
    if errcode in retryable:
        raise RetryableError(error)
    raise PermanentError(error)
