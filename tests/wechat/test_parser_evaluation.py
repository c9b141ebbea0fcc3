"""The parser's accuracy on enquiries it was not written against (docs/parser.md, evaluation).

The held-out set (heldout.jsonl) was written by someone who never saw the parser. The goal is
95% overall and 90% for every style; the parser reaches 96.3% overall (828/860), so the
held-out gate is 96%: a regression below it fails (docs/parser.md). Only aggregate figures are
printed for it. The development sets (dev.jsonl, and dev_round6.jsonl written by a helper who
never read the parser) are what rules are tuned on.
"""

from __future__ import annotations

import pytest

from app.wechat.parsing import evaluate

OVERALL = 0.95  # the goal (issue 10), and the development set's gate
HELD_OUT_OVERALL = 0.96  # the held-out set stands at 834/860 (97.0 %); a regression fails
ROUND6 = 0.97  # the sixth-round development set (99.1% when its misses were last worked)
ROUND7 = 0.96  # the seventh-round set: 91.4% when first run, 97.4% after two passes
ROUND8 = 0.96  # the eighth-round set: 93.1% when first run, 97.7% after two passes
ROUND9 = 0.94  # the ninth-round set: 91.7% when first run, 95.5% after a first pass
PER_STYLE = 0.90
STYLES = {"voice", "english", "traditional", "advert_form", "formal", "question"}


def _report(name: str) -> evaluate.Report:
    return evaluate.score(name, evaluate.load(evaluate.SETS[name]))


def test_the_development_set_is_large_and_covers_every_style():
    rows = evaluate.load(evaluate.SETS["dev"])
    assert len(rows) >= 75
    assert {row["style"] for row in rows} == STYLES


def test_held_out_accuracy_holds_its_level_and_90_per_style():
    report = _report("heldout")
    table = evaluate.render(report, misses=False)  # never the held-out misses
    print(table)
    assert set(report.per_style) == STYLES, table
    assert report.overall.accuracy >= HELD_OUT_OVERALL, table
    low = {s: f"{v.accuracy:.1%}" for s, v in report.per_style.items() if v.accuracy < PER_STYLE}
    assert not low, table


def test_development_accuracy_is_at_least_95_percent():
    report = _report("dev")
    assert report.overall.accuracy >= OVERALL, evaluate.render(report, misses=True)


@pytest.mark.parametrize(
    ("name", "gate"),
    [("round6", ROUND6), ("round7", ROUND7), ("round8", ROUND8), ("round9", ROUND9)],
)
def test_later_development_sets_hold_their_level(name: str, gate: float) -> None:
    report = _report(name)
    assert report.overall.accuracy >= gate, evaluate.render(report, misses=True)


def test_a_miss_and_a_false_positive_each_count_against_accuracy():
    rows = [
        {"text": "想租5000平厂房", "style": "voice",
         "expected": {"need_type": "factory", "deal": "rent", "area_min_m2": 5000.0,
                      "area_max_m2": 5000.0, "district": "芦淞区"}},
        {"text": "你好", "style": "question", "expected": {}},
    ]  # fmt: skip
    report = evaluate.score("sample", rows)
    assert (report.overall.right, report.overall.total) == (5, 6)  # district missed
    assert report.per_field["district"].accuracy == 0
    assert report.per_field[evaluate.NOTHING].accuracy == 1


def test_the_command_prints_per_style_and_per_field_figures(capsys):
    assert evaluate.main([]) == 0
    out = capsys.readouterr().out
    assert "dev:" in out
    assert "heldout:" in out
    assert "per style:" in out
    assert "misses:" not in out


def test_a_timeline_counts_whether_labelled_normalised_or_in_the_texts_own_words():
    rows = [
        {"text": "三个月之内想租2000平厂房", "style": "voice",
         "expected": {"need_type": "factory", "deal": "rent", "area_min_m2": 2000.0,
                      "area_max_m2": 2000.0, "timeline": label}}
        for label in ("3个月内", "三个月之内", "三個月之內")
    ] + [
        {"text": "三个月之内想租2000平厂房", "style": "voice",
         "expected": {"need_type": "factory", "deal": "rent", "area_min_m2": 2000.0,
                      "area_max_m2": 2000.0, "timeline": "下个月"}},
    ]  # fmt: skip
    report = evaluate.score("sample", rows)
    assert (report.per_field["timeline"].right, report.per_field["timeline"].total) == (3, 4)
