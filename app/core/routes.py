"""Operability endpoints: health, metrics and the OpenAPI document."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.apidoc import api_doc
from app.core.db import db
from app.core.errors import Forbidden, Unauthorized
from app.core.openapi import build_openapi

bp = Blueprint("core", __name__)
log = logging.getLogger(__name__)


class Health(BaseModel):
    """All dependencies answer"""

    status: str
    checks: dict[str, str]
    failed: list[str]
    warnings: dict[str, str]


class OpenApiDocument(BaseModel):
    """OpenAPI 3.1 document"""

    model_config = ConfigDict(extra="allow")


def check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True, "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health: database down: %s", exc)
        # Which check failed, not how: the exception stays in the log (docs/security.md).
        return False, "unreachable"


def check_broker() -> tuple[bool, str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return True, "embedded (no broker: tasks run in-process)"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
        return True, "ok"
    except redis.RedisError as exc:
        log.warning("health: broker down: %s", exc)
        return False, "unreachable"


def register_health_warning(app: Flask, name: str, check: Callable[[], str | None]) -> None:
    """A domain's early warning for /healthz: a text when something needs an admin soon (the
    answer stays 200), None when all is well."""
    app.extensions.setdefault("health_warnings", {})[name] = check


def register_metrics(app: Flask, render: Callable[[], bytes]) -> None:
    """What `GET /metrics` answers: the Prometheus text the top level assembles (app/metrics.py);
    core counts no domain's rows itself."""
    app.extensions["metrics"] = render


def health_warnings() -> dict[str, str]:
    found = {}
    for name, check in current_app.extensions.get("health_warnings", {}).items():
        try:
            text = check()
        except SQLAlchemyError as exc:  # an unmigrated database: no warning, no 500
            db.session.rollback()
            log.warning("health: warning check %s failed: %s", name, exc)
            continue
        if text:
            found[name] = text
    return found


@bp.get("/healthz")
@api_doc(
    "Database and broker health",
    tags="ops",
    responses={200: Health, 503: (Health, "A dependency is down")},
)
def healthz() -> tuple[Any, int]:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {"database": db_detail, "broker": broker_detail},
        # Named explicitly: a healthy embedded broker's detail is not "ok" either.
        "failed": [
            name for name, passed in (("database", db_ok), ("broker", broker_ok)) if not passed
        ],
        # Not failures: things an admin must do before they become one (the holiday calendar).
        "warnings": health_warnings() if db_ok else {},
    }
    return jsonify(body), 200 if ok else 503


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus metrics: with `METRICS_TOKEN` set, for `Authorization: Bearer <token>`;
    without it, for callers on this machine only (a scraper beside the app)."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), str(token).encode()):
            raise Unauthorized("metrics need Authorization: Bearer <METRICS_TOKEN>")
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        raise Forbidden("metrics are served to this machine only; set METRICS_TOKEN to scrape")
    return Response(current_app.extensions["metrics"](), content_type=CONTENT_TYPE_LATEST)


@bp.get("/api/openapi.json")
@api_doc(
    "This document",
    tags="ops",
    responses={200: OpenApiDocument},
)
def openapi() -> Any:
    return jsonify(build_openapi(current_app))
