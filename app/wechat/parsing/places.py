"""Districts: configured lists of names and aliases, or a suffix recogniser (区/县/市)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from app.wechat.parsing.district_set import DistrictSet
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import fold


class DistrictListError(ValueError):
    """A district list name or file that cannot be read."""


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


# Words that put a later place instead of the first (checked after the first).
_CHANGE_TO = re.compile(
    r"(?:改成|换成|改到|换到|改为|还是换|better|rather|instead|change(?:d)? to|switch to)"
    r"\s*(?:to\s+)?"
)


def _extract_district(st: _State) -> None:
    found = st.district_set.find(st.work)
    change = _CHANGE_TO.search(st.work, found[2]) if found else None
    if change:
        # "Shifeng… oh wait, better Tianyuan", "芦淞…改成天元": the place said instead
        later = st.district_set.find(st.work[change.end() : change.end() + 16])
        if later:
            found = (later[0], change.end() + later[1], change.end() + later[2])
    if found:
        canonical, start, end = found
        st.put("district", canonical, start, end)
        st.mask(start, end)
