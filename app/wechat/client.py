"""WeChat API client: shared access token, bounded retries, customer-service window
(docs/notifications.md).

Built on wechatpy's `WeChatClient`, with four of its 1.8 behaviours replaced:

- `fetch_access_token` is hard-wired to https://api.weixin.qq.com and has no timeout; ours
  uses `WECHAT_API_BASE_URL` and the client's timeouts.
- `auto_retry` refreshes the token and calls `_request` again on every 40001/40014/42001,
  without a bound: one bad credential can spend the 2,000-a-day token quota. It is off; we
  refresh once and retry once.
- Nothing coordinates processes: each refresh invalidates the token the others hold. One
  process refreshes at a time under a Redis lock, and re-reads the shared token after taking
  the lock, because whoever held it before has usually fetched a fresh one already.
- `MemoryStorage` ignores the TTL (wechatpy relies on a per-instance `expires_at` instead), so
  embedded mode uses a small TTL-aware store shared by every client in the process.

Errors reach the caller as `WechatApiError` (WeChat answered with an errcode) or
`WechatTransportError` (no usable answer: connection, timeout, 5xx, non-JSON); the
notification outbox decides whether to retry.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

import redis
import requests
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from app.core.db import db, utcnow
from app.wechat.models import WechatUser

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
SHOWQRCODE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"
STORAGE_PREFIX = "parklead:wechat"
# (connect, read) seconds: a slow WeChat must not hold an outbox worker for long.
DEFAULT_TIMEOUT: tuple[float, float] = (3.0, 5.0)
# 40001 invalid or not the latest token, 40014 malformed token, 42001 expired token.
EXPIRED_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Refresh this long before WeChat's expiry, so a token is never used in its last minutes.
TOKEN_EARLY_REFRESH_SECONDS = 300
# The lock outlives a worst-case fetch (connect + read timeouts) so it is not lost mid-fetch.
LOCK_TIMEOUT_SECONDS = 15.0
LOCK_WAIT_SECONDS = 10.0

# Customer-service messages (docs/notifications.md): 5 within 48 hours of the prospect's last
# message, and 3 within a minute of a menu click, a follow or a QR scan.
CS_WINDOW = dt.timedelta(hours=48)
CS_MAX_PER_WINDOW = 5
CS_EVENT_WINDOW = dt.timedelta(minutes=1)
CS_MAX_AFTER_EVENT = 3
# WeChat's own verdicts on the customer-service rule (docs/notifications.md).
ERRCODE_OUTSIDE_WINDOW = 45015
ERRCODE_QUOTA_USED = 45047


class WechatError(Exception):
    """Base of every error the WeChat client raises."""


class WechatApiError(WechatError):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str, *, endpoint: str = "") -> None:
        super().__init__(f"WeChat error {errcode} on {endpoint or 'request'}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint


class WechatTransportError(WechatError):
    """No usable answer from WeChat (connection refused, timeout, HTTP 5xx, not JSON)."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class WechatAnswerUnknown(WechatTransportError):
    """A POST was written and its answer did not come back in time (read timeout): WeChat
    may have acted on it. Not retried blindly: WeChat has no idempotency key."""


class WechatNotConfigured(WechatError):
    """WECHAT_APP_ID / WECHAT_APP_SECRET are not set."""


class SkipReason(enum.StrEnum):
    OUTSIDE_WINDOW = "outside_48h_window"
    QUOTA_USED = "window_quota_used"


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one outgoing message; `skipped` means WeChat was not (or could not
    be) used and the caller should fall back, e.g. notify the agent instead."""

    status: Literal["sent", "skipped"]
    reason: SkipReason | None = None
    msgid: int | None = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    def __str__(self) -> str:
        return f"skipped: {self.reason}" if self.reason else self.status

    @classmethod
    def skip(cls, reason: SkipReason) -> SendOutcome:
        return cls("skipped", reason)


# --- token storage ---------------------------------------------------------------------------


class MemoryTokenStorage(SessionStorage):
    """wechatpy's session interface in process memory, honouring the TTL."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[Any, float | None]] = {}
        self._guard = threading.Lock()
        # Plays the Redis lock's role between the threads of one process.
        self.refresh_lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._guard:
            value, expires = self._data.get(key, (None, None))
            if value is None or (expires is not None and expires <= self._clock()):
                return default
            return value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        with self._guard:
            self._data[key] = (value, self._clock() + ttl if ttl else None)

    def delete(self, key: str) -> None:
        with self._guard:
            self._data.pop(key, None)


