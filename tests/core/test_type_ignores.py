"""The type checker's blind spots are few and explained (README.md, "Testing").

mypy checks ``app/`` and ``tasks/`` in ``make lint`` and refuses an ignore without an error code
(``enable_error_code = ignore-without-code``) or one that no longer silences anything
(``warn_unused_ignores``). What it cannot check is why: every ``# type: ignore[code]`` says on
its own line, in a comment after it, why that line cannot be typed.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORE = re.compile(r"#\s*type:\s*ignore\b")
# "# type: ignore[code, code]  # why: at least a few words"
JUSTIFIED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(?:,\s*[a-z-]+)*\]\s+#\s*\S.{15,}")


def _ignores() -> list[tuple[str, int, str]]:
    found = []
    for folder in ("app", "tasks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.COMMENT and IGNORE.search(token.string):
                    name = str(path.relative_to(ROOT))
                    found.append((name, token.start[0], token.string))
    return found


def test_every_type_ignore_names_its_code_and_says_why() -> None:
    unexplained = [
        f"{name}:{line}: {comment}"
        for name, line, comment in _ignores()
        if not JUSTIFIED.search(comment)
    ]
    assert not unexplained, "\n".join(unexplained)


def test_the_check_tells_a_justified_ignore_from_a_bare_one() -> None:
    assert JUSTIFIED.search("# type: ignore[attr-defined]  # the proxy's own method, untyped")
    assert not JUSTIFIED.search("# type: ignore[attr-defined]")
    assert not JUSTIFIED.search("# type: ignore")
