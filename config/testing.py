from __future__ import annotations

from config.base import BaseConfig


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 - fixed key so tests are repeatable
    WECHAT_TOKEN = "testtoken"  # noqa: S105
    WECHAT_APP_ID = "wx0000000000000000"
    WECHAT_APP_SECRET = "testsecret"  # noqa: S105
    INTAKE_RATE_LIMIT = "off"
    LOG_LEVEL = "WARNING"
    # Cheap hashes keep the suite fast; production keeps argon2's defaults.
    PASSWORD_HASH_MEMORY_KIB = 1024
    PASSWORD_HASH_TIME_COST = 1