_memory_stores: dict[tuple[str, str], MemoryTokenStorage] = {}
_memory_stores_guard = threading.Lock()


def memory_storage_for(base_url: str, appid: str) -> MemoryTokenStorage:
    """One store per (API, account) in this process, so all clients share a token."""
    with _memory_stores_guard:
        return _memory_stores.setdefault((base_url, appid), MemoryTokenStorage())


# --- the client ------------------------------------------------------------------------------


class SharedTokenClient:
    """The access-token discipline of docs/notifications.md for any wechatpy client
    (official account, 企业微信): the token lives in a shared store, one process refreshes at
    a time under a lock, and a refused token is refreshed once and the call retried once.

    Mixed in before a wechatpy client class; a subclass names its token endpoint, the query
    that fetches a token and the errcodes that mean "this token is no longer good".
    """

    TOKEN_ENDPOINT = "token"  # noqa: S105 - a path, not a password
    EXPIRED_TOKEN_ERRCODES: frozenset[int] = EXPIRED_TOKEN_ERRCODES
    # Set by wechatpy's BaseWeChatClient.__init__.
    API_BASE_URL: str
    appid: str
    session: SessionStorage
    timeout: Any
    expires_at: int | None
    _http: requests.Session
    lock_timeout: float = LOCK_TIMEOUT_SECONDS
    lock_wait: float = LOCK_WAIT_SECONDS

    @property
    def access_token_key(self) -> str:
        raise NotImplementedError

    def token_query(self) -> dict[str, str]:
        raise NotImplementedError

    # The token ---------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """The shared token; fetched (under the lock) only when none is stored."""
        token = self._stored_token()
        return token or self.refresh_access_token(stale=None)

    def _stored_token(self) -> str | None:
        try:
            return self.session.get(self.access_token_key)
        except redis.RedisError as exc:
            raise WechatTransportError(f"token store unavailable: {exc}") from exc

    def refresh_access_token(self, stale: str | None) -> str:
        """Replace `stale` (the token WeChat refused; None when there was none) exactly once
        across all processes, and return the token to use now."""
        with self._refresh_lock():
            current = self._stored_token()
            if current and current != stale:
                # Someone refreshed while we waited for the lock: use theirs, fetch nothing.
                return current
            return self.fetch_access_token()["access_token"]

    @contextmanager
    def _refresh_lock(self) -> Iterator[None]:
        if isinstance(self.session, RedisStorage):
            lock = self.session.redis.lock(
                self.session.key_name(f"{self.appid}_token_lock"),
                timeout=self.lock_timeout,
                blocking_timeout=self.lock_wait,
            )
            try:
                acquired = lock.acquire()
            except redis.RedisError as exc:
                raise WechatTransportError(f"token store unavailable: {exc}") from exc
            if not acquired:
                raise WechatTransportError(
                    f"another process has held the token refresh lock for {self.lock_wait}s"
                )
            try:
                yield
            finally:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    # The fetch outlived the lock's timeout; the lock already expired.
                    log.warning("wechat token lock expired before release")
            return
        guard = getattr(self.session, "refresh_lock", None)
        if guard is None:  # a custom storage without a lock: refresh unguarded
            yield
            return
        if not guard.acquire(timeout=self.lock_wait):
            raise WechatTransportError("timed out waiting for the token refresh lock")
        try:
            yield
        finally:
            guard.release()

    def fetch_access_token(self) -> dict[str, Any]:
        """GET {base}{TOKEN_ENDPOINT} (wechatpy 1.8 ignores the base URL here) and store it."""
        endpoint = self.TOKEN_ENDPOINT
        log.info("fetching an access token from %s%s", self.API_BASE_URL, endpoint)
        try:
            response = self._http.get(
                self.API_BASE_URL + endpoint, params=self.token_query(), timeout=self.timeout
            )
        except requests.RequestException as exc:
            # `from None`: the original exception's text carries the secret in the URL.
            raise WechatTransportError(
                f"token fetch failed: {_redact(exc)}", endpoint=endpoint
            ) from None
        result = _json_result(response, endpoint)
        if result.get("errcode"):
            raise WechatApiError(
                int(result["errcode"]), str(result.get("errmsg", "")), endpoint=endpoint
            )
        token = result.get("access_token")
        if not token:
            raise WechatTransportError("token response without access_token", endpoint=endpoint)
        expires_in = int(result.get("expires_in") or 7200)
        ttl = max(60, expires_in - TOKEN_EARLY_REFRESH_SECONDS)
        try:
            self.session.set(self.access_token_key, token, ttl)
        except redis.RedisError as exc:
            raise WechatTransportError(f"token store unavailable: {exc}") from exc
        self.expires_at = int(time.time()) + expires_in
        return result

    # Calls -------------------------------------------------------------------------------

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """Every API call: on an expired-token error refresh once and retry once."""
        token = self.access_token
        try:
            return self._request_with(token, method, url_or_endpoint, dict(kwargs))
        except WechatApiError as exc:
            if exc.errcode not in self.EXPIRED_TOKEN_ERRCODES:
                raise
            log.info("the API refused the token (%s); refreshing once", exc.errcode)
        token = self.refresh_access_token(stale=token)
        return self._request_with(token, method, url_or_endpoint, dict(kwargs))

    def _request_with(
        self, token: str, method: str, url_or_endpoint: str, kwargs: dict[str, Any]
    ) -> Any:
        params = kwargs.get("params")
        kwargs["params"] = {**(params if isinstance(params, dict) else {}), "access_token": token}
        endpoint = url_or_endpoint.removeprefix(self.API_BASE_URL)
        try:
            return super()._request(method, url_or_endpoint, **kwargs)  # type: ignore[misc]
        except requests.ReadTimeout as exc:
            message = f"WeChat {endpoint} did not answer in time: {_redact(exc)}"
            if method.lower() == "post":
                raise WechatAnswerUnknown(message, endpoint=endpoint) from None
            raise WechatTransportError(message, endpoint=endpoint) from None
        except requests.RequestException as exc:
            raise WechatTransportError(
                f"WeChat {endpoint} failed: {_redact(exc)}", endpoint=endpoint
            ) from None
        except WeChatClientException as exc:
            if exc.errcode is None:  # wechatpy's wrapper around an HTTP error status
                status = getattr(exc.response, "status_code", None)
                raise WechatTransportError(
                    f"WeChat {endpoint} answered HTTP {status}", status=status, endpoint=endpoint
                ) from exc
            raise WechatApiError(int(exc.errcode), str(exc.errmsg), endpoint=endpoint) from exc


