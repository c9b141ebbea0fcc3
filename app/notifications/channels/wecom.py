"""企业微信 (WeCom): application messages to a member, and group robot messages.

Application messages need an access token from `gettoken` (corp id + the application's
secret). It is shared and refreshed exactly like the official account's: the same
`SharedTokenClient` (app/core/token_client.py) keeps it in Redis (in process memory in embedded
mode), lets one process refresh at a time, and on 40014/42001 refreshes once and retries once.

The group robot needs no token: POST to `webhook/send?key=KEY`. It mentions the agent by
mobile number, so the alert reaches them inside the team's group.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask import current_app
from wechatpy.enterprise import WeChatClient as EnterpriseClient
from wechatpy.session import SessionStorage

from app.core import token_client
from app.notifications.channels.base import ChannelResult, PermanentError, RetryableError
from app.notifications.channels.http import errcode_result, post_json, text_of
from app.notifications.channels.wechat import call_api
from app.notifications.models import Notification

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
STORAGE_PREFIX = "parklead:wecom"
# 40014 invalid access_token, 42001 access_token expired (WeCom's 40001 is a bad secret).
EXPIRED_TOKEN_ERRCODES = frozenset({40014, 42001})
# -1 system busy; 45009 frequency limit; 45033 too many concurrent calls; a token still
# refused after the client's one refresh (another process refreshed meanwhile).
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45033, *EXPIRED_TOKEN_ERRCODES})


class WecomApiClient(token_client.SharedTokenClient, EnterpriseClient):
    """wechatpy's 企业微信 client with a configurable base URL and the shared token."""

    TOKEN_ENDPOINT = "gettoken"  # noqa: S105 - a path, not a password
    EXPIRED_TOKEN_ERRCODES = EXPIRED_TOKEN_ERRCODES

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: SessionStorage | None = None,
        timeout: tuple[float, float] | float = token_client.DEFAULT_TIMEOUT,
    ) -> None:
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        # One store per (API, corp, application secret) in embedded mode.
        digest = hashlib.sha256(secret.encode()).hexdigest()[:12]
        storage = session or token_client.memory_storage_for(base_url, f"{corp_id}:{digest}")
        super().__init__(corp_id, secret, session=storage, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url
        self._secret_digest = digest

    @property
    def access_token_key(self) -> str:
        # Not wechatpy's key, which embeds the first 10 characters of the secret.
        return f"{self.corp_id}_{self._secret_digest}_access_token"

    def token_query(self) -> dict[str, str]:
        return {"corpid": self.corp_id, "corpsecret": self.secret}


def make_client(config: Mapping[str, Any]) -> WecomApiClient:
    corp_id, secret = config.get("WECOM_CORP_ID"), config.get("WECOM_SECRET")
    if not corp_id or not secret or not config.get("WECOM_AGENT_ID"):
        raise PermanentError("set WECOM_CORP_ID, WECOM_AGENT_ID and WECOM_SECRET")
    return WecomApiClient(
        corp_id,
        secret,
        base_url=config.get("WECOM_API_BASE_URL") or DEFAULT_BASE_URL,
        session=token_client.shared_token_storage(config, prefix=STORAGE_PREFIX),
    )


def get_client() -> WecomApiClient:
    """The current app's 企业微信 client."""
    settings = ("WECOM_API_BASE_URL", "WECOM_CORP_ID", "WECOM_SECRET")
    return token_client.app_client("wecom", settings, make_client)


def send_app_message(notification: Notification) -> ChannelResult:
    """A text message from the office's 企业微信 application to one member (UserID)."""
    cfg = current_app.config
    client = call_api(get_client, RETRYABLE_ERRCODES)
    body = {
        "touser": notification.recipient,
        "msgtype": "text",
        "agentid": int(cfg["WECOM_AGENT_ID"]),
        "text": {"content": text_of(notification.payload)},
        # Refused as a duplicate within the interval: a resend after a crash is not seen twice.
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }
    result = call_api(lambda: client.post("message/send", data=body), RETRYABLE_ERRCODES)
    if not isinstance(result, dict):
        raise RetryableError("企业微信 message/send answered something other than JSON")
    if result.get("invaliduser"):
        # errcode 0, but this member does not exist or the app may not reach them.
        raise PermanentError(f"企业微信 refused the member {result['invaliduser']!r}")
    msgid = result.get("msgid")
    return ChannelResult.sent(f"msgid {msgid}" if msgid else None, remote_id=msgid)


def send_robot(notification: Notification) -> ChannelResult:
    """A text message to the team's group robot, mentioning the agent's mobile."""
    cfg = current_app.config
    key = cfg.get("WECOM_ROBOT_KEY")
    if not key:
        raise PermanentError("WECOM_ROBOT_KEY is not set")
    base = cfg.get("WECOM_API_BASE_URL") or DEFAULT_BASE_URL
    text: dict[str, Any] = {"content": text_of(notification.payload)}
    if notification.payload.get("mention"):
        text["mentioned_mobile_list"] = [notification.payload["mention"]]
    body = json.dumps({"msgtype": "text", "text": text}, ensure_ascii=False).encode()
    result = post_json(
        base.rstrip("/") + "/webhook/send",
        body,
        params={"key": key},
        what="企业微信 robot",
        timeout=cfg["ALERT_TIMEOUT_SECONDS"],
    )
    return errcode_result(result, "企业微信 robot", RETRYABLE_ERRCODES)
