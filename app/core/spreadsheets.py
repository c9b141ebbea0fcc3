"""Spreadsheet safety for every CSV and XLSX export (OWASP "CSV injection").

A text cell that starts with = + - @, a tab or a carriage return (or their full-width forms,
after leading spaces) is one a spreadsheet may run as a formula. `safe_cell` prefixes it with
an apostrophe so it shows as text; a plain number such as -5 or +8613812345678 is left as it
is. `looks_like_formula` is the one test, for writers that keep the text and mark the cell as
text instead (docs/leads.md "Import and export").
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def looks_like_formula(value: Any) -> bool:
    """Whether a spreadsheet could read `value` as a formula."""
    return (
        isinstance(value, str)
        and value.lstrip(" ").startswith(FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    )


def safe_cell(value: Any) -> Any:
    """A cell value no spreadsheet will run as a formula."""
    return "'" + value if looks_like_formula(value) else value