class WechatApiClient(SharedTokenClient, WeChatClient):
    """wechatpy's official-account client with a configurable base URL and the shared,
    coordinated token of `SharedTokenClient`."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: SessionStorage | None = None,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        storage = session or memory_storage_for(base_url, appid)
        # auto_retry=False: the unbounded 40001 retry of wechatpy 1.8 is replaced by _request.
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        # wechatpy's _request reads API_BASE_URL from the instance, so this redirects every API.
        self.API_BASE_URL = base_url
        pin_environment(self._http, base_url)
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait

    @property
    def access_token_key(self) -> str:
        return f"{self.appid}_access_token"

    def token_query(self) -> dict[str, str]:
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


def pin_environment(http: requests.Session, base_url: str) -> None:
    """Read the proxy and CA-bundle settings of the environment once, for the client's base
    URL, instead of on every call: requests scans the whole environment per request when it
    trusts it, a third of a template message's CPU. The environment of a running process does
    not change, so the proxies (and NO_PROXY) used are the same."""
    proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    http.trust_env = False
    http.proxies.update(proxies)
    if bundle:
        http.verify = bundle


_CREDENTIAL_IN_URL = re.compile(r"(secret|access_token)=[^&\s)'\"]+")


def _redact(exc: Exception) -> str:
    """requests puts the URL, with the secret or token in its query, into its messages."""
    return _CREDENTIAL_IN_URL.sub(r"\1=<redacted>", str(exc))


def _json_result(response: requests.Response, endpoint: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise WechatTransportError(
            f"WeChat {endpoint} answered HTTP {response.status_code}",
            status=response.status_code,
            endpoint=endpoint,
        )
    try:
        result = response.json()
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise WechatTransportError(
            f"WeChat {endpoint} answered something other than a JSON object",
            status=response.status_code,
            endpoint=endpoint,
        )
    return result


# --- construction ----------------------------------------------------------------------------


def make_client(
    config: Mapping[str, Any],
    *,
    redis_client: redis.Redis | None = None,
    prefix: str = STORAGE_PREFIX,
    timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> WechatApiClient:
    """A client for the settings in `config` (a Flask config or any mapping).

    With REDIS_URL set (or `redis_client` given) the token lives in Redis under `prefix`,
    shared by every process; otherwise in this process's memory (embedded mode).
    """
    appid, secret = config.get("WECHAT_APP_ID"), config.get("WECHAT_APP_SECRET")
    if not appid or not secret:
        raise WechatNotConfigured("set WECHAT_APP_ID and WECHAT_APP_SECRET to call WeChat")
    base_url = config.get("WECHAT_API_BASE_URL") or DEFAULT_BASE_URL
    session = shared_token_storage(config, redis_client=redis_client, prefix=prefix)
    return WechatApiClient(
        appid, secret, base_url=base_url, session=session, timeout=timeout, lock_wait=lock_wait
    )


def shared_token_storage(
    config: Mapping[str, Any], *, redis_client: redis.Redis | None = None, prefix: str
) -> RedisStorage | None:
    """Redis token storage when REDIS_URL is set (or `redis_client` given); None means the
    client keeps its token in this process (embedded mode)."""
    if redis_client is None and config.get("REDIS_URL"):
        redis_client = redis.Redis.from_url(
            config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
    return RedisStorage(redis_client, prefix=prefix) if redis_client is not None else None


def api_timeout(config: Mapping[str, Any]) -> tuple[float, float]:
    """(connect, read) seconds for API calls: the read timeout well above WeChat's usual
    answer (WECHAT_API_TIMEOUT_SECONDS), so a slow success is not taken for a failure."""
    read = float(config.get("WECHAT_API_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT[1])
    return (DEFAULT_TIMEOUT[0], read)


C = TypeVar("C")


def app_client(name: str, settings: tuple[str, ...], build: Callable[[Any], C]) -> C:
    """The current app's client `name`, built by `build(config)` once per distinct value of
    `settings` (a changed secret or base URL gets a new client and token)."""
    cfg = current_app.config
    key = "|".join(str(cfg.get(k) or "") for k in (*settings, "REDIS_URL"))
    # Hash so the secret is not kept as readable text in a dict key.
    key = hashlib.sha256(key.encode()).hexdigest()
    clients: dict[str, C] = current_app.extensions.setdefault(f"{name}_clients", {})
    client = clients.get(key)
    if client is None:
        client = clients.setdefault(key, build(cfg))
    return client


def get_client() -> WechatApiClient:
    """The current app's official-account client."""
    settings = (
        "WECHAT_API_BASE_URL",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
        "WECHAT_API_TIMEOUT_SECONDS",
    )
    return app_client("wechat", settings, lambda cfg: make_client(cfg, timeout=api_timeout(cfg)))


