"""Request bodies validated by pydantic, and their errors as the one 400 of docs/api.md
"Errors": `{"error": {"code": "validation_error", "message", "fields": {name: sentence}}}`.

`parse` validates a JSON body as a model and raises `ValidationFailed` naming each bad field in
one plain English sentence (app/core/messages.py words it in the user's language). `Body` is
the base of request models that refuse unknown fields and check across fields.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from app.core.errors import ValidationFailed
from app.core.http import MAX_ROW_ID

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID)]

# One sentence per pydantic error type; a type not listed keeps the validator's own message.
_WORDING = {
    "enum": "must be one of: {expected}",
    "extra_forbidden": "is not a field of this endpoint",
    "decimal_parsing": "must be a number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "decimal_type": "must be a number",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than_equal": "must be at most {le}",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} characters",
    "string_type": "must be text",
    "string_pattern_mismatch": "has characters that are not allowed here",
    "decimal_max_places": "may have at most {decimal_places} decimal places",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} items",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "timezone_aware": "must include a time zone, e.g. 2025-10-01T10:00:00+08:00",
    "datetime_from_date_parsing": "must be a date and time like 2025-10-01T10:00:00+08:00",
    "datetime_parsing": "must be a date and time like 2025-10-01T10:00:00+08:00",
    "datetime_type": "must be a date and time like 2025-10-01T10:00:00+08:00",
}


class Body(BaseModel):
    """A request body: unknown fields are refused; `field_errors` checks across fields."""

    model_config = ConfigDict(extra="forbid")

    # Fields that a change may leave out but not set to null.
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    def field_errors(self) -> dict[str, str]:
        """Checks across fields, as {field: message}; `parse` turns them into a 400."""
        return {
            name: "may not be null"
            for name in self.NOT_NULL
            if name in self.model_fields_set and getattr(self, name) is None
        }


M = TypeVar("M", bound=BaseModel)


def validation_error(exc: ValidationError) -> ValidationFailed:
    """pydantic's errors as our `fields` map, one clear sentence per field (the first)."""
    fields: dict[str, str] = {}
    general: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        template = _WORDING.get(err["type"])
        ctx = err.get("ctx") or {}
        if template:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = err["msg"]
        else:
            message = str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
        if loc:
            fields.setdefault(loc, message)
        else:
            general.append(message)
    summary = "; ".join(general) if general else "some fields are not valid"
    return ValidationFailed(summary, fields=fields)


def parse(model: type[M], payload: Any) -> M:
    """Validate `payload` as `model`, or raise a 400 naming each bad field."""
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object")
    try:
        body = model.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc) from None
    errors = body.field_errors() if isinstance(body, Body) else {}
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
    return body
