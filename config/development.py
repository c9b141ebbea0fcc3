from __future__ import annotations

from config.base import BaseConfig


class DevelopmentConfig(BaseConfig):
    """First run on one machine: SQLite under instance/, no Redis, secrets generated locally."""
