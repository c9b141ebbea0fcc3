"""Fakes of the alert channels' APIs, served over real HTTP (`parklead fake-channels`).

Like the fake WeChat API (app/devtools/fake_server.py), each fake answers with its real
service's shapes and error codes and checks what the real one checks, so tests and the demo
exercise ParkLead's real HTTP code:

    /wecom/cgi-bin/gettoken         企业微信 token (corpid + corpsecret); each new token
                                    makes the previous one invalid, like WeChat's
    /wecom/cgi-bin/message/send     企业微信 application message (access_token, agentid, touser)
    /wecom/cgi-bin/webhook/send     企业微信 group robot (key)
    /dingtalk/robot/send            钉钉 robot (access_token; timestamp and sign checked)
    /sms/                           Tencent Cloud SMS SendSms (TC3-HMAC-SHA256 checked)

Settings that point ParkLead at a fake on http://HOST:PORT (see `settings_for`):
WECOM_API_BASE_URL=http://HOST:PORT/wecom/cgi-bin/, DINGTALK_API_BASE_URL=http://HOST:PORT/dingtalk/,
SMS_API_BASE_URL=http://HOST:PORT/sms/.

Inspection and control (as the WeChat fake's; faults use its `Fault`, with `path` one of the
paths above):

    GET    /_fake/                 what arrived, as a page that reloads itself
    GET    /_fake/messages[?channel=wecom_app|wecom_robot|dingtalk_robot|sms]
    GET    /_fake/requests
    GET    /_fake/faults
    POST   /_fake/faults           e.g. {"mode": "5xx", "path": "/dingtalk/robot/send"}
    DELETE /_fake/faults
    POST   /_fake/expire-tokens    the next 企业微信 call answers 42001
    DELETE /_fake/reset
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from markupsafe import escape
from werkzeug.serving import make_server

from app.devtools.fake_server import (
    Fault,
    ThreadedFake,
    add_fault_routes,
    serve_until_interrupted,
    take_fault,
)

# The credentials the fakes accept (and the demo uses). Not secrets: fake values.
CORP_ID = "ww0000000000000000"
WECOM_SECRET = "fake-wecom-secret"  # noqa: S105
WECOM_AGENT_ID = "1000002"
WECOM_ROBOT_KEY = "fake-robot-key"
DINGTALK_ACCESS_TOKEN = "fake-dingtalk-token"  # noqa: S105
DINGTALK_SECRET = "SECfake-dingtalk-secret"  # noqa: S105
SMS_SECRET_ID = "AKIDfakesecretid"  # noqa: S105
SMS_SECRET_KEY = "fake-sms-secret-key"  # noqa: S105
SMS_SDK_APP_ID = "1400000000"
SMS_SIGN_NAME = "ParkLead"
SMS_TEMPLATES = {"lead_assigned": "100001", "notice": "100002"}
TOKEN_TTL_SECONDS = 7200
DINGTALK_MAX_SKEW_MS = 3600 * 1000
TENCENT_MAX_SKEW_SECONDS = 300

CHANNEL_PATHS = {
    "/wecom/cgi-bin/message/send": "wecom_app",
    "/wecom/cgi-bin/webhook/send": "wecom_robot",
    "/dingtalk/robot/send": "dingtalk_robot",
    "/sms/": "sms",
}


def settings_for(root_url: str) -> dict[str, str]:
    """Every setting that points ParkLead's channels at the fakes at `root_url`."""
    return {
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_AGENT_ID": WECOM_AGENT_ID,
        "WECOM_SECRET": WECOM_SECRET,
        "WECOM_API_BASE_URL": f"{root_url}/wecom/cgi-bin/",
        "WECOM_ROBOT_KEY": WECOM_ROBOT_KEY,
        "DINGTALK_ROBOT_ACCESS_TOKEN": DINGTALK_ACCESS_TOKEN,
        "DINGTALK_ROBOT_SECRET": DINGTALK_SECRET,
        "DINGTALK_API_BASE_URL": f"{root_url}/dingtalk/",
        "SMS_PROVIDER": "tencent",
        "SMS_SECRET_ID": SMS_SECRET_ID,
        "SMS_SECRET_KEY": SMS_SECRET_KEY,
        "SMS_SDK_APP_ID": SMS_SDK_APP_ID,
        "SMS_SIGN_NAME": SMS_SIGN_NAME,
        "SMS_API_BASE_URL": f"{root_url}/sms/",
        "SMS_TEMPLATE_LEAD_ASSIGNED": SMS_TEMPLATES["lead_assigned"],
        "SMS_TEMPLATE_NOTICE": SMS_TEMPLATES["notice"],
    }


