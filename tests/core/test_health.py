"""GET /healthz: the database and the broker, for load balancers and operators
(docs/operations.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support import make_app

CLOSED_REDIS = "redis://127.0.0.1:1/0"
CLOSED_POSTGRES = "postgresql://postgres@127.0.0.1:1/parklead"


@pytest.fixture
def health_of(tmp_path: Path) -> Iterator[Callable[..., tuple[int, dict[str, Any]]]]:
    """GET /healthz from an app built with the given DATABASE_URL and settings."""
    apps: list[Flask] = []

    def _get(database_url: str | None = None, **settings: Any) -> tuple[int, dict[str, Any]]:
        instance = tmp_path / f"app{len(apps)}"
        instance.mkdir()
        application = make_app(
            database_url or f"sqlite:///{instance / 'h.db'}", instance, **settings
        )
        apps.append(application)
        response = application.test_client().get("/healthz")
        return response.status_code, response.get_json()

    yield _get
    for application in apps:
        application.extensions["db_engine"].dispose()


def test_healthz_is_ok_in_embedded_mode(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("embedded")
    assert body["failed"] == []


def test_healthz_needs_no_token(client):
    assert client.get("/healthz", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_healthz_is_503_naming_the_broker_when_redis_is_down(health_of):
    status, body = health_of(REDIS_URL=CLOSED_REDIS)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"


@pytest.mark.parametrize(
    "database_url",
    [CLOSED_POSTGRES, "sqlite:////dev/null/not-a-dir/h.db"],
    ids=["postgres-closed-port", "sqlite-unopenable-file"],
)
def test_healthz_is_503_naming_the_database_when_it_is_down(health_of, database_url):
    status, body = health_of(database_url)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] != "ok"
    assert body["checks"]["broker"].startswith("embedded")


def test_healthz_names_both_checks_when_both_are_down(health_of):
    status, body = health_of(CLOSED_POSTGRES, REDIS_URL=CLOSED_REDIS)

    assert status == 503
    assert sorted(body["failed"]) == ["broker", "database"]


def test_healthz_does_not_reveal_the_database_password(tmp_path):
    application = make_app("postgresql://parklead:s3cret-pw@127.0.0.1:1/parklead", tmp_path)
    try:
        response = application.test_client().get("/healthz")
    finally:
        application.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert "s3cret-pw" not in response.get_data(as_text=True)


def test_healthz_checks_again_on_every_request(client, monkeypatch):
    from app.core import routes

    def down() -> tuple[bool, str]:
        return False, "OperationalError"

    monkeypatch.setattr(routes, "check_database", down)
    assert client.get("/healthz").status_code == 503
    monkeypatch.undo()
    assert client.get("/healthz").status_code == 200


def test_healthz_says_which_check_failed_not_the_exception(health_of):
    status, body = health_of(CLOSED_POSTGRES, REDIS_URL=CLOSED_REDIS)
    assert status == 503
    assert body["checks"] == {"database": "unreachable", "broker": "unreachable"}
    text = str(body)
    for leak in ("Error", "Exception", "psycopg", "redis.", "127.0.0.1"):
        assert leak not in text