# --- what the notification outbox calls -------------------------------------------------------


def send_template_message(
    openid: str,
    template_id: str,
    data: Mapping[str, Any],
    url: str | None = None,
    *,
    client: WechatApiClient | None = None,
) -> SendOutcome:
    """Send a template message (to an agent). `data` values may be plain strings or WeChat's
    {"value": ..., "color": ...} objects."""
    fields = {k: v if isinstance(v, Mapping) else {"value": str(v)} for k, v in data.items()}
    result = (client or get_client()).message.send_template(openid, template_id, fields, url=url)
    return SendOutcome("sent", msgid=_msgid(result, "message/template/send"))


@dataclass(frozen=True)
class SceneQrCode:
    ticket: str
    url: str  # what the QR code encodes
    expire_seconds: int
    image_url: str  # the QR code as an image (showqrcode)


def create_scene_qrcode(
    scene: str, expire_seconds: int, *, client: WechatApiClient | None = None
) -> SceneQrCode:
    """A temporary parameterised QR code (QR_STR_SCENE): scanning it sends ParkLead a
    subscribe (new follower, key "qrscene_<scene>") or SCAN event (key "<scene>")."""
    api = client or get_client()
    result = api.post(
        "qrcode/create",
        data={
            "expire_seconds": expire_seconds,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        },
    )
    if not isinstance(result, dict) or not result.get("ticket"):
        raise WechatTransportError("WeChat qrcode/create answered without a ticket")
    ticket = str(result["ticket"])
    # The image comes from mp.weixin.qq.com, not the API host; a test or demo API base (the
    # fake) serves it beside its API.
    base = api.API_BASE_URL
    image_base = SHOWQRCODE_URL if base == DEFAULT_BASE_URL else base + "showqrcode"
    return SceneQrCode(
        ticket=ticket,
        url=str(result.get("url") or ""),
        expire_seconds=int(result.get("expire_seconds") or expire_seconds),
        image_url=f"{image_base}?{urlencode({'ticket': ticket})}",
    )


