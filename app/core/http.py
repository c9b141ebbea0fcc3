"""Small request helpers shared by the JSON endpoints."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from app.core.errors import AppError, MalformedBody, NotFound, ValidationFailed

# Row ids are INTEGER columns: an id beyond this names no row, and a larger number overflows
# PostgreSQL's int4 or SQLite's int64 in the query (docs/security.md).
MAX_ROW_ID = 2**31 - 1


def refuse_impossible_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A url_value_preprocessor: an `<int:...>` path id past MAX_ROW_ID is a 404 before the
    view runs (it names no row, and the query would overflow the driver)."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and value > MAX_ROW_ID:
            raise NotFound(f"no {name.removesuffix('_id')} {value}")


def json_body() -> Any:
    """The request's JSON body, or a 400/415 that says what is wrong with it."""
    if request.mimetype != "application/json":
        raise AppError(
            "send the body as JSON with 'Content-Type: application/json'",
            status=415,
            code="unsupported_media_type",
        )
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise MalformedBody("the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 encoded JSON") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise MalformedBody("the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. a number of more than 4,300 digits
        raise MalformedBody(f"malformed JSON: {exc}") from None


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise MalformedBody("the body must be a JSON object")
    return body


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = 200) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a whole number", fields={name: "a number"}
        ) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed(
            f"{name} must be between {minimum} and {maximum}",
            fields={name: f"{minimum}..{maximum}"},
        )
    return value


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def bool_arg(name: str) -> bool | None:
    """A true/false query parameter: None when absent or blank, else 1/true/yes/on or
    0/false/no/off (any case); anything else is a 400 naming the parameter."""
    raw = (request.args.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValidationFailed(f"{name} must be true or false", fields={name: "true or false"})
