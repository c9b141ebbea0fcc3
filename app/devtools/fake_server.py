"""A fake of the parts of WeChat's API that ParkLead calls, served over real HTTP.

WeChat cannot be reached from tests or a demo machine, so `parklead fake-wechat` (or
`FakeWechatServer` in tests) stands in for https://api.weixin.qq.com/cgi-bin/ with WeChat's
response shapes and error codes. It is strict where WeChat is: every token it issues
invalidates the previous one, so two processes refreshing at once show up as 40001s.

Besides the API it records every call, counts token fetches and fails on request:

    GET    /_fake/requests   every /cgi-bin call (?path= to filter)
    GET    /_fake/messages   messages accepted (custom and template)
    GET    /_fake/stats      token fetches, current token, counts
    GET    /_fake/qrcodes    parameterised QR codes created (ticket, scene)
    GET    /_fake/faults     faults still armed
    POST   /_fake/faults     arm a fault, e.g. {"mode": "errcode", "errcode": 40001, "times": 1}
    DELETE /_fake/faults     disarm all faults
    POST   /_fake/expire-tokens   expire every token issued so far (next call: 42001)
    DELETE /_fake/reset      forget everything (records, tokens, faults, counters)

Fault modes: "errcode" (answer {"errcode": N}), "5xx" (HTTP `status`, default 503, with an
HTML body as a gateway would send), "timeout" (hold the request `seconds`, default 10, so
the client times out), "delay" (wait `seconds`, then answer normally), "garbage" (HTTP 200
with a non-JSON body). `times` (default 1; null = until disarmed), `rate` (probability per
matching call, default 1) and `path` (e.g. "/cgi-bin/message/custom/send"; default every
/cgi-bin call) narrow it.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from flask import Flask, Response, jsonify, request
from markupsafe import escape
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

DEFAULT_APPID = "wx0000000000000000"
DEFAULT_SECRET = "testsecret"  # noqa: S105 - the fake's default, matching config/testing.py
TOKEN_TTL_SECONDS = 7200

# WeChat's texts for the codes the fake returns.
ERRMSG = {
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40008: "invalid message type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    -1: "system error",
}

FAULT_MODES = ("errcode", "5xx", "timeout", "delay", "garbage")


@dataclass
class Fault:
    mode: str
    errcode: int | None = None
    errmsg: str | None = None
    times: int | None = 1  # None: until disarmed
    rate: float = 1.0
    path: str | None = None  # None: every /cgi-bin/ call
    status: int = 503
    seconds: float = 10.0
    hits: int = 0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Fault:
        """Validate a fault as posted to /_fake/faults; ValueError says what is wrong."""
        unknown = set(raw) - {f for f in cls.__dataclass_fields__ if f != "hits"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        mode = raw.get("mode")
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if mode == "errcode" and not isinstance(raw.get("errcode"), int):
            raise ValueError("mode errcode needs an integer errcode")
        times = raw.get("times", 1)
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive integer or null")
        rate = float(raw.get("rate", 1.0))
        if not 0.0 < rate <= 1.0:
            raise ValueError("rate must be in (0, 1]")
        return cls(
            mode=mode,
            errcode=raw.get("errcode"),
            errmsg=raw.get("errmsg"),
            times=times,
            rate=rate,
            path=raw.get("path"),
            status=int(raw.get("status", 503)),
            seconds=float(raw.get("seconds", 10.0)),
        )

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


def take_fault(faults: list[Fault], path: str, rng: random.Random) -> Fault | None:
    """The first fault in `faults` for `path` that fires this time, counted, and removed when
    used up. The caller holds the lock that guards `faults`."""
    for fault in faults:
        if not fault.matches(path) or rng.random() >= fault.rate:
            continue
        fault.hits += 1
        if fault.times is not None:
            fault.times -= 1
            if fault.times == 0:
                faults.remove(fault)
        return fault
    return None


@dataclass
class FakeWechatState:
    """Everything the fake knows; shared by its request threads under `lock`."""

    appid: str = DEFAULT_APPID
    secret: str = DEFAULT_SECRET
    token_ttl: int = TOKEN_TTL_SECONDS
    seed: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set when the server stops, so held ("timeout") requests end at once.
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    current_token: str | None = None
    token_fetches: int = 0
    qrcodes: dict[str, str] = field(default_factory=dict)  # ticket -> scene
    next_msgid: int = 1000
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.messages.clear()
            self.faults.clear()
            self.tokens.clear()
            self.qrcodes.clear()
            self.current_token = None
            self.token_fetches = 0
            self.rng = random.Random(self.seed)

    def issue_token(self) -> str:
        with self.lock:
            token = secrets.token_urlsafe(48)
            # Like WeChat: the new token makes every earlier one "not latest" (40001).
            self.current_token = token
            self.tokens[token] = time.time() + self.token_ttl
            self.token_fetches += 1
            return token

    def token_error(self, token: str | None) -> int | None:
        """The errcode WeChat gives for this access_token, or None when it is good."""
        if not token:
            return 41001
        with self.lock:
            expires = self.tokens.get(token)
            if expires is None:
                return 40014
            if token != self.current_token:
                return 40001
            if expires <= time.time():
                return 42001
        return None

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def arm(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """The first armed fault for `path` that fires this time (counted and used up)."""
        with self.lock:
            return take_fault(self.faults, path, self.rng)

    def record_message(self, kind: str, body: dict[str, Any]) -> int:
        with self.lock:
            self.next_msgid += 1
            self.messages.append(
                {"kind": kind, "touser": body.get("touser"), "msgid": self.next_msgid, **body}
            )
            return self.next_msgid


def _wechat_error(errcode: int, errmsg: str | None = None) -> Response:
    # WeChat appends a request id to every error text; callers must not match it exactly.
    text = errmsg or ERRMSG.get(errcode, "error")
    return jsonify({"errcode": errcode, "errmsg": f"{text} rid: {secrets.token_hex(6)}"})


def add_fault_routes(fake: Flask, lock: threading.Lock, faults: list[Fault]) -> None:
    """GET, POST and DELETE /_fake/faults on `fake`, over `faults` guarded by `lock`."""

    @fake.get("/_fake/faults")
    def list_faults() -> Response:
        with lock:
            return jsonify({"items": [asdict(f) for f in faults]})

    @fake.post("/_fake/faults")
    def add_fault() -> tuple[Response, int]:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            return jsonify({"error": "send a JSON object describing the fault"}), 400
        try:
            fault = Fault.from_dict(raw)
        except (ValueError, TypeError) as exc:
            return jsonify({"error": str(exc)}), 400
        with lock:
            faults.append(fault)
        return jsonify(asdict(fault)), 201

    @fake.delete("/_fake/faults")
    def clear_faults() -> tuple[str, int]:
        with lock:
            faults.clear()
        return "", 204


def create_fake_app(state: FakeWechatState) -> Flask:
    """The fake as a WSGI app over `state`."""
    fake = Flask("parklead_fake_wechat")
    fake.json.ensure_ascii = False  # type: ignore[attr-defined]

    def _body() -> tuple[dict[str, Any] | None, Response | None]:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return None, _wechat_error(44002)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, _wechat_error(47001)
        if not isinstance(body, dict):
            return None, _wechat_error(47001)
        return body, None

    def _authorized() -> Response | None:
        errcode = state.token_error(request.args.get("access_token"))
        return _wechat_error(errcode) if errcode else None

    @fake.before_request
    def _apply_fault() -> Response | None:
        if not request.path.startswith("/cgi-bin/"):
            return None
        fault = state.take_fault(request.path)
        if fault is None:
            return None
        request.environ["fake.fault"] = fault.mode
        if fault.mode == "errcode":
            return _wechat_error(int(fault.errcode or -1), fault.errmsg)
        if fault.mode == "5xx":
            html = f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>"
            return Response(html, status=fault.status, mimetype="text/html")
        if fault.mode == "garbage":
            return Response("<html>upstream error</html>", status=200, mimetype="text/html")
        state.stopping.wait(fault.seconds)
        if fault.mode == "timeout":
            return Response("gateway timeout", status=504, mimetype="text/plain")
        return None  # "delay": answer normally, late

    @fake.after_request
    def _record(response: Response) -> Response:
        if request.path.startswith("/cgi-bin/"):
            query = request.args.to_dict()
            if "secret" in query:
                query["secret"] = "<redacted>"  # noqa: S105 - not a password, a placeholder
            raw = request.get_data(cache=True)
            try:
                body_json = json.loads(raw) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                body_json = None
            answer = response.get_json(silent=True) if response.is_json else None
            entry = {
                "at": time.time(),
                "method": request.method,
                "path": request.path,
                "query": query,
                "json": body_json,
                "body": None if body_json is not None else raw.decode("utf-8", "replace"),
                "status": response.status_code,
                "response": answer,
                "fault": request.environ.get("fake.fault"),
            }
            with state.lock:
                state.requests.append(entry)
        return response

    # --- the WeChat API ------------------------------------------------------------------

    @fake.get("/cgi-bin/token")
    def token() -> Response:
        args = request.args
        if args.get("grant_type") != "client_credential":
            return _wechat_error(40002)
        if not args.get("appid"):
            return _wechat_error(41002)
        if not args.get("secret"):
            return _wechat_error(41004)
        if args["appid"] != state.appid:
            return _wechat_error(40013)
        if args["secret"] != state.secret:
            return _wechat_error(40125)
        return jsonify({"access_token": state.issue_token(), "expires_in": state.token_ttl})

    @fake.get("/cgi-bin/getcallbackip")
    def callback_ip() -> Response:
        return _authorized() or jsonify({"ip_list": ["127.0.0.1"]})

    @fake.post("/cgi-bin/message/custom/send")
    def custom_send() -> Response:
        denied = _authorized()
        if denied:
            return denied
        body, error = _body()
        if error or body is None:
            return error or _wechat_error(47001)
        if not body.get("touser"):
            return _wechat_error(40003)
        msgtype = body.get("msgtype")
        if not msgtype or not isinstance(body.get(msgtype), dict):
            return _wechat_error(40008)
        if msgtype == "text" and not body["text"].get("content"):
            return _wechat_error(47001)
        state.record_message("custom", body)
        return jsonify({"errcode": 0, "errmsg": "ok"})

    @fake.post("/cgi-bin/message/template/send")
    def template_send() -> Response:
        denied = _authorized()
        if denied:
            return denied
        body, error = _body()
        if error or body is None:
            return error or _wechat_error(47001)
        if not body.get("touser"):
            return _wechat_error(40003)
        if not body.get("template_id"):
            return _wechat_error(40037)
        if not isinstance(body.get("data", {}), dict):
            return _wechat_error(47001)
        msgid = state.record_message("template", body)
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    @fake.post("/cgi-bin/qrcode/create")
    def qrcode_create() -> Response:
        denied = _authorized()
        if denied:
            return denied
        body, error = _body()
        if error or body is None:
            return error or _wechat_error(47001)
        scene = ((body.get("action_info") or {}).get("scene") or {}).get("scene_str")
        if body.get("action_name") != "QR_STR_SCENE" or not scene or len(scene) > 64:
            return _wechat_error(40097, "invalid args")
        expire = min(int(body.get("expire_seconds") or 60), 2592000)
        ticket = secrets.token_urlsafe(24)
        with state.lock:
            state.qrcodes[ticket] = scene
        url = f"http://weixin.qq.com/q/{ticket[:20]}"
        return jsonify({"ticket": ticket, "expire_seconds": expire, "url": url})

    @fake.get("/cgi-bin/showqrcode")
    def showqrcode() -> Response:
        # Not a scannable code: a picture that names the scene, for the demo.
        with state.lock:
            scene = state.qrcodes.get(request.args.get("ticket", ""))
        if scene is None:
            return Response("no such ticket", status=404, mimetype="text/plain")
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">'
            '<rect width="240" height="240" fill="#fff" stroke="#000" stroke-width="8"/>'
            '<text x="120" y="110" font-size="14" text-anchor="middle">fake WeChat QR</text>'
            f'<text x="120" y="140" font-size="9" text-anchor="middle">{escape(scene)}</text>'
            "</svg>"
        )
        return Response(svg, mimetype="image/svg+xml")

    @fake.get("/_fake/qrcodes")
    def list_qrcodes() -> Response:
        with state.lock:
            return jsonify({"items": [{"ticket": t, "scene": s} for t, s in state.qrcodes.items()]})

    # --- inspection and control ----------------------------------------------------------

    @fake.get("/_fake/requests")
    def list_requests() -> Response:
        path = request.args.get("path")
        with state.lock:
            items = [r for r in state.requests if path is None or r["path"] == path]
        return jsonify({"items": items})

    @fake.get("/_fake/messages")
    def list_messages() -> Response:
        kind = request.args.get("kind")
        with state.lock:
            items = [m for m in state.messages if kind is None or m["kind"] == kind]
        return jsonify({"items": items})

    @fake.get("/_fake/stats")
    def stats() -> Response:
        with state.lock:
            return jsonify(
                {
                    "token_fetches": state.token_fetches,
                    "current_token": state.current_token,
                    "requests": len(state.requests),
                    "messages": len(state.messages),
                    "faults": len(state.faults),
                }
            )

    add_fault_routes(fake, state.lock, state.faults)

    @fake.post("/_fake/expire-tokens")
    def expire_tokens() -> tuple[str, int]:
        state.expire_tokens()
        return "", 204

    @fake.delete("/_fake/reset")
    def reset() -> tuple[str, int]:
        state.reset()
        return "", 204

    return fake


_SECRET_IN_QUERY = re.compile(r"secret=[^&\s]+")


class _RedactingHandler(WSGIRequestHandler):
    """The access log without the AppSecret from token requests' query strings."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the answer is sent, so the request no longer needs its real path.
        if hasattr(self, "path"):
            self.path = _SECRET_IN_QUERY.sub("secret=<redacted>", self.path)
        self.requestline = _SECRET_IN_QUERY.sub("secret=<redacted>", self.requestline)
        super().log_request(code, size)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: tests read the records instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ThreadedFake:
    """A fake's WSGI app on a loopback port in a background thread, for tests; a subclass
    gives the app and the event that ends its held ("timeout") requests."""

    thread_name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def wsgi_app(self) -> Flask:
        raise NotImplementedError

    def stopping(self) -> threading.Event:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = make_server(self.host, self.port, self.wsgi_app(), threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping().set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def serve_until_interrupted(server: BaseWSGIServer, stopping: threading.Event) -> None:
    """Serve a fake in the foreground (the CLI commands) until Ctrl-C."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        server.server_close()


class FakeWechatServer(ThreadedFake):
    """The fake on a free loopback port in a background thread, for tests::

    with FakeWechatServer() as wechat:
        app.config["WECHAT_API_BASE_URL"] = wechat.url
        ...
        assert wechat.token_fetches == 1
    """

    thread_name = "fake-wechat"

    def __init__(
        self,
        *,
        appid: str = DEFAULT_APPID,
        secret: str = DEFAULT_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: int = TOKEN_TTL_SECONDS,
        seed: int | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.state = FakeWechatState(appid=appid, secret=secret, token_ttl=token_ttl, seed=seed)

    def wsgi_app(self) -> Flask:
        return create_fake_app(self.state)

    def stopping(self) -> threading.Event:
        return self.state.stopping

    @property
    def url(self) -> str:
        """The value for WECHAT_API_BASE_URL."""
        return f"{self.root_url}/cgi-bin/"

    @property
    def token_fetches(self) -> int:
        return self.state.token_fetches

    @property
    def current_token(self) -> str | None:
        return self.state.current_token

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Recorded /cgi-bin calls, oldest first; `path` like "/cgi-bin/token" filters."""
        with self.state.lock:
            return [dict(r) for r in self.state.requests if path is None or r["path"] == path]

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Accepted messages ("custom" or "template"), oldest first."""
        with self.state.lock:
            return [dict(m) for m in self.state.messages if kind is None or m["kind"] == kind]

    def add_fault(self, mode: str, **options: Any) -> Fault:
        """Arm a fault, with the same fields as POST /_fake/faults."""
        return self.state.arm(Fault.from_dict({"mode": mode, **options}))

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def expire_tokens(self) -> None:
        self.state.expire_tokens()

    def reset(self) -> None:
        self.state.reset()


def serve(
    host: str,
    port: int,
    *,
    appid: str,
    secret: str,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve the fake until interrupted (the `parklead fake-wechat` command)."""
    state = FakeWechatState(appid=appid, secret=secret)
    server = make_server(
        host, port, create_fake_app(state), threaded=True, request_handler=_RedactingHandler
    )
    base = f"http://{host}:{server.server_port}"
    echo(f"fake WeChat API on {base}/cgi-bin/  (appid {appid})")
    echo(f"  point ParkLead at it: WECHAT_API_BASE_URL={base}/cgi-bin/")
    echo(f"  inspect: {base}/_fake/requests  {base}/_fake/messages  {base}/_fake/stats")
    serve_until_interrupted(server, state.stopping)
