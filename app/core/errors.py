"""Specific exceptions, mapped to the JSON error shape of docs/api.md "Errors" in one place."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template_string, request
from flask_babel import get_locale
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.core import messages
from app.core.i18n import language_named

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a client caused or can act on; rendered as `{"error": {...}}`."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.code = code or self.code
        self.status = status or self.status
        self.extra = extra or {}


class ValidationFailed(AppError):
    code = "validation_error"


class MalformedBody(AppError):
    code = "malformed_body"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


_HTML_ERROR = """<!doctype html><html lang="{{ 'en' if english else 'zh-CN' }}"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ status }}</title><link rel="stylesheet" href="/static/error.css"></head>
<body class="error-page"><main><h1>{{ status }}</h1><p>{{ message }}</p>
<p><a href="/enquiry">{{ _('返回首页') }}</a></p></main></body></html>"""


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _wants_html() -> bool:
    if request.path.startswith(("/api/", "/wechat/", "/healthz")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _render(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Response, int]:
    html = _wants_html()
    if html or language_named():
        # In the user's language (docs/i18n.md); API clients that name no language get the
        # services' English.
        message = messages.error_text(code, message, status)
        fields = messages.fields_text(fields) if fields else fields
    if html:
        page = render_template_string(
            _HTML_ERROR, status=status, message=message, english=str(get_locale()) == "en"
        )
        return Response(page, mimetype="text/html"), status
    body = error_body(code, message, fields)
    if extra:
        body["error"].update(extra)
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError) -> tuple[Response, int]:
        return _render(exc.status, exc.code, exc.message, exc.fields, exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int] | Response:
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH")
            message = f"request body is larger than the {limit} bytes accepted here"
        if status == 429:
            message = f"too many requests from your address ({exc.description}); try again later"
        response, status = _render(status, messages.HTTP_CODES.get(status, "http_error"), message)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        retry_after = exc.get_headers() and dict(exc.get_headers()).get("Retry-After")
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response, status

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> tuple[Response, int]:
        # Optimistic locking caught a concurrent change the route did not lock against.
        return _render(
            409,
            "stale_version",
            "someone else changed this record meanwhile; reload it and try again",
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "internal_error", "internal error; it has been logged")
