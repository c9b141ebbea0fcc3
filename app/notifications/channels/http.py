"""One JSON POST to a chat or SMS API, with the outbox's error rules: no answer, 408, 429 and
5xx are worth another attempt later; any other non-2xx status, or an answer that is not a
JSON object, is final. Redirects are not followed (a POST must not become a GET)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from app.notifications.channels.base import ChannelResult, PermanentError, RetryableError

RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})


def post(
    url: str,
    body: bytes,
    *,
    what: str,
    timeout: float,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """POST `body` and return a 2xx answer, or raise as the rules above say. `what` names
    the remote in errors; URLs are left out of them, as they may carry keys and tokens."""
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
    return response


def post_json(url: str, body: bytes, **options: Any) -> dict[str, Any]:
    """`post`, and the answer's JSON object (an API's answer)."""
    response = post(url, body, **options)
    try:
        result = response.json()
    except ValueError:
        result = None
    if not isinstance(result, dict):
        # A proxy's error page with 200: nothing says the message went out; try again.
        what = options["what"]
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


def snippet(response: requests.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None  # the HTTP-date form is rare for APIs
