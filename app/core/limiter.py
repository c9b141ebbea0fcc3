"""Per-IP rate limit on public intake (flask-limiter), stored in Redis when there is one."""

from __future__ import annotations

from flask import Flask, current_app
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


def _intake_limit_off() -> bool:
    return current_app.config["INTAKE_RATE_LIMIT"].strip().lower() in ("off", "", "none")


def _intake_limit() -> str:
    # flask-limiter parses the value even for exempt requests; give it a valid one when off.
    return "1000000/second" if _intake_limit_off() else current_app.config["INTAKE_RATE_LIMIT"]


# One budget per IP shared by the JSON endpoint and the HTML form.
intake_limit = limiter.shared_limit(
    _intake_limit, scope="intake", methods=["POST"], exempt_when=_intake_limit_off
)
