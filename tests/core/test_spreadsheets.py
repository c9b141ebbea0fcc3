"""The one spreadsheet formula guard of every export (app/core/spreadsheets.py)."""

from __future__ import annotations

import pytest

from app.core.spreadsheets import looks_like_formula, safe_cell


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("http://x")',
        "+SUM(1)",
        "+cmd|' /C calc'!A0",
        "-1+1",
        "-cmd",
        "@SUM(A1)",
        "\tcmd",
        "\t=1",
        "\rcmd",
        "\r=1",
    ],
)
def test_each_formula_start_is_escaped(value):
    assert looks_like_formula(value)
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["＝1", "＋1+1", "－cmd", "＠x", " =1", "   @x"])
def test_full_width_starts_and_leading_spaces_are_escaped_too(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["+8613812345678", "-5", "+3.5", "42"])
def test_plain_numbers_stay_as_they_are(value):
    assert not looks_like_formula(value)
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", ["湘能", "a=b", "", "1+1", 300, 2.5, None])
def test_other_values_stay_as_they_are(value):
    assert not looks_like_formula(value)
    assert safe_cell(value) == value
