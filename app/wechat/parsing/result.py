"""What a parse gives back, and the working state the steps share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from app.wechat.parsing.district_set import DistrictSet
from app.wechat.parsing.text import _HAS_LATIN, _MASK, _display, fold

MAX_CHARS = 10_000
_MAX_AREA = 1e8  # 100 km²: anything larger is a misread figure, not a site

FIELD_NAMES = (
    "need_type",
    "deal",
    "area_min_m2",
    "area_max_m2",
    "industry",
    "tax_wan",
    "investment_wan",
    "company",
    "contact_name",
    "phone",
    "district",
    "ceiling_height_m",
    "crane_tonnes",
    "power_kva",
    "floor_load_kg_m2",
    "eia_required",
    "employees",
    "timeline",
    # Only with a non-RMB investment: investment_wan is then in 10,000s of this currency.
    "investment_currency",
)


class ParsedField(NamedTuple):
    """A field's value and the exact text it was read from. A named tuple, not a frozen
    dataclass: several are built per message, and a tuple is built in half the time
    (docs/parser.md, speed)."""

    value: object
    source: str


@dataclass(slots=True)
class ParseResult:
    fields: dict[str, ParsedField] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)
    # Fields read by default or inference rather than said (land bought unless 租 is said; a
    # need guessed from 亩 or from 投资): a conversation never lets them replace a stated value.
    inferred: frozenset[str] = frozenset()

    def get(self, name: str, default: object = None) -> object:
        parsed = self.fields.get(name)
        return default if parsed is None else parsed.value

    def as_dict(self) -> dict[str, object]:
        return {name: parsed.value for name, parsed in self.fields.items()}


_new_tuple = tuple.__new__


class _State:
    """Working text for one parse: the folded text with claimed spans masked."""

    __slots__ = (
        "area_in_mu", "district_set", "fields", "has_latin", "inferred", "land_area", "notes",
        "original", "work",
    )  # fmt: skip

    def __init__(self, original: str, district_set: DistrictSet) -> None:
        self.original = original
        self.work = fold(original)
        self.fields: dict[str, ParsedField] = {}
        self.notes: list[str] = []
        self.inferred: set[str] = set()
        self.district_set = district_set
        self.area_in_mu = False  # the area was given in 亩 (land is measured in 亩)
        # (low, high, start, end) of the first area in a land unit (亩, hectares, acres), which
        # is a land need's area even when a building area (建筑面积) came first.
        self.land_area: tuple[float | None, float | None, int, int] | None = None
        self.has_latin = _HAS_LATIN.search(self.work) is not None  # English keywords to look for

    def put(self, name: str, value: object, start: int, end: int) -> None:
        if name not in self.fields:
            # tuple.__new__ directly: a named tuple's own __new__ is a Python-level wrapper.
            self.fields[name] = _new_tuple(ParsedField, (value, self.original[start:end]))

    def value(self, start: int, end: int) -> str:
        return _display(self.original[start:end])

    def mask(self, start: int, end: int) -> None:
        self.work = self.work[:start] + _MASK * (end - start) + self.work[end:]


# The tail of a window that follows its last sentence or clause break.
_SENTENCE_TAIL = re.compile(r"[^;!?。；！？\n]*\Z")
_CLAUSE_TAIL = re.compile(r"[^,;!?。，；！？\n、]*\Z")


def _sentence_before(text: str, start: int, width: int = 16) -> str:
    """Up to ``width`` characters before ``start``, within the same sentence."""
    m = _SENTENCE_TAIL.search(text, max(0, start - width), start)
    return m.group() if m else ""


def _clause_before(text: str, start: int, width: int = 16) -> str:
    """Up to ``width`` characters before ``start``, within the same clause."""
    m = _CLAUSE_TAIL.search(text, max(0, start - width), start)
    return m.group() if m else ""
