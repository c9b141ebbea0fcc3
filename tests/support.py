"""Helpers shared by the test suites (importable as `tests.support`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from app import create_app

# The server to test against and the prefix of the databases the suite creates there. Each
# pytest run gets databases of its own (suffix RUN_ID), dropped when the run ends, so two runs
# on one machine never drop each other's data.
PG_BASE_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/parklead_test")
RUN_ID = os.environ.get("PARKLEAD_TEST_RUN_ID") or str(os.getpid())
_created_databases: set[str] = set()


def scratch_pg_url(purpose: str) -> str:
    """URL of a database of this run's own for `purpose` (create it with recreate_pg_database)."""
    base = make_url(PG_BASE_URL)
    name = f"{base.database}_{purpose}_{RUN_ID}" if purpose else f"{base.database}_{RUN_ID}"
    return base.set(database=name).render_as_string(hide_password=False)


TEST_PG_URL = scratch_pg_url("")
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
        _created_databases.add(target.render_as_string(hide_password=False))
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


@contextmanager
def committing_pg_app(purpose: str, tmp_dir: Path) -> Iterator[Flask]:
    """ParkLead on a migrated PostgreSQL database of its own where commits are real (not the
    per-test rolled-back transaction): for races between threads. Skips (fails in CI) when
    PostgreSQL is down."""
    import celery

    from app.core.limiter import limiter

    base = make_url(TEST_PG_URL)
    url = base.set(database=f"{base.database}_{purpose}").render_as_string(hide_password=False)
    error = recreate_pg_database(url)
    if error:
        unavailable(error)
    # create_app() re-points these process-wide objects at the newest app; put them back.
    celery_app = celery.current_app._get_current_object()
    limiter_state = dict(vars(limiter))
    application = make_app(url, tmp_dir)
    try:
        migrate(application)
        yield application
    finally:
        application.extensions["db_engine"].dispose()
        vars(limiter).clear()
        vars(limiter).update(limiter_state)
        celery_app.set_current()
        celery_app.set_default()


def _testing() -> dict[str, Any]:
    from config import load_config

    return load_config("testing")


def drop_created_databases() -> None:
    """Drop the databases this run created (called when the session ends)."""
    for url in sorted(_created_databases):
        target = make_url(url)
        admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        except sa.exc.SQLAlchemyError:
            pass  # the server went away; nothing left to clean
        finally:
            admin.dispose()
    _created_databases.clear()
