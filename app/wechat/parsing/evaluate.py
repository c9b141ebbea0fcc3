"""Field accuracy of the enquiry parser on labelled sets, per field and per style.

    .venv/bin/python -m app.wechat.parsing.evaluate            # dev and held-out sets
    .venv/bin/python -m app.wechat.parsing.evaluate --misses   # + the development sets' misses

Accuracy (docs/parser.md, evaluation): for each enquiry, every field that is labelled *or*
parsed is one decision. It is right when the field is both labelled and parsed with the same
value (numbers within 1%, text exactly, after folding full-width forms); a labelled field the
parser missed, a wrong value, and a field the parser found that the label does not list are
each one wrong decision. An enquiry labelled ``{}`` that the parser leaves empty counts as one
right decision (nothing to find, nothing found). On one-line questions (style "question")
``question_topic`` (app/wechat/parsing/questions.py) is one more field, scored the same way.

The held-out set (tests/wechat/heldout.jsonl) was written by someone who never saw the rules;
its misses are never printed, only its aggregate figures, so nobody tunes rules on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.wechat.parsing import load_districts, parse_enquiry
from app.wechat.parsing.questions import question_topic
from app.wechat.parsing.result import ParseResult
from app.wechat.parsing.text import fold
from app.wechat.parsing.timeline import normalise_timeline

LABELLED_DIR = Path(__file__).resolve().parents[3] / "tests" / "wechat"
SETS = {
    "dev": LABELLED_DIR / "dev.jsonl",
    "heldout": LABELLED_DIR / "heldout.jsonl",
    # 150 enquiries a helper wrote without reading the parser (a development set since)
    "round6": LABELLED_DIR / "dev_round6.jsonl",
    # 150 more from another such helper (dev_round7.md), partly worked from so far
    "round7": LABELLED_DIR / "dev_round7.jsonl",
    # 150 more from a third such helper (dev_round8.md)
    "round8": LABELLED_DIR / "dev_round8.jsonl",
    # 120 more from a fourth (dev_round9.md)
    "round9": LABELLED_DIR / "dev_round9.jsonl",
}
DISTRICTS = "zhuzhou"  # the labelled sets are written for the Zhuzhou office
NOTHING = "(nothing)"  # the pseudo-field of an enquiry labelled {}


def same_value(expected: object, got: object) -> bool:
    """Numbers within 1%, booleans and text exactly."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        a, b = float(expected), float(got)
        return abs(a - b) <= 0.01 * max(abs(a), abs(b))
    return expected == got


def same_timeline(expected: object, got: object, source: str | None) -> bool:
    """A timeline labelled either way: normalised (dev: "3个月内") or in the text's own words
    (held-out: "三个月之内"). Right when the label is the parsed value, the exact words the
    parser read it from, or a phrase that normalises to the parsed value (with or without a
    final 前, "by")."""
    if not isinstance(expected, str) or not isinstance(got, str):
        return same_value(expected, got)
    if expected == got or (source is not None and fold(expected) == fold(source)):
        return True
    # "Q2 2027" and "by Q2 2027", "年底" and "年底前": the same deadline, with or without "by".
    normalised = normalise_timeline(expected)
    return normalised is not None and normalised.removesuffix("前") == got.removesuffix("前")


@dataclass
class Score:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += ok

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Report:
    name: str
    enquiries: int = 0
    overall: Score = field(default_factory=Score)
    per_field: dict[str, Score] = field(default_factory=dict)
    per_style: dict[str, Score] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _same(name: str, expected: object, got: object, parsed: ParseResult) -> bool:
    if name == "timeline":
        return same_timeline(expected, got, parsed.fields[name].source)
    return same_value(expected, got)


def score(name: str, rows: Iterable[dict]) -> Report:
    districts = load_districts(DISTRICTS)
    report = Report(name)
    for row in rows:
        report.enquiries += 1
        expected = dict(row.get("expected") or {})
        parsed = parse_enquiry(row["text"], districts)
        got = parsed.as_dict()
        style = row.get("style") or "unstyled"
        if style == "question":
            topic = question_topic(row["text"])
            if topic is not None:
                got["question_topic"] = topic
        else:
            expected.pop("question_topic", None)  # labelled on one-line questions only
        decisions = [
            (
                name,
                name in expected and name in got and _same(name, expected[name], got[name], parsed),
            )
            for name in sorted(set(expected) | set(got))
        ]
        if not decisions:
            decisions = [(NOTHING, True)]
        for field_name, ok in decisions:
            report.overall.add(ok)
            report.per_field.setdefault(field_name, Score()).add(ok)
            report.per_style.setdefault(style, Score()).add(ok)
            if not ok:
                report.misses.append(
                    f"[{style}] {row['text']!r}\n    {field_name}: expected "
                    f"{expected.get(field_name, '—')!r}, got {got.get(field_name, '—')!r}"
                )
    return report


def render(report: Report, *, misses: bool) -> str:
    o = report.overall
    lines = [
        f"{report.name}: {o.right}/{o.total} fields = {o.accuracy:.1%} "
        f"({report.enquiries} enquiries)",
        "  per style:",
    ]
    for style, s in sorted(report.per_style.items()):
        lines.append(f"    {style:14} {s.right:4}/{s.total:<4} {s.accuracy:6.1%}")
    lines.append("  per field:")
    for name, s in sorted(report.per_field.items()):
        lines.append(f"    {name:18} {s.right:4}/{s.total:<4} {s.accuracy:6.1%}")
    if misses and report.misses:
        lines.append("  misses:")
        lines.extend("    " + m for m in report.misses)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the development sets' misses")
    args = parser.parse_args(argv)
    for name, path in SETS.items():
        if not path.exists():
            print(f"{name}: {path} not found")
            continue
        report = score(name, load(path))
        # Held-out misses are never shown: see the module's docstring.
        print(render(report, misses=args.misses and name != "heldout"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