def send_customer_service_text(
    openid: str,
    text: str,
    *,
    client: WechatApiClient | None = None,
    now: dt.datetime | None = None,
) -> SendOutcome:
    """Send a customer-service text to a prospect, within WeChat's rule: 5 messages within 48
    hours of their last message, or 3 within a minute of a menu click, follow or scan (the
    message window is used first). Outside both, WeChat is not called.

    The window's count is taken with a conditional UPDATE (concurrent senders cannot pass 5)
    in the caller's transaction; the caller commits.
    """
    return _send_in_window(
        openid, lambda api: api.message.send_text(openid, text), client=client, now=now
    )


def send_customer_service_news(
    openid: str,
    article: dict[str, str],
    *,
    client: WechatApiClient | None = None,
    now: dt.datetime | None = None,
) -> SendOutcome:
    """Send one news card (`article`: title, description, url, image) as a customer-service
    message, within the same window and quota as a text (WeChat sends one article per news
    message)."""
    return _send_in_window(
        openid, lambda api: api.message.send_articles(openid, [article]), client=client, now=now
    )


def _send_in_window(
    openid: str,
    send: Callable[[WechatApiClient], Any],
    *,
    client: WechatApiClient | None,
    now: dt.datetime | None,
) -> SendOutcome:
    now = now or utcnow()
    window = _reserve_window_slot(openid, now)
    if window is None:
        return SendOutcome.skip(_why_no_slot(openid, now))
    try:
        result = send(client or get_client())
    except WechatApiError as exc:
        # WeChat's own verdict on the window wins over our count.
        if exc.errcode == ERRCODE_OUTSIDE_WINDOW:
            _release_window_slot(openid, window)
            return SendOutcome.skip(SkipReason.OUTSIDE_WINDOW)
        if exc.errcode == ERRCODE_QUOTA_USED:
            _use_up_window(openid, window)
            return SendOutcome.skip(SkipReason.QUOTA_USED)
        # Nothing was delivered: give the slot back, even if the caller commits.
        _release_window_slot(openid, window)
        raise
    # A transport error keeps the slot: the message may have been delivered.
    return SendOutcome("sent", msgid=_msgid(result, "message/custom/send"))


def record_inbound(openid: str, at: dt.datetime) -> None:
    """A prospect wrote (or clicked, followed, scanned): open a new 48-hour window.

    Called by the callback; the caller commits. A late, older delivery does not move the
    window back.
    """
    if at.tzinfo is None:
        raise ValueError("record_inbound needs an aware UTC datetime")
    if _move_window(openid, at):
        return
    if db.session.scalar(select(WechatUser.id).where(WechatUser.openid == openid)) is not None:
        return  # the stored window is already newer
    try:
        with db.session.begin_nested():
            db.session.add(WechatUser(openid=openid, last_inbound_at=at, cs_sent_in_window=0))
    except IntegrityError:
        # A concurrent delivery created the user first; update theirs.
        _move_window(openid, at)


