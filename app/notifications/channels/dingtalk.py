"""钉钉 (DingTalk) custom group robot, with its signing secret (加签).

The robot's webhook is `robot/send?access_token=TOKEN&timestamp=T&sign=S`, where T is the
current time in milliseconds and S is base64(HMAC-SHA256(key=secret, msg=f"{T}\\n{secret}")),
URL-encoded. DingTalk refuses a timestamp more than an hour off, so each attempt signs anew.
The agent is mentioned by mobile number (`at.atMobiles`, and `@mobile` in the text, which
DingTalk needs to highlight the mention).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from flask import current_app

from app.notifications.channels.base import ChannelResult, PermanentError
from app.notifications.channels.http import errcode_result, post_json, text_of
from app.notifications.models import Notification

DEFAULT_BASE_URL = "https://oapi.dingtalk.com/"
# -1 system busy; 130101 sending too fast (20 messages a minute per robot).
RETRYABLE_ERRCODES = frozenset({-1, 130101})


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value before URL encoding (requests encodes the query)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send_robot(notification: Notification) -> ChannelResult:
    cfg = current_app.config
    token, secret = cfg.get("DINGTALK_ROBOT_ACCESS_TOKEN"), cfg.get("DINGTALK_ROBOT_SECRET")
    if not token:
        raise PermanentError("DINGTALK_ROBOT_ACCESS_TOKEN is not set")
    if not secret:
        raise PermanentError("DINGTALK_ROBOT_SECRET is not set: the robot is only used signed")
    content = text_of(notification.payload)
    at: dict[str, Any] = {"isAtAll": False}
    mobile = notification.payload.get("mention")
    if mobile:
        at["atMobiles"] = [mobile]
        content += f"\n@{mobile}"
    body = json.dumps(
        {"msgtype": "text", "text": {"content": content}, "at": at}, ensure_ascii=False
    ).encode()
    timestamp = int(time.time() * 1000)
    base = cfg.get("DINGTALK_API_BASE_URL") or DEFAULT_BASE_URL
    result = post_json(
        base.rstrip("/") + "/robot/send",
        body,
        params={
            "access_token": token,
            "timestamp": str(timestamp),
            "sign": sign(secret, timestamp),
        },
        what="钉钉 robot",
        timeout=cfg["ALERT_TIMEOUT_SECONDS"],
    )
    return errcode_result(result, "钉钉 robot", RETRYABLE_ERRCODES)
