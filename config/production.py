from __future__ import annotations

from config.base import BaseConfig


class ProductionConfig(BaseConfig):
    """Production: DATABASE_URL, REDIS_URL and SECRET_KEY must come from the environment."""

    LOG_FORMAT = "json"
    SESSION_COOKIE_SECURE = True  # served over HTTPS (docs/security.md)
    REQUIRED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
