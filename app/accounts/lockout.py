"""Brute-force protection for logins (pages and API tokens), docs/security.md.

Two budgets of *failed* attempts, kept in the rate limiter's storage (Redis when there is
one, so every web process shares them):

- per address: `LOGIN_ADDRESS_RATE_LIMIT` (flask-limiter syntax); over it, every login from
  that address is refused for the rest of the window;
- per account: `LOGIN_LOCKOUT_FAILURES` failures within `LOGIN_LOCKOUT_WINDOW_SECONDS` lock
  the login for `LOGIN_LOCKOUT_SECONDS`, the right password included.

Logins are counted whether or not an agent by that name exists, so a lock reveals nothing.
A successful login clears the account's failures.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import redis
from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.errors import StorageError

from app.accounts import service
from app.accounts.models import Agent
from app.core.errors import AppError, Unauthorized
from app.core.limiter import limiter

log = logging.getLogger(__name__)


class LoginThrottled(AppError):
    """429: too many failed logins for this account or from this address."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after


def _account_key(login: str) -> str:
    return login.strip().lower()[:64]


def _address_items() -> list[RateLimitItem]:
    raw = current_app.config["LOGIN_ADDRESS_RATE_LIMIT"].strip()
    return [] if raw.lower() in ("off", "", "none") else parse_many(raw)


def _failure_item() -> RateLimitItem:
    cfg = current_app.config
    return RateLimitItemPerSecond(
        cfg["LOGIN_LOCKOUT_FAILURES"], cfg["LOGIN_LOCKOUT_WINDOW_SECONDS"]
    )


def _lock_item() -> RateLimitItem:
    return RateLimitItemPerSecond(1, current_app.config["LOGIN_LOCKOUT_SECONDS"])


def _seconds_until(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def check_allowed(login: str, address: str) -> None:
    """Raise LoginThrottled when the address is over its budget or the account is locked."""
    strategy = limiter.limiter
    for item in _address_items():
        if not strategy.test(item, "login-address", address):
            reset_at, _remaining = strategy.get_window_stats(item, "login-address", address)
            raise LoginThrottled(
                _("登录尝试过于频繁，请稍后再试"),
                retry_after=_seconds_until(reset_at),
                code="too_many_attempts",
            )
    lock = _lock_item()
    account = _account_key(login)
    if not strategy.test(lock, "login-lock", account):
        reset_at, _remaining = strategy.get_window_stats(lock, "login-lock", account)
        seconds = _seconds_until(reset_at)
        raise LoginThrottled(
            _(
                "登录失败次数过多，账号已暂时锁定，请 %(minutes)s 分钟后再试",
                minutes=math.ceil(seconds / 60),
            ),
            retry_after=seconds,
            code="account_locked",
        )


def record_failure(login: str, address: str) -> None:
    """Count a failed attempt; lock the account when it reaches the limit."""
    strategy = limiter.limiter
    for item in _address_items():
        if not strategy.hit(item, "login-address", address):
            log.warning("login: address %s is over its failed-login budget %s", address, item)
    account = _account_key(login)
    failures = _failure_item()
    strategy.hit(failures, "login-failures", account)
    log.info("login: failed attempt for %r from %s", account, address)
    if not strategy.test(failures, "login-failures", account):
        strategy.hit(_lock_item(), "login-lock", account)
        strategy.clear(failures, "login-failures", account)
        log.warning(
            "login: account %r locked for %s s after %s failed attempts (last from %s)",
            account,
            current_app.config["LOGIN_LOCKOUT_SECONDS"],
            current_app.config["LOGIN_LOCKOUT_FAILURES"],
            address,
        )


def record_success(login: str) -> None:
    limiter.limiter.clear(_failure_item(), "login-failures", _account_key(login))


def authenticate(login: str, password: str, address: str) -> Agent:
    """`service.authenticate` behind both budgets: LoginThrottled before the password is even
    checked when over budget, Unauthorized (counted) for a wrong one."""
    _guarded(check_allowed, login, address)
    try:
        agent = service.authenticate(login, password)
    except Unauthorized:
        _guarded(record_failure, login, address)
        raise
    _guarded(record_success, login)
    return agent


# Redis down: logins go on without the budgets (argon2 still makes each guess slow), loudly.
_STORAGE_DOWN = (redis.RedisError, StorageError, ConnectionError)


def _guarded(step: Callable[..., None], *args: str) -> None:
    try:
        step(*args)
    except _STORAGE_DOWN as exc:
        log.warning("login: rate-limit storage unavailable, %s skipped: %s", step.__name__, exc)
