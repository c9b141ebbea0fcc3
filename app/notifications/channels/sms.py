"""SMS to agents through a provider interface; one provider: Tencent Cloud SMS (腾讯云短信).

Chinese carriers deliver only messages from an approved signature (签名) and template (模板),
so a message is a template id plus its parameters, never free text. ParkLead uses two
templates (docs/notifications.md): `lead_assigned` ({1} the lead's reference, {2} the time to
contact by) and `notice` ({1} what happened), ids in SMS_TEMPLATE_<NAME>.

Tencent Cloud's API 3.0 (`SendSms`, version 2021-01-11) signs each request with
TC3-HMAC-SHA256: a canonical request (method, path, query, the signed headers content-type and
host, the SHA-256 of the JSON body) is hashed into a string to sign, which is signed with a key
derived from the SecretKey, the UTC date, the service and "tc3_request". The body is part of
what is signed, so nobody on the way can change the recipients or the text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app

from app.notifications.channels.base import ChannelResult, PermanentError, RetryableError
from app.notifications.channels.http import post_json
from app.notifications.models import Notification


@dataclass(frozen=True, slots=True)
class SmsMessage:
    phone: str  # a mainland mobile number, 11 digits
    template: str  # ParkLead's template name: "lead_assigned" or "notice"
    params: Sequence[str]
    # Echoed back by the provider where it can (Tencent's SessionContext): the outbox key.
    context: str = ""


class SmsProvider(Protocol):
    """Sends one templated message or raises RetryableError / PermanentError."""

    def send(self, message: SmsMessage) -> ChannelResult: ...


def template_setting(name: str) -> str:
    return f"SMS_TEMPLATE_{name.upper()}"


# --- Tencent Cloud -----------------------------------------------------------------------------

TC3_ALGORITHM = "TC3-HMAC-SHA256"
TENCENT_SERVICE = "sms"
TENCENT_VERSION = "2021-01-11"
TENCENT_ACTION = "SendSms"
CONTENT_TYPE = "application/json; charset=utf-8"
# Worth another attempt later; every other error code is final (bad template, signature,
# number, balance...). LimitExceeded.PhoneNumber*: the per-number 30 s / hour / day caps.
TENCENT_RETRYABLE_PREFIXES = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.DeliveryFrequencyLimit",  # the application's own frequency policy
)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    host: str,
    body: bytes,
    timestamp: int,
    service: str = TENCENT_SERVICE,
    content_type: str = CONTENT_TYPE,
) -> str:
    """The Authorization header of a POST to "/" with a JSON body (Tencent's signature v3)."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",  # no query string
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            TC3_ALGORITHM,
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms:
    """Tencent Cloud SMS `SendSms` over HTTPS, signed with TC3-HMAC-SHA256."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        missing = [
            name
            for name in ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME")
            if not config.get(name)
        ]
        if missing:
            raise PermanentError(f"SMS (tencent) needs {', '.join(missing)}")
        self.config = config
        self.url = config.get("SMS_API_BASE_URL") or "https://sms.tencentcloudapi.com/"

    def request_for(self, message: SmsMessage, timestamp: int) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one SendSms call (what `send` posts)."""
        cfg = self.config
        template_id = cfg.get(template_setting(message.template))
        if not template_id:
            raise PermanentError(f"{template_setting(message.template)} is not set")
        document = {
            "PhoneNumberSet": [f"+86{message.phone}"],
            "SmsSdkAppId": str(cfg["SMS_SDK_APP_ID"]),
            "SignName": str(cfg["SMS_SIGN_NAME"]),
            "TemplateId": str(template_id),
            "TemplateParamSet": [str(p) for p in message.params],
            "SessionContext": message.context[:512],
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        host = urlsplit(self.url).netloc
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": TENCENT_ACTION,
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": str(cfg.get("SMS_REGION") or "ap-guangzhou"),
            "Authorization": tc3_authorization(
                secret_id=str(cfg["SMS_SECRET_ID"]),
                secret_key=str(cfg["SMS_SECRET_KEY"]),
                host=host,
                body=body,
                timestamp=timestamp,
            ),
        }
        return body, headers

    def send(self, message: SmsMessage) -> ChannelResult:
        # Signed at each attempt: Tencent refuses a timestamp more than 5 minutes off.
        body, headers = self.request_for(message, int(time.time()))
        answer = post_json(
            self.url,
            body,
            headers=headers,
            what="Tencent Cloud SMS",
            timeout=self.config["ALERT_TIMEOUT_SECONDS"],
        )
        response = answer.get("Response")
        if not isinstance(response, dict):
            raise RetryableError("Tencent Cloud SMS answered without a Response object")
        error = response.get("Error")
        if isinstance(error, dict):
            _raise(str(error.get("Code")), str(error.get("Message") or ""))
        statuses = response.get("SendStatusSet") or []
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        code = str(status.get("Code") or "")
        if code != "Ok":
            _raise(code or "no status", str(status.get("Message") or ""))
        serial = status.get("SerialNo")
        return ChannelResult.sent(f"serial {serial}", remote_id=str(serial) if serial else None)


def _raise(code: str, message: str) -> None:
    error = f"Tencent Cloud SMS {code}: {message}"
    if code.startswith(TENCENT_RETRYABLE_PREFIXES):
        raise RetryableError(error)
    raise PermanentError(error)


PROVIDERS: dict[str, type[TencentSms]] = {"tencent": TencentSms}


def provider(config: Mapping[str, Any]) -> SmsProvider:
    name = (config.get("SMS_PROVIDER") or "").strip().lower()
    if not name:
        raise PermanentError("SMS_PROVIDER is not set: no SMS can be sent")
    if name not in PROVIDERS:
        raise PermanentError(f"SMS_PROVIDER={name!r} is not one of {', '.join(PROVIDERS)}")
    return PROVIDERS[name](config)


def send(notification: Notification) -> ChannelResult:
    sms = notification.payload.get("sms") or {}
    message = SmsMessage(
        phone=notification.recipient,
        template=str(sms.get("template") or "notice"),
        params=[str(p) for p in sms.get("params") or []],
        context=notification.idempotency_key,
    )
    return provider(current_app.config).send(message)
