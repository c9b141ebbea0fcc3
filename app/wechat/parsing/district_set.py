"""A configured set of districts (names, aliases, suffix rules) and how it finds one in text.

Its own module so the parse state (result.py) and the district step (places.py) can both use
it without importing each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.wechat.parsing.text import _is_cjk


@dataclass(eq=False, slots=True)
class DistrictSet:
    """A configured set of districts: aliases mapped to canonical names, and/or suffix rules."""

    name: str
    aliases: dict[str, str]
    suffixes: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()
    bare: frozenset[str] = frozenset()
    area_code: str | None = None
    _alias_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _suffix_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    # Per suffix, the ignored words longer than it, as one tuple for `str.endswith`.
    _longer_ignored: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.aliases:
            ordered = sorted(self.aliases, key=len, reverse=True)
            self._alias_re = re.compile("|".join(re.escape(a) for a in ordered))
        if self.suffixes:
            ordered = sorted(self.suffixes, key=len, reverse=True)
            self._suffix_re = re.compile("|".join(re.escape(s) for s in ordered))
            self._longer_ignored = {
                suffix: tuple(word for word in self.ignore if len(word) > len(suffix))
                for suffix in self.suffixes
            }

    def find(self, folded: str) -> tuple[str, int, int] | None:
        """The first district named in folded text: (canonical, start, end)."""
        if self._alias_re is not None:
            m = self._alias_re.search(folded)
            if m:
                return self.aliases[m.group()], m.start(), m.end()
        if self._suffix_re is not None:
            return self._find_by_suffix(folded, self._suffix_re)
        return None

    def _find_by_suffix(self, text: str, suffix_re: re.Pattern[str]) -> tuple[str, int, int] | None:
        found: tuple[str, int, int] | None = None
        for m in suffix_re.finditer(text):
            start = self._name_start(text, m.start(), m.group())
            token = text[start : m.end()]
            name = text[start : m.start()]
            if not self._acceptable(token, name, m.group()):
                continue
            if found is not None:
                # 株洲市天元区: a district right after another one is the more specific name.
                if start == found[2]:
                    found = (token, start, m.end())
                    continue
                break
            found = (token, start, m.end())
        return found

    @staticmethod
    def _name_start(text: str, end: int, suffix: str) -> int:
        limit = 4 if len(suffix) > 1 else 3
        start = end
        while start > 0 and end - start < limit:
            ch = text[start - 1]
            if not _is_cjk(ch) or ch in _DISTRICT_STOP:
                break
            start -= 1
        return start

    def _acceptable(self, token: str, name: str, suffix: str) -> bool:
        if not name:
            return suffix in self.bare
        # 攸县, 沛县: one-character county names are common; one-character 区/市 names are not.
        if len(name) < (1 if suffix == "县" else 2) or name in self.ignore or token in self.ignore:
            return False
        # 大超市 / 准备上市: the candidate ends with a longer non-district word.
        longer = self._longer_ignored.get(suffix)
        if longer is None:
            longer = tuple(word for word in self.ignore if len(word) > len(suffix))
        return not token.endswith(longer)


# Characters that end a district name when walking back from its suffix (verbs and particles
# that precede a place: 想在/落户/位于/选址/靠近 ...).
_DISTRICT_STOP = frozenset("在到于去想要找租买是的或和及近靠边好先望向户址虑搬省市县个家们")
