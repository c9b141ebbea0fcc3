"""The shared query-parameter helpers of app/core/http.py."""

from __future__ import annotations

import pytest
from flask import Flask

from app.core.errors import ValidationFailed
from app.core.http import bool_arg

_app = Flask(__name__)


def arg(query: str) -> bool | None:
    with _app.test_request_context("/?" + query):
        return bool_arg("flag")


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " True "])
def test_bool_arg_reads_true(raw):
    assert arg(f"flag={raw}") is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off"])
def test_bool_arg_reads_false(raw):
    assert arg(f"flag={raw}") is False


@pytest.mark.parametrize("query", ["", "flag=", "other=1"])
def test_bool_arg_is_none_when_absent_or_blank(query):
    assert arg(query) is None


@pytest.mark.parametrize("raw", ["maybe", "2", "t", "ja"])
def test_bool_arg_refuses_anything_else_naming_the_parameter(raw):
    with pytest.raises(ValidationFailed) as caught:
        arg(f"flag={raw}")
    assert caught.value.fields == {"flag": "true or false"}
