"""The held-out evaluation (app/evaluate.py): matching and WeChat conversations judged
through ParkLead's public HTTP interfaces on sets written apart from the code, in a process
of its own (it starts its own ParkLead on SQLite and serves it over HTTP).

Only aggregate figures of the held-out sets are read here; the scoring itself is checked on
small sets written in this file, with a label known to be wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import evaluate

ROOT = Path(__file__).resolve().parents[2]


def _evaluate(*args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "app.evaluate", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


def _ratio(score: dict[str, int]) -> float:
    return score["right"] / score["total"] if score["total"] else 1.0


FACTORY = {"kind": "factory", "deals": ["rent"], "district": "芦淞区", "area_m2": 5000}


def test_matching_scoring_counts_each_label_and_a_wrong_label_against_it(tmp_path: Path):
    scenario = {
        "id": "t1",
        "style": "kind",
        "listings": {
            "fits": {**FACTORY, "title": "合适的厂房"},
            "office": {**FACTORY, "kind": "office", "title": "写字楼"},
            "let": {**FACTORY, "title": "已出租的厂房", "status": "let"},
            "small": {**FACTORY, "title": "小厂房", "area_m2": 800},
        },
        "lead": {"need_type": "factory", "deal": "rent", "area_min_m2": 4000,
                 "area_max_m2": 6000, "phone": "13700001111", "contact_name": "测试"},
        # "small" is labelled included on purpose: ParkLead rightly excludes it.
        "expect": {"excluded": ["office", "let"], "included": ["fits", "small"],
                   "order": [["fits", "small"]]},
    }  # fmt: skip
    land = {
        "id": "t2",
        "style": "land_thresholds",
        "listings": {
            "plot": {"kind": "land", "deals": ["sale"], "title": "工业地块", "district": "天元区",
                     "area_m2": 20000, "min_tax_wan_per_mu": 20,
                     "min_investment_wan_per_mu": 300},
        },
        # 30 亩: 900 万 tax is 30 万/亩 (met), 6,000 万 investment 200 万/亩 (below 300).
        "lead": {"need_type": "land", "deal": "buy", "area_min_m2": 20000, "area_max_m2": 20000,
                 "tax_wan": 900, "investment_wan": 6000, "phone": "13700002222",
                 "contact_name": "测试"},
        "expect": {"included": ["plot"], "land_tax": "met", "land_investment": "below"},
    }  # fmt: skip
    [report] = _evaluate("matching", "--file", str(_write(tmp_path / "m.jsonl", [scenario, land])))

    assert report["items"] == 2
    assert report["errors"] == 0
    kinds = report["per_kind"]
    assert kinds["excluded"] == {"right": 2, "total": 2}
    assert kinds["included"] == {"right": 2, "total": 3}  # the wrong label
    assert kinds["order"] == {"right": 0, "total": 1}  # "small" is absent, so no order
    assert kinds["land_tax"] == {"right": 1, "total": 1}
    assert kinds["land_investment"] == {"right": 1, "total": 1}
    assert report["overall"] == {"right": 6, "total": 8}


def test_conversation_scoring_reads_the_lead_through_the_api(tmp_path: Path):
    rows = [
        {"id": "t1", "style": "stepwise", "turns": ["想租个厂房", "5000平左右", "13700003333"],
         "expect": {"lead": {"need_type": "factory", "area_min_m2": 5000, "phone":
                             "+8613700003333", "district": "芦淞区"},
                    "asks_phone_after_turn": 1}},
        {"id": "t2", "style": "no_phone", "turns": ["你好", "有仓库出租吗"],
         "expect": {"lead": None, "asks_phone_after_turn": None}},
    ]  # fmt: skip
    [report] = _evaluate("conversations", "--file", str(_write(tmp_path / "c.jsonl", rows)))

    kinds = report["per_kind"]
    assert kinds["need_type"] == kinds["area_min_m2"] == kinds["phone"] == {"right": 1, "total": 1}
    assert kinds["district"] == {"right": 0, "total": 1}  # never said: a wrong label
    assert kinds["asks_phone"] == {"right": 1, "total": 1}
    assert kinds["no_lead"] == {"right": 1, "total": 1}


def test_misses_of_a_set_of_your_own_show_the_talk_and_the_values(tmp_path: Path):
    rows = [
        {"id": "t9", "style": "stepwise", "turns": ["想租个仓库", "两千平", "13700004444"],
         "expect": {"lead": {"need_type": "warehouse", "district": "荷塘区",
                             "phone": "+8613700004444"}}},
    ]  # fmt: skip
    [report] = _evaluate("conversations", "--file", str(_write(tmp_path / "c.jsonl", rows)),
                         "--misses")  # fmt: skip
    misses = report["misses"]
    assert [(m["id"], m["decision"], m["expected"], m["got"]) for m in misses] == [
        ("t9", "district", "荷塘区", None)
    ]
    talk = misses[0]["talk"]
    assert talk[0] == "> 想租个仓库"
    assert talk[1].startswith("< ")
    assert "面积" in talk[1]  # the bot's reply, as text: it asked for the area


def test_misses_are_refused_for_the_held_out_sets():
    done = subprocess.run(
        [sys.executable, "-m", "app.evaluate", "conversations", "--misses"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "held-out" in done.stderr
    held_out = evaluate.SETS["conversations"]
    done = subprocess.run(
        [sys.executable, "-m", "app.evaluate", "conversations", "--file", str(held_out),
         "--misses"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2


DEV_CONVERSATIONS = ROOT / "tests" / "wechat" / "dev_conversations"
# 100 % (538/538), 99.8 % (474/475), 99.4 % (681/685), 99.6 % (685/688), 100 % (513/513)
DEV_OVERALL = 0.97


@pytest.mark.parametrize(
    "name",
    ["conversations.jsonl", "session.jsonl", "round2.jsonl", "round3.jsonl", "round4.jsonl"],
)
def test_development_conversations_hold_their_level(name):
    [report] = _evaluate("conversations", "--file", str(DEV_CONVERSATIONS / name), "--misses")
    assert _ratio(report["overall"]) >= DEV_OVERALL, report["misses"]


def test_development_matching_holds_its_level():
    # 100 % (216/216) when a helper who never read the matcher wrote it (tests/listings/dev)
    path = ROOT / "tests" / "listings" / "dev" / "matching_round1.jsonl"
    [report] = _evaluate("matching", "--file", str(path), "--misses")
    assert report["errors"] == 0, report
    assert _ratio(report["overall"]) >= 0.98, report["misses"]


def test_values_compare_numbers_within_one_percent_and_text_exactly():
    assert evaluate.same_value(5000, 5040.0)
    assert not evaluate.same_value(5000, 5100.0)
    assert not evaluate.same_value(5000, None)
    assert evaluate.same_value("芦淞区", "芦淞区 ")
    assert not evaluate.same_value("芦淞区", "天元区")


# --- the held-out sets (aggregate figures only) -----------------------------------------------

# Gates: the figures measured when the sets were first run (docs/listings.md, docs/wechat-bot.md
# "Held-out evaluation"), so that a regression fails. Only the aggregates are read.
MATCHING_OVERALL = 0.98  # 0.99 (198/200)
MATCHING_PER_STYLE = 0.90  # lowest: soft_order 0.909 (20/22)
CONVERSATIONS_OVERALL = 0.97  # 0.988 (320/324); 0.877 (284/324) when the set was first run
CONVERSATIONS_PER_STYLE = 0.88  # lowest: english 0.913 (42/46)


@pytest.fixture(scope="module")
def held_out() -> dict[str, dict[str, Any]]:
    return {report["name"]: report for report in _evaluate()}


def _low_styles(report: dict[str, Any], floor: float) -> dict[str, float]:
    return {k: round(_ratio(v), 3) for k, v in report["per_style"].items() if _ratio(v) < floor}


def test_held_out_matching_holds_its_level(held_out):
    report = held_out["matching"]
    assert report["errors"] == 0, report  # every scenario's listings and lead were accepted
    assert _ratio(report["overall"]) >= MATCHING_OVERALL, report
    assert not _low_styles(report, MATCHING_PER_STYLE), report


def test_held_out_conversations_hold_their_level(held_out):
    report = held_out["conversations"]
    assert _ratio(report["overall"]) >= CONVERSATIONS_OVERALL, report
    assert not _low_styles(report, CONVERSATIONS_PER_STYLE), report
