"""Districts: configured lists of names and aliases, or a suffix recogniser (区/县/市)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _is_cjk, fold


class DistrictListError(ValueError):
    """A district list name or file that cannot be read."""


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

    def __post_init__(self) -> None:
        if self.aliases:
            ordered = sorted(self.aliases, key=len, reverse=True)
            self._alias_re = re.compile("|".join(re.escape(a) for a in ordered))
        if self.suffixes:
            ordered = sorted(self.suffixes, key=len, reverse=True)
            self._suffix_re = re.compile("|".join(re.escape(s) for s in ordered))

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
        return not any(len(word) > len(suffix) and token.endswith(word) for word in self.ignore)


# Characters that end a district name when walking back from its suffix (verbs and particles
# that precede a place: 想在/落户/位于/选址/靠近 ...).
_DISTRICT_STOP = frozenset("在到于去想要找租买是的或和及近靠边好先望向户址虑搬省市县个家们")


def _parse_district_file(path: Path, seen: frozenset[Path] = frozenset()) -> DistrictSet:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DistrictListError(f"cannot read district list {path}: {exc}") from exc
    aliases: dict[str, str] = {}
    suffixes: list[str] = []
    ignore: set[str] = set()
    bare: set[str] = set()
    area_code: str | None = None
    for lineno, line in enumerate(raw.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("@"):
            directive, _, rest = line.partition(" ")
            words = [fold(w) for w in rest.split()]
            if directive == "@suffix":
                suffixes.extend(words)
            elif directive == "@ignore":
                ignore.update(words)
            elif directive == "@bare":
                bare.update(words)
            elif directive == "@area_code" and len(words) == 1 and words[0].isdigit():
                area_code = words[0]
            elif directive == "@include" and len(words) == 1:
                other_path = _district_path(rest.strip())
                if other_path in seen:
                    raise DistrictListError(f"{path}:{lineno}: include loop")
                other = _parse_district_file(other_path, seen | {path})
                aliases.update(other.aliases)
                suffixes.extend(other.suffixes)
                ignore.update(other.ignore)
                bare.update(other.bare)
                area_code = area_code or other.area_code
            else:
                raise DistrictListError(f"{path}:{lineno}: unknown directive {line!r}")
            continue
        canonical, sep, rest = line.partition(":")
        canonical = canonical.strip()
        if not sep or not canonical:
            raise DistrictListError(f"{path}:{lineno}: expected 'canonical: alias, alias'")
        aliases[fold(canonical)] = canonical
        for alias in re.split(r"[,，、]", rest):
            alias = alias.strip()
            if alias:
                aliases[fold(alias)] = canonical
    return DistrictSet(
        name=path.stem,
        aliases=aliases,
        suffixes=tuple(dict.fromkeys(suffixes)),
        ignore=frozenset(ignore),
        bare=frozenset(bare),
        area_code=area_code,
    )


_DISTRICT_DIR = Path(__file__).with_name("districts")


def _district_path(name_or_path: str) -> Path:
    """A bare name ("zhuzhou") is a shipped list; anything else is a file path."""
    if re.fullmatch(r"[A-Za-z0-9_\-]+", name_or_path):
        return _DISTRICT_DIR / f"{name_or_path.lower()}.txt"
    return Path(name_or_path)


@lru_cache(maxsize=32)
def load_districts(name_or_path: str) -> DistrictSet:
    """Load a district list by name ("zhuzhou", "generic") or from a file path (cached).

    Raises DistrictListError for a missing or malformed list: that is a settings mistake and
    should surface when the app starts, not while parsing messages.
    """
    return _parse_district_file(_district_path(name_or_path))


def _extract_district(st: _State) -> None:
    found = st.district_set.find(st.work)
    if found:
        canonical, start, end = found
        st.put("district", canonical, start, end)
        st.mask(start, end)
