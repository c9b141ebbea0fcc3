"""The one pydantic → 400 mapping (app/core/validation.py, docs/api.md "Errors")."""

from __future__ import annotations

import pytest
from pydantic import AwareDatetime, StrictBool

from app.core.errors import ValidationFailed
from app.core.validation import Body, Id, parse


class Thing(Body):
    NOT_NULL = ("name",)

    name: str | None = None
    size: int = 1
    owner_id: Id | None = None
    active: StrictBool = True
    at: AwareDatetime | None = None


def refusal(payload) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse(Thing, payload)
    return caught.value


def test_a_valid_body_is_the_model():
    assert parse(Thing, {"name": "x", "size": "3"}).size == 3


@pytest.mark.parametrize("payload", [[], "x", None, 5])
def test_a_body_that_is_not_an_object_is_refused(payload):
    error = refusal(payload)
    assert error.message == "the body must be a JSON object"
    assert error.code == "validation_error"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"colour": "red"}, "colour", "is not a field of this endpoint"),
        ({"size": "big"}, "size", "must be a whole number"),
        ({"owner_id": 0}, "owner_id", "must be 1 or more"),
        ({"owner_id": 2**31}, "owner_id", "must be at most 2147483647"),
        ({"active": "yes"}, "active", "must be true or false"),
        ({"at": "2026-12-04T10:00:00"}, "at", "must include a time zone"),
        ({"name": None}, "name", "may not be null"),
    ],
)
def test_each_bad_field_is_named_in_a_plain_sentence(payload, field, message):
    error = refusal(payload)
    assert error.status == 400
    assert error.fields[field].startswith(message)


def test_every_bad_field_is_named_at_once():
    assert set(refusal({"size": "big", "active": 2, "colour": 1}).fields) == {
        "size",
        "active",
        "colour",
    }