@dataclass
class FakeChannelsState:
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    current_token: str | None = None
    token_fetches: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.messages.clear()
            self.faults.clear()
            self.tokens.clear()
            self.current_token = None
            self.token_fetches = 0

    def issue_token(self) -> str:
        with self.lock:
            token = secrets.token_urlsafe(32)
            self.current_token = token
            self.tokens[token] = time.time() + TOKEN_TTL_SECONDS
            self.token_fetches += 1
            return token

    def token_error(self, token: str | None) -> int | None:
        """企业微信's errcode for this access_token, or None when it is good."""
        if not token:
            return 41001
        with self.lock:
            expires = self.tokens.get(token)
            if expires is None or token != self.current_token:
                return 40014
            if expires <= time.time():
                return 42001
        return None

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            return take_fault(self.faults, path, self.rng)

    def record(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            entry = {"channel": channel, "at": time.time(), **message}
            self.messages.append(entry)
            return entry


def _errcode(errcode: int, errmsg: str) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _tencent_error(code: str, message: str) -> Response:
    return jsonify(
        {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": secrets.token_hex(8),
            }
        }
    )


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def tc3_expected_signature(secret_key: str, headers: Any, body: bytes) -> tuple[str, str]:
    """(credential scope, signature) the fake expects, computed from the request as sent."""
    timestamp = headers.get("X-TC-Timestamp", "0")
    date = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d")
    canonical_headers = (
        f"content-type:{headers.get('Content-Type', '')}\nhost:{headers.get('Host', '')}\n"
    )
    canonical = (
        f"POST\n/\n\n{canonical_headers}\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = f"TC3{secret_key}".encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return scope, hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def create_fake_app(state: FakeChannelsState) -> Flask:
    fake = Flask("parklead_fake_channels")
    fake.json.ensure_ascii = False  # type: ignore[attr-defined]

    def body_json() -> dict[str, Any] | None:
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return body if isinstance(body, dict) else None

    @fake.before_request
    def _apply_fault() -> Response | None:
        if request.path.startswith("/_fake/"):
            return None
        fault = state.take_fault(request.path)
        if fault is None:
            return None
        request.environ["fake.fault"] = fault.mode
        if fault.mode == "errcode":
            if request.path == "/sms/":
                return _tencent_error(fault.errmsg or "InternalError", "fault injected")
            return _errcode(int(fault.errcode or -1), fault.errmsg or "fault injected")
        if fault.mode == "5xx":
            return Response("<html>bad gateway</html>", status=fault.status, mimetype="text/html")
        if fault.mode == "garbage":
            return Response("<html>upstream error</html>", status=200, mimetype="text/html")
        state.stopping.wait(fault.seconds)
        if fault.mode == "timeout":
            return Response("gateway timeout", status=504, mimetype="text/plain")
        return None

    @fake.after_request
    def _record(response: Response) -> Response:
        if not request.path.startswith("/_fake/"):
            query = {k: v for k, v in request.args.items() if k not in ("corpsecret", "key")}
            with state.lock:
                state.requests.append(
                    {
                        "at": time.time(),
                        "method": request.method,
                        "path": request.path,
                        "query": query,
                        "json": body_json(),
                        "status": response.status_code,
                        "response": response.get_json(silent=True) if response.is_json else None,
                        "fault": request.environ.get("fake.fault"),
                    }
                )
        return response

    # --- 企业微信 --------------------------------------------------------------------------

    @fake.get("/wecom/cgi-bin/gettoken")
    def wecom_token() -> Response:
        if request.args.get("corpid") != CORP_ID:
            return _errcode(40013, "invalid corpid")
        if request.args.get("corpsecret") != WECOM_SECRET:
            return _errcode(40001, "invalid secret")
        token = state.issue_token()
        return jsonify(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_TTL_SECONDS}
        )

    @fake.post("/wecom/cgi-bin/message/send")
    def wecom_send() -> Response:
        errcode = state.token_error(request.args.get("access_token"))
        if errcode:
            return _errcode(errcode, "invalid or expired access_token")
        body = body_json()
        if body is None:
            return _errcode(47001, "data format error")
        if str(body.get("agentid")) != WECOM_AGENT_ID:
            return _errcode(40056, "invalid agentid")
        touser = str(body.get("touser") or "")
        if not touser:
            return _errcode(40031, "invalid user list")
        if touser.startswith("unknown"):  # a member the app cannot reach
            return jsonify({"errcode": 0, "errmsg": "ok", "invaliduser": touser, "msgid": ""})
        content = (body.get("text") or {}).get("content")
        if body.get("msgtype") != "text" or not content:
            return _errcode(40008, "invalid message type")
        msgid = secrets.token_hex(8)
        state.record("wecom_app", {"to": touser, "text": content, "msgid": msgid})
        return jsonify({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": msgid})

    @fake.post("/wecom/cgi-bin/webhook/send")
    def wecom_robot() -> Response:
        if request.args.get("key") != WECOM_ROBOT_KEY:
            return _errcode(93000, "invalid webhook url")
        body = body_json()
        content = ((body or {}).get("text") or {}).get("content")
        if not content:
            return _errcode(40008, "invalid message type")
        mentioned = (body or {}).get("text", {}).get("mentioned_mobile_list") or []
        state.record("wecom_robot", {"to": ",".join(mentioned), "text": content})
        return _errcode(0, "ok")

    # --- 钉钉 ------------------------------------------------------------------------------

    @fake.post("/dingtalk/robot/send")
    def dingtalk_robot() -> Response:
        args = request.args
        if args.get("access_token") != DINGTALK_ACCESS_TOKEN:
            return _errcode(300001, "token is not exist")
        timestamp = args.get("timestamp", "")
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > (
            DINGTALK_MAX_SKEW_MS
        ):
            return _errcode(310000, "sign not match, more: timestamp is invalid")
        expected = dingtalk_sign(DINGTALK_SECRET, timestamp)
        if not hmac.compare_digest(args.get("sign", ""), expected):
            return _errcode(310000, "sign not match")
        body = body_json()
        content = ((body or {}).get("text") or {}).get("content")
        if (body or {}).get("msgtype") != "text" or not content:
            return _errcode(40035, "missing parameter")
        mobiles = ((body or {}).get("at") or {}).get("atMobiles") or []
        state.record("dingtalk_robot", {"to": ",".join(mobiles), "text": content})
        return _errcode(0, "ok")

    # --- Tencent Cloud SMS -----------------------------------------------------------------

    @fake.post("/sms/")
    def tencent_sms() -> Response:
        headers = request.headers
        if headers.get("X-TC-Action") != "SendSms":
            return _tencent_error("InvalidAction", "unknown action")
        raw = request.get_data(cache=True)
        timestamp = headers.get("X-TC-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TENCENT_MAX_SKEW_SECONDS:
            return _tencent_error("AuthFailure.SignatureExpire", "signature expired")
        scope, signature = tc3_expected_signature(SMS_SECRET_KEY, headers, raw)
        expected = (
            f"TC3-HMAC-SHA256 Credential={SMS_SECRET_ID}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if not hmac.compare_digest(headers.get("Authorization", ""), expected):
            return _tencent_error("AuthFailure.SignatureFailure", "signature mismatch")
        body = body_json() or {}
        if body.get("SmsSdkAppId") != SMS_SDK_APP_ID:
            return _tencent_error("InvalidParameterValue.SdkAppIdNotExist", "no such app")
        if body.get("SignName") != SMS_SIGN_NAME:
            return _tencent_error("FailedOperation.SignatureIncorrectOrUnapproved", "sign")
        if body.get("TemplateId") not in SMS_TEMPLATES.values():
            return _tencent_error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        phones = body.get("PhoneNumberSet") or []
        statuses = []
        for phone in phones:
            serial = secrets.token_hex(6)
            ok = isinstance(phone, str) and phone.startswith("+861") and len(phone) == 14
            statuses.append(
                {
                    "SerialNo": serial if ok else "",
                    "PhoneNumber": phone,
                    "Fee": 1 if ok else 0,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": "Ok" if ok else "InvalidParameterValue.IncorrectPhoneNumber",
                    "Message": "send success" if ok else "incorrect phone number",
                    "IsoCode": "CN",
                }
            )
            if ok:
                state.record(
                    "sms",
                    {
                        "to": phone,
                        "template": body.get("TemplateId"),
                        "params": body.get("TemplateParamSet") or [],
                        "serial": serial,
                    },
                )
        return jsonify({"Response": {"SendStatusSet": statuses, "RequestId": secrets.token_hex(8)}})

    # --- inspection and control ------------------------------------------------------------

    @fake.get("/_fake/")
    def index() -> Response:
        """What arrived, newest first, as a page that reloads itself (for the demo)."""
        with state.lock:
            items = list(reversed(state.messages))
        rows = "".join(
            f"<tr><td>{time.strftime('%H:%M:%S', time.localtime(m['at']))}</td>"
            f"<td>{escape(m['channel'])}</td><td>{escape(m.get('to') or '')}</td>"
            f"<td><pre>{escape(m.get('text') or ' '.join(map(str, m.get('params') or [])))}"
            "</pre></td></tr>"
            for m in items
        )
        html = (
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="3">'
            "<title>fake channels</title><h1>Alerts received by the fake channels</h1>"
            f"<table border=1 cellpadding=4><tr><th>time</th><th>channel</th><th>to</th>"
            f"<th>text</th></tr>{rows}</table>"
        )
        return Response(html, mimetype="text/html")

    @fake.get("/_fake/messages")
    def list_messages() -> Response:
        channel = request.args.get("channel")
        with state.lock:
            items = [m for m in state.messages if channel is None or m["channel"] == channel]
        return jsonify({"items": items})

    @fake.get("/_fake/requests")
    def list_requests() -> Response:
        with state.lock:
            return jsonify({"items": list(state.requests)})

    add_fault_routes(fake, state.lock, state.faults)

    @fake.post("/_fake/expire-tokens")
    def expire_tokens() -> tuple[str, int]:
        with state.lock:
            state.tokens = dict.fromkeys(state.tokens, 0.0)
        return "", 204

    @fake.delete("/_fake/reset")
    def reset() -> tuple[str, int]:
        state.reset()
        return "", 204

    return fake


class FakeChannelsServer(ThreadedFake):
    """The fakes on a free loopback port in a background thread, for tests::

    with FakeChannelsServer() as fakes:
        app.config.update(fakes.settings())
        ...
        assert fakes.messages("sms")
    """

    thread_name = "fake-channels"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.state = FakeChannelsState()

    def wsgi_app(self) -> Flask:
        return create_fake_app(self.state)

    def stopping(self) -> threading.Event:
        return self.state.stopping

    def settings(self) -> dict[str, str]:
        return settings_for(self.root_url)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(m) for m in self.state.messages if channel in (None, m["channel"])]

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(r) for r in self.state.requests if path in (None, r["path"])]

    def add_fault(self, mode: str, **options: Any) -> Fault:
        fault = Fault.from_dict({"mode": mode, **options})
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def expire_tokens(self) -> None:
        with self.state.lock:
            self.state.tokens = dict.fromkeys(self.state.tokens, 0.0)

    @property
    def token_fetches(self) -> int:
        return self.state.token_fetches


def serve(host: str, port: int, *, echo: Callable[[str], None] = print) -> None:
    """Serve the fakes until interrupted (the `parklead fake-channels` command)."""
    state = FakeChannelsState()
    server = make_server(host, port, create_fake_app(state), threaded=True)
    root = f"http://{host}:{server.server_port}"
    echo(f"fake 企业微信, 钉钉 and Tencent Cloud SMS APIs on {root}")
    echo("  point ParkLead at them with these settings (or PARKLEAD_FAKE_CHANNELS_URL):")
    for key, value in settings_for(root).items():
        echo(f"    {key}={value}")
    echo(f"  see what arrived: {root}/_fake/ (a page) or {root}/_fake/messages (JSON)")
    serve_until_interrupted(server, state.stopping)
