"""The SVG charts on their own: well-formed, accessible, every number drawn as text, and safe
with any label."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.reports.charts import FunnelStep, Pair, funnel_chart, nice_step, pair_bars, trend_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text") if cls in (t.get("class") or "").split()]


def test_funnel_is_an_accessible_image_with_counts_and_rates():
    steps = [FunnelStep("new", "新线索", 1200, None), FunnelStep("won", "签约", 300, 0.25)]
    root = parse(funnel_chart(steps, title="转化漏斗", empty="—"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-funnel-title chart-funnel-desc"
    assert root.find(f"{NS}title").text == "转化漏斗"
    assert root.find(f"{NS}desc").text == "新线索 1,200; 签约 300 (25.0%)"
    assert texts(root, "value") == ["1,200", "300"]
    assert texts(root, "rate") == ["25.0%"]


def test_labels_are_escaped():
    evil = '<script>alert("x")</script>&'
    svg = pair_bars([Pair("1", evil, 2, 1)], title=evil, series=("a", "b"), empty="—")
    assert "<script>" not in str(svg)
    root = parse(svg)
    assert root.find(f"{NS}title").text == evil


def test_empty_data_says_so():
    root = parse(trend_chart([], title="每周", series=("新增", "签约"), empty="没有线索"))
    assert texts(root, "empty") == ["没有线索"]
    nothing = funnel_chart([FunnelStep("new", "新", 0, None)], title="t", empty="没有线索")
    assert texts(parse(nothing), "empty") == ["没有线索"]


def test_a_year_of_weeks_thins_the_labels_but_keeps_every_number():
    weeks = [Pair(f"2026-{i:02d}", f"W{i}", i * 10, i) for i in range(1, 54)]
    root = parse(trend_chart(weeks, title="t", series=("新增", "签约"), empty="—"))
    assert len(texts(root, "label")) < 53  # not every week is labelled
    assert len(texts(root, "value")) == 0  # bars too narrow for numbers on top...
    titles = [g.find(f"{NS}title").text for g in root.iter(f"{NS}g")]
    assert titles[-1] == "W53: 新增 530, 签约 53"  # ...so each bar's title carries them


def test_agent_bars_show_the_largest_and_say_how_many_are_left_out():
    rows = [Pair(str(i), f"专员{i}", i, i // 2) for i in range(40)]
    root = parse(pair_bars(rows, title="t", series=("新增", "签约"), empty="—", limit=25,
                           more="另有 {n} 位未显示"))  # fmt: skip
    assert len(texts(root, "label")) == 25
    assert texts(root, "label")[0] == "专员39"
    assert texts(root, "more") == ["另有 15 位未显示"]


def test_long_names_are_clipped_with_the_full_name_in_the_title():
    root = parse(pair_bars([Pair("7", "株洲高新区招商服务中心第一专员", 3, 1)], title="t",
                           series=("a", "b"), empty="—"))  # fmt: skip
    assert texts(root, "label") == ["株洲高新区招商服…"]
    assert root.find(f"{NS}g/{NS}title").text.startswith("株洲高新区招商服务中心第一专员")


def test_axis_steps_are_round_numbers():
    steps = [nice_step(v) for v in (0, 3, 7, 40, 130, 999, 12345)]
    assert steps == [1, 1, 2, 10, 50, 500, 5000]
