"""Per-IP rate limit on public intake (flask-limiter), stored in Redis when there is one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limiter(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    # Redis trouble must not turn intake away: fall back to per-process counting.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "parklead")
    limiter.init_app(app)
    # flask-limiter checks every request in a before_request hook: skip it outright for an
    # intake request whose limit is off (its request filter would say the same, after
    # resolving the endpoint's limits: about a tenth of the intake's CPU).
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks[:] = [_unless_unlimited(hook) if _is_limiter_check(hook) else hook for hook in hooks]


def _is_limiter_check(hook: Callable[..., Any]) -> bool:
    return getattr(hook, "__self__", None) is limiter and hook.__name__ == "_check_request_limit"


def _unless_unlimited(check: Callable[[], Any]) -> Callable[[], Any]:
    def checked() -> Any:
        return None if _intake_unlimited() else check()

    return checked


def _intake_limit_off() -> bool:
    return current_app.config["INTAKE_RATE_LIMIT"].strip().lower() in ("off", "", "none")


def _intake_limit() -> str:
    # flask-limiter parses the value even for exempt requests; give it a valid one when off.
    return "1000000/second" if _intake_limit_off() else current_app.config["INTAKE_RATE_LIMIT"]


# One budget per IP shared by the JSON endpoint and the HTML form.
_shared_intake_limit = limiter.shared_limit(
    _intake_limit, scope="intake", methods=["POST"], exempt_when=_intake_limit_off
)
# The views under the intake limit (their wrappers, as Flask holds them).
_intake_views: set[Callable[..., Any]] = set()


def intake_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """The intake's rate limit on `view`. With INTAKE_RATE_LIMIT off, flask-limiter stays out
    of the way entirely: its checks and headers cost about a tenth of the intake's CPU
    (bench/intake.py), to conclude that nothing is limited."""
    limited = _shared_intake_limit(view)

    @functools.wraps(view)  # the same qualified name: flask-limiter finds its limit by it
    def checked(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs) if _intake_limit_off() else limited(*args, **kwargs)

    _intake_views.add(checked)
    return checked


# Views that no limit applies to, and flask-limiter need not look at (see `unlimited`).
_unlimited_views: set[Callable[..., Any]] = set()


def unlimited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark `view` as under no rate limit: flask-limiter then skips it before resolving any
    limit (about 0.1–0.2 ms of CPU per request that would conclude nothing is limited). For
    a hot endpoint whose callers are not to be limited per IP (WeChat's servers)."""
    _unlimited_views.add(view)
    return view


@limiter.request_filter
def _intake_unlimited() -> bool:
    """Exempts a request from every limit, before flask-limiter resolves any: a view marked
    `unlimited`, or an intake view when the intake's limit is off (the intake views have no
    other limit)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view in _unlimited_views or (view in _intake_views and _intake_limit_off())
