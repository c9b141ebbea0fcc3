"""Helpers shared by the test suites (importable as `tests.support`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from app import create_app

TEST_PG_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/parklead_test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip (printed with -ra) on a developer machine; fail under CI."""
    if IN_CI:
        pytest.fail(f"CI=true and a required service is unreachable: {reason}", pytrace=False)
    pytest.skip(reason)


def recreate_pg_database(url: str) -> str | None:
    """Drop and create the database named in `url`; return an error text when PG is down."""
    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                    "AND pid <> pg_backend_pid()"
                ),
                {"d": target.database},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL at {target.host}:{target.port} unreachable ({exc.orig})"
    finally:
        admin.dispose()
    return None


def migrate(app: Flask) -> None:
    from alembic import command

    from app.core.migrate import alembic_config

    with app.app_context():
        command.upgrade(alembic_config(app), "head")


def make_app(database_url: str, tmp_dir: Path, **settings: Any) -> Flask:
    config = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_dir), **settings}
    return create_app({**_testing(), **config})


def _testing() -> dict[str, Any]:
    from config import load_config

    return load_config("testing")
