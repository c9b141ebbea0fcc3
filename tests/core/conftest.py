"""Fixtures for the command-line tests (test_cli.py, test_backup.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

import app.cli
from app import create_app

ENV_VARS = ("PARKLEAD_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PARKLEAD_INSTANCE_PATH")
Run = Callable[..., Result]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def parklead(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run `parklead ARGS` with DATABASE_URL set and embedded mode (no REDIS_URL)."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PARKLEAD_INSTANCE_PATH", str(tmp_path / "instance"))
    apps: list[Flask] = []

    def tracked_create_app() -> Flask:
        application = create_app()
        apps.append(application)
        return application

    monkeypatch.setattr(app.cli, "create_app", tracked_create_app)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(app.cli.main, list(args), input=input, env=env)

    yield run
    for application in apps:
        application.extensions["db_engine"].dispose()
