"""Settings per environment, overridable by environment variables (docs/api.md).

`load_config()` picks a class by `PARKLEAD_ENV` (development, testing, production) and then
applies the environment overrides, so an operator never edits files to deploy.
"""

from __future__ import annotations

import json
import os
from typing import Any

from config.base import BaseConfig
from config.development import DevelopmentConfig
from config.production import ProductionConfig
from config.testing import TestingConfig

CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _json_object(raw: str) -> dict[str, Any]:
    value = json.loads(raw)  # JSONDecodeError is a ValueError
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError("expected true/false")
    return value in ("1", "true", "yes", "on")


# Environment variable -> (setting, parser). Unset variables keep the class default.
_ENV_OVERRIDES: dict[str, tuple[str, Any]] = {
    "DATABASE_URL": ("DATABASE_URL", str),
    "REDIS_URL": ("REDIS_URL", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "WECHAT_TOKEN": ("WECHAT_TOKEN", str),
    "WECHAT_APP_ID": ("WECHAT_APP_ID", str),
    "WECHAT_APP_SECRET": ("WECHAT_APP_SECRET", str),
    "WECHAT_ENCODING_AES_KEY": ("WECHAT_ENCODING_AES_KEY", str),
    "WECHAT_API_BASE_URL": ("WECHAT_API_BASE_URL", str),
    "WECHAT_TIMESTAMP_TOLERANCE_SECONDS": ("WECHAT_TIMESTAMP_TOLERANCE_SECONDS", int),
    "WECHAT_MESSAGE_MODE": ("WECHAT_MESSAGE_MODE", str),
    "WECHAT_API_TIMEOUT_SECONDS": ("WECHAT_API_TIMEOUT_SECONDS", float),
    "SMTP_HOST": ("SMTP_HOST", str),
    "SMTP_PORT": ("SMTP_PORT", int),
    "SMTP_USER": ("SMTP_USER", str),
    "SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "SMTP_FROM": ("SMTP_FROM", str),
    "SMTP_STARTTLS": ("SMTP_STARTTLS", _flag),
    "WEBHOOK_URL": ("WEBHOOK_URL", str),
    "WEBHOOK_SECRET": ("WEBHOOK_SECRET", str),
    "WECHAT_TEMPLATE_LEAD_ASSIGNED": ("WECHAT_TEMPLATE_LEAD_ASSIGNED", str),
    "WECHAT_TEMPLATE_NOTICE": ("WECHAT_TEMPLATE_NOTICE", str),
    "WECOM_CORP_ID": ("WECOM_CORP_ID", str),
    "WECOM_AGENT_ID": ("WECOM_AGENT_ID", str),
    "WECOM_SECRET": ("WECOM_SECRET", str),
    "WECOM_API_BASE_URL": ("WECOM_API_BASE_URL", str),
    "WECOM_ROBOT_KEY": ("WECOM_ROBOT_KEY", str),
    "DINGTALK_ROBOT_ACCESS_TOKEN": ("DINGTALK_ROBOT_ACCESS_TOKEN", str),
    "DINGTALK_ROBOT_SECRET": ("DINGTALK_ROBOT_SECRET", str),
    "DINGTALK_API_BASE_URL": ("DINGTALK_API_BASE_URL", str),
    "SMS_PROVIDER": ("SMS_PROVIDER", str),
    "SMS_SECRET_ID": ("SMS_SECRET_ID", str),
    "SMS_SECRET_KEY": ("SMS_SECRET_KEY", str),
    "SMS_SDK_APP_ID": ("SMS_SDK_APP_ID", str),
    "SMS_SIGN_NAME": ("SMS_SIGN_NAME", str),
    "SMS_REGION": ("SMS_REGION", str),
    "SMS_API_BASE_URL": ("SMS_API_BASE_URL", str),
    "SMS_TEMPLATE_LEAD_ASSIGNED": ("SMS_TEMPLATE_LEAD_ASSIGNED", str),
    "SMS_TEMPLATE_NOTICE": ("SMS_TEMPLATE_NOTICE", str),
    "PARKLEAD_FAKE_CHANNELS_URL": ("FAKE_CHANNELS_URL", str),
    "PARKLEAD_NOTIFY_MAX_ATTEMPTS": ("NOTIFY_MAX_ATTEMPTS", int),
    "PARKLEAD_NOTIFY_BACKOFF_BASE_SECONDS": ("NOTIFY_BACKOFF_BASE_SECONDS", float),
    "PARKLEAD_NOTIFY_BACKOFF_MAX_SECONDS": ("NOTIFY_BACKOFF_MAX_SECONDS", float),
    "PARKLEAD_NOTIFY_LEASE_SECONDS": ("NOTIFY_LEASE_SECONDS", float),
    "PARKLEAD_NOTIFY_SWEEP_GRACE_SECONDS": ("NOTIFY_SWEEP_GRACE_SECONDS", float),
    "PARKLEAD_NOTIFY_SWEEP_INTERVAL_SECONDS": ("NOTIFY_SWEEP_INTERVAL_SECONDS", float),
    "INTAKE_RATE_LIMIT": ("INTAKE_RATE_LIMIT", str),
    "PARKLEAD_DISTRICTS": ("DISTRICTS", str),
    "PARKLEAD_TIMEZONE": ("TIMEZONE", str),
    "PARKLEAD_METRICS_TOKEN": ("METRICS_TOKEN", str),
    "PARKLEAD_REPORT_ROLLUP_INTERVAL_SECONDS": ("REPORT_ROLLUP_INTERVAL_SECONDS", float),
    "PARKLEAD_TOKEN_MAX_AGE": ("TOKEN_MAX_AGE_SECONDS", int),
    "PARKLEAD_SLA_MINUTES": ("SLA_MINUTES", int),
    "PARKLEAD_LOGIN_ADDRESS_RATE_LIMIT": ("LOGIN_ADDRESS_RATE_LIMIT", str),
    "PARKLEAD_LOGIN_LOCKOUT_FAILURES": ("LOGIN_LOCKOUT_FAILURES", int),
    "PARKLEAD_LOGIN_LOCKOUT_WINDOW_SECONDS": ("LOGIN_LOCKOUT_WINDOW_SECONDS", int),
    "PARKLEAD_LOGIN_LOCKOUT_SECONDS": ("LOGIN_LOCKOUT_SECONDS", int),
    "PARKLEAD_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "PARKLEAD_SESSION_MAX_AGE_SECONDS": ("SESSION_MAX_AGE_SECONDS", int),
    "PARKLEAD_HSTS_MAX_AGE_SECONDS": ("HSTS_MAX_AGE_SECONDS", int),
    "PARKLEAD_PROXY_COUNT": ("PROXY_COUNT", int),
    "PARKLEAD_LOG_FORMAT": ("LOG_FORMAT", str),
    "PARKLEAD_CELERY_QUEUE": ("CELERY_QUEUE", str),
    "PARKLEAD_ROUTING_SWEEP_AFTER_SECONDS": ("ROUTING_SWEEP_AFTER_SECONDS", int),
    "PARKLEAD_WORKER_NICE": ("WORKER_NICE", int),
    "PARKLEAD_DISPATCH_LINGER_MS": ("DISPATCH_LINGER_MS", int),
    "PARKLEAD_CELERY_VISIBILITY_TIMEOUT": ("CELERY_VISIBILITY_TIMEOUT", int),
    "PARKLEAD_CELERY_UNACKED_RESTORE_SECONDS": ("CELERY_UNACKED_RESTORE_SECONDS", int),
    "PARKLEAD_SCORING_WEIGHTS": ("SCORING_WEIGHTS", _json_object),
    "LISTINGS_PHOTO_DIR": ("LISTINGS_PHOTO_DIR", str),
    "LISTINGS_PHOTO_MAX_BYTES": ("LISTINGS_PHOTO_MAX_BYTES", int),
    "LISTINGS_MATCH_CANDIDATES": ("LISTINGS_MATCH_CANDIDATES", int),
    "LISTINGS_NOTIFY_TOP": ("LISTINGS_NOTIFY_TOP", int),
    "LISTINGS_NOTIFY_MIN_SCORE": ("LISTINGS_NOTIFY_MIN_SCORE", int),
}


def load_config(name: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings for environment `name` with environment variables and `overrides`."""
    env_name = name or os.environ.get("PARKLEAD_ENV", "development")
    try:
        cls = CONFIGS[env_name]
    except KeyError:
        raise ValueError(
            f"PARKLEAD_ENV={env_name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for var, (key, parse) in _ENV_OVERRIDES.items():
        raw = os.environ.get(var)
        if raw is not None and raw != "":
            try:
                settings[key] = parse(raw)
            except ValueError:
                raise ValueError(f"environment variable {var}={raw!r} is not valid") from None
    settings.update(overrides or {})
    settings["ENV_NAME"] = env_name
    return settings
