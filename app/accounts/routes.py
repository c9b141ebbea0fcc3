from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from app.accounts import lockout, service
from app.accounts.shapes import Token, TokenIn
from app.core.apidoc import api_doc
from app.core.errors import ValidationFailed, error_body
from app.core.http import json_object
from app.core.limiter import limiter

bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")


@bp.post("/token")
@api_doc(
    "Exchange login and password for a bearer token",
    tags="auth",
    body=TokenIn,
    responses={200: Token},
    errors=(400, 401, 429),
)
@limiter.limit("30/minute")
def token() -> Any:
    body = json_object()
    login, password = body.get("login"), body.get("password")
    missing = {
        k: "required"
        for k, v in (("login", login), ("password", password))
        if not isinstance(v, str) or not v
    }
    if missing:
        raise ValidationFailed("login and password are required", fields=missing)
    try:
        agent = lockout.authenticate(login, password, request.remote_addr or "")
    except lockout.LoginThrottled as exc:
        body = error_body(exc.code, exc.message)
        body["error"]["retry_after"] = exc.retry_after
        response = jsonify(body)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, 429
    return jsonify(
        {
            "token": service.issue_token(agent),
            "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_MAX_AGE_SECONDS"],
            "agent": {
                "id": agent.id,
                "login": agent.login,
                "name": agent.name,
                "role": agent.role.value,
            },
        }
    )