def open_window(user: WechatUser, at: dt.datetime) -> None:
    """`record_inbound` on a follower row the caller holds locked (the callback does): the
    caller's flush writes the window with the rest of the row."""
    if at.tzinfo is None:
        raise ValueError("open_window needs an aware UTC datetime")
    if user.last_inbound_at is None or user.last_inbound_at <= at:
        user.last_inbound_at = at
        user.cs_sent_in_window = 0


def open_event_window(user: WechatUser, at: dt.datetime) -> None:
    """A menu click, follow or scan on a follower row the caller holds locked: WeChat allows
    3 customer-service messages within the next minute."""
    if at.tzinfo is None:
        raise ValueError("open_event_window needs an aware UTC datetime")
    if user.last_event_at is None or user.last_event_at <= at:
        user.last_event_at = at
        user.cs_sent_after_event = 0


class Window(enum.StrEnum):
    MESSAGE = "message"  # 48 hours after the prospect's last message, 5 messages
    EVENT = "event"  # a minute after a click, follow or scan, 3 messages


def _window_counter(window: Window) -> tuple[Any, int]:
    if window is Window.MESSAGE:
        return WechatUser.cs_sent_in_window, CS_MAX_PER_WINDOW
    return WechatUser.cs_sent_after_event, CS_MAX_AFTER_EVENT


def _move_window(openid: str, at: dt.datetime) -> bool:
    result = db.session.execute(
        update(WechatUser)
        .where(
            WechatUser.openid == openid,
            or_(WechatUser.last_inbound_at.is_(None), WechatUser.last_inbound_at <= at),
        )
        .values(last_inbound_at=at, cs_sent_in_window=0)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _reserve_window_slot(openid: str, now: dt.datetime) -> Window | None:
    """Take a slot in the message window, else in the event window; None when neither has one.
    Conditional UPDATEs, so concurrent senders cannot pass a window's limit."""
    opened = {
        Window.MESSAGE: WechatUser.last_inbound_at > now - CS_WINDOW,
        Window.EVENT: WechatUser.last_event_at > now - CS_EVENT_WINDOW,
    }
    for window, is_open in opened.items():
        counter, limit = _window_counter(window)
        result = db.session.execute(
            update(WechatUser)
            .where(WechatUser.openid == openid, is_open, counter < limit)
            .values({counter: counter + 1})
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return window
    return None


def _release_window_slot(openid: str, window: Window) -> None:
    counter, _limit = _window_counter(window)
    db.session.execute(
        update(WechatUser)
        .where(WechatUser.openid == openid, counter > 0)
        .values({counter: counter - 1})
        .execution_options(synchronize_session=False)
    )


def _use_up_window(openid: str, window: Window) -> None:
    counter, limit = _window_counter(window)
    db.session.execute(
        update(WechatUser)
        .where(WechatUser.openid == openid)
        .values({counter: limit})
        .execution_options(synchronize_session=False)
    )


def _why_no_slot(openid: str, now: dt.datetime) -> SkipReason:
    stmt = select(WechatUser.last_inbound_at, WechatUser.last_event_at)
    row = db.session.execute(stmt.where(WechatUser.openid == openid)).first()
    message_open = row is not None and row[0] is not None and row[0] > now - CS_WINDOW
    event_open = row is not None and row[1] is not None and row[1] > now - CS_EVENT_WINDOW
    return SkipReason.QUOTA_USED if message_open or event_open else SkipReason.OUTSIDE_WINDOW


def _msgid(result: Any, endpoint: str) -> int | None:
    # wechatpy hands back the raw response when the body is not JSON (meant for media
    # downloads); for a send that means a proxy or an outage page, not WeChat.
    if not isinstance(result, dict):
        raise WechatTransportError(
            f"WeChat {endpoint} answered something other than JSON", endpoint=endpoint
        )
    return int(result["msgid"]) if result.get("msgid") is not None else None
