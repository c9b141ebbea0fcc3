"""Word lists of the enquiry parser, as plain text files shipped with the package.

One entry per whitespace-separated word; ``#`` starts a comment. Edit these files to teach the
parser new words; see docs/parser.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def read_words(name: str) -> tuple[str, ...]:
    """The words of ``data/<name>``, in file order."""
    words: list[str] = []
    for line in (_DIR / name).read_text(encoding="utf-8").splitlines():
        words.extend(line.split("#", 1)[0].split())
    return tuple(words)


@cache
def read_sections(name: str) -> dict[str, tuple[str, ...]]:
    """``[section]`` headed word lists of ``data/<name>``."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None:
            current.extend(line.split())
    return {key: tuple(words) for key, words in sections.items()}
