"""Operability endpoints: health and the OpenAPI document."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import db
from app.core.openapi import build_openapi

bp = Blueprint("core", __name__)
log = logging.getLogger(__name__)


def check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True, "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health: database down: %s", exc)
        return False, type(exc).__name__


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
        return False, type(exc).__name__


@bp.get("/healthz")
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
    }
    return jsonify(body), 200 if ok else 503


@bp.get("/api/openapi.json")
def openapi() -> Any:
    return jsonify(build_openapi())
