"""A wechatpy client whose access token is shared by every process: the token discipline of
Tencent's WeChat-family APIs (the official account, 企业微信), docs/notifications.md.

- The token lives in a shared store: Redis (REDIS_URL), or in embedded mode a small TTL-aware
  store shared by every client of the process (wechatpy's `MemoryStorage` ignores the TTL).
- One process refreshes at a time under a lock (Redis, or a thread lock in embedded mode), and
  re-reads the shared token after taking it, because whoever held it before has usually just
  fetched a fresh one.
- A token the API refuses is refreshed once and the call retried once, never in a loop, so a
  bad secret cannot spend the daily token quota.

Errors reach the caller as `WechatApiError` (an errcode) or `WechatTransportError` (no usable
answer: connection, timeout, 5xx, non-JSON); the outbox decides whether to retry. The names
say WeChat because the official account and 企业微信 share the errcode convention. The
official account's client (`app.wechat.client`) and the 企业微信 channel
(`app.notifications.channels.wecom`) both build on `SharedTokenClient`; this module knows
neither.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

log = logging.getLogger(__name__)

# (connect, read) seconds: a slow API must not hold an outbox worker for long.
DEFAULT_TIMEOUT: tuple[float, float] = (3.0, 5.0)
# 40001 invalid or not the latest token, 40014 malformed token, 42001 expired token.
EXPIRED_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Refresh this long before WeChat's expiry, so a token is never used in its last minutes.
TOKEN_EARLY_REFRESH_SECONDS = 300
# The lock outlives a worst-case fetch (connect + read timeouts) so it is not lost mid-fetch.
LOCK_TIMEOUT_SECONDS = 15.0
LOCK_WAIT_SECONDS = 10.0


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
