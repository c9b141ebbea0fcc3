"""Server-side SVG charts for the reports page: no script, no CDN, readable in Chinese.

Each chart is an inline `<svg role="img">` with a `<title>` and a `<desc>` that says the
numbers in words (screen readers), and every number also drawn as `<text>` (people, and tests
that read the SVG as XML). Callers pass labels already translated; everything is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif"
ACCENT = "#0b6e4f"
LIGHT = "#9cc9b4"
INK = "#1d2621"
MUTED = "#5f6b66"
GRID = "#dfe5e2"


@dataclass(frozen=True, slots=True)
class FunnelStep:
    key: str  # stage value, e.g. "site_visit" (data-key in the SVG)
    label: str
    count: int
    rate: float | None  # share of the previous stage that reached this one


@dataclass(frozen=True, slots=True)
class Pair:
    """One group of a two-series bar chart (created vs won)."""

    key: str
    label: str
    first: int
    second: int


def _num(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attrs(**attrs: object) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not None
    )


def _text(x: float, y: float, content: str, **attrs: object) -> str:
    return f"<text{_attrs(x=f'{x:.1f}', y=f'{y:.1f}', **attrs)}>{escape(content)}</text>"


def _rect(x: float, y: float, w: float, h: float, **attrs: object) -> str:
    return f"<rect{_attrs(x=f'{x:.1f}', y=f'{y:.1f}', width=f'{max(w, 0):.1f}', height=f'{max(h, 0):.1f}', **attrs)}/>"  # noqa: E501


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg"'
        f"{_attrs(id=chart_id, class_='chart', viewBox=f'0 0 {width} {height}', width='100%')}"
        f"{_attrs(role='img', aria_labelledby=f'{chart_id}-title {chart_id}-desc')}"
        f"{_attrs(font_family=FONT, font_size=13, fill=INK)}"
        f' preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every part escaped above


def _empty(chart_id: str, title: str, message: str) -> Markup:
    body = [_text(20, 40, message, class_="empty", fill=MUTED)]
    return _svg(chart_id, 640, 70, title, message, body)


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round axis step (1, 2 or 5 times a power of ten) giving about `ticks` gridlines."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(factor * power, 1)
    return 10 * power  # pragma: no cover - the loop always returns


def funnel_chart(
    steps: Sequence[FunnelStep], *, title: str, empty: str, chart_id: str = "chart-funnel"
) -> Markup:
    """Centred bars, one per stage, widths relative to the first stage; count and the
    stage-to-stage rate beside each bar."""
    if not steps or steps[0].count == 0:
        return _empty(chart_id, title, empty)
    width, label_w, value_w, row_h, top = 720, 110, 130, 34, 10
    bar_area = width - label_w - value_w
    widest = max(s.count for s in steps) or 1
    body = []
    for i, step in enumerate(steps):
        y = top + i * row_h
        w = max(bar_area * step.count / widest, 2 if step.count else 0)
        x = label_w + (bar_area - w) / 2
        shade = ACCENT if i >= len(steps) - 3 else LIGHT
        rate = "" if i == 0 else _percent(step.rate)
        body.append(f'<g class="step"{_attrs(data_key=step.key)}>')
        body.append(f"<title>{escape(step.label)}: {_num(step.count)} {escape(rate)}</title>")
        body.append(_text(label_w - 8, y + 21, step.label, class_="label", text_anchor="end"))
        body.append(_rect(x, y + 4, w, row_h - 8, class_="bar", fill=shade, rx=3))
        body.append(
            _text(width - value_w + 8, y + 21, _num(step.count), class_="value",
                  data_key=step.key, font_weight="600")
        )  # fmt: skip
        if rate:
            body.append(
                _text(width - value_w + 64, y + 21, rate, class_="rate", data_key=step.key,
                      fill=MUTED)
            )  # fmt: skip
        body.append("</g>")
    desc = "; ".join(
        f"{s.label} {_num(s.count)}" + ("" if i == 0 else f" ({_percent(s.rate)})")
        for i, s in enumerate(steps)
    )
    return _svg(chart_id, width, top * 2 + row_h * len(steps), title, desc, body)


def _legend(x: float, y: float, series: tuple[str, str]) -> list[str]:
    parts = []
    for i, (name, colour) in enumerate(zip(series, (LIGHT, ACCENT), strict=True)):
        left = x + i * 120
        parts.append(_rect(left, y - 10, 12, 12, fill=colour, rx=2))
        parts.append(_text(left + 18, y, name, class_="legend"))
    return parts


def trend_chart(
    points: Sequence[Pair],
    *,
    title: str,
    series: tuple[str, str],
    empty: str,
    chart_id: str = "chart-trend",
) -> Markup:
    """Grouped vertical bars per week: the first series (created) and the second (won)."""
    if not points:
        return _empty(chart_id, title, empty)
    width, height = 720, 280
    left, right, top, bottom = 44, 12, 34, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(max(p.first, p.second) for p in points)
    step = nice_step(top_value)
    axis_max = max(step * math.ceil(top_value / step), step)
    body = _legend(left, 18, series)
    ticks = int(axis_max / step)
    for t in range(ticks + 1):
        value = t * step
        y = top + plot_h - plot_h * value / axis_max
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')  # fmt: skip
        body.append(_text(left - 6, y + 4, _num(int(value)), class_="tick", text_anchor="end",
                          fill=MUTED, font_size=11))  # fmt: skip
    group_w = plot_w / len(points)
    bar_w = min(22.0, group_w * 0.36)
    show_values = group_w >= 30
    label_every = max(1, math.ceil(44 / group_w))
    for i, point in enumerate(points):
        gx = left + i * group_w + group_w / 2
        body.append(f'<g class="group"{_attrs(data_key=point.key)}>')
        body.append(
            f"<title>{escape(point.label)}: {escape(series[0])} {_num(point.first)}, "
            f"{escape(series[1])} {_num(point.second)}</title>"
        )
        for j, (value, colour, cls) in enumerate(
            ((point.first, LIGHT, "first"), (point.second, ACCENT, "second"))
        ):
            h = plot_h * value / axis_max
            x = gx - bar_w - 1 if j == 0 else gx + 1
            body.append(_rect(x, top + plot_h - h, bar_w, h, class_=f"bar {cls}", fill=colour))
            if show_values:
                body.append(
                    _text(x + bar_w / 2, top + plot_h - h - 4, _num(value), class_=f"value {cls}",
                          data_key=point.key, text_anchor="middle", font_size=11)
                )  # fmt: skip
        if i % label_every == 0:
            body.append(_text(gx, height - bottom + 16, point.label, class_="label",
                              text_anchor="middle", font_size=11))  # fmt: skip
        body.append("</g>")
    desc = "; ".join(
        f"{p.label}: {series[0]} {_num(p.first)}, {series[1]} {_num(p.second)}" for p in points
    )
    return _svg(chart_id, width, height, title, desc, body)


def pair_bars(
    rows: Sequence[Pair],
    *,
    title: str,
    series: tuple[str, str],
    empty: str,
    chart_id: str = "chart-agents",
    limit: int = 25,
    more: str = "",
) -> Markup:
    """Horizontal bars per group (agents): the first series above the second, values at the
    bar ends; the `limit` largest groups by the first series, with `more` saying how many
    were left out ("{n}" is replaced)."""
    if not rows:
        return _empty(chart_id, title, empty)
    shown = sorted(rows, key=lambda r: (-r.first, -r.second, r.label))[:limit]
    width, label_w, right, top, row_h = 720, 130, 60, 30, 38
    plot_w = width - label_w - right
    widest = max(max(r.first, r.second) for r in shown) or 1
    body = _legend(label_w, 18, series)
    for i, row in enumerate(shown):
        y = top + i * row_h
        body.append(f'<g class="group"{_attrs(data_key=row.key)}>')
        body.append(
            f"<title>{escape(row.label)}: {escape(series[0])} {_num(row.first)}, "
            f"{escape(series[1])} {_num(row.second)}</title>"
        )
        body.append(_text(label_w - 8, y + 20, _clip(row.label, 9), class_="label",
                          text_anchor="end"))  # fmt: skip
        for j, (value, colour, cls) in enumerate(
            ((row.first, LIGHT, "first"), (row.second, ACCENT, "second"))
        ):
            w = plot_w * value / widest
            by = y + 5 + j * 14
            body.append(_rect(label_w, by, w, 12, class_=f"bar {cls}", fill=colour, rx=2))
            body.append(_text(label_w + w + 5, by + 10, _num(value), class_=f"value {cls}",
                              data_key=row.key, font_size=11))  # fmt: skip
        body.append("</g>")
    height = top + row_h * len(shown) + 10
    left_out = len(rows) - len(shown)
    if left_out > 0 and more:
        body.append(_text(label_w, height + 4, more.replace("{n}", str(left_out)),
                          class_="more", fill=MUTED, font_size=11))  # fmt: skip
        height += 16
    desc = "; ".join(
        f"{r.label}: {series[0]} {_num(r.first)}, {series[1]} {_num(r.second)}" for r in shown
    )
    return _svg(chart_id, width, height, title, desc, body)
