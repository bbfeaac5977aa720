"""Charts of the supervision dashboard, drawn on the server as inline SVG.

No JavaScript and no CDN (the portal loads nothing from another host): each function returns
an ``<svg>`` string that scales with its ``viewBox``. Every label is escaped here, because the
markup is marked safe for the template. Colours come from classes in static/css/site.css, with
presentation attributes as a fallback. The numbers are drawn, never computed: the figures come
from services.dashboard.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 480
HEIGHT = 240
TOP, BOTTOM, LEFT = 40, 38, 34
COLOURS = {"bar-filed": "#78909c", "bar-resolved": "#2e7d32", "line-rate": "#6a1b9a"}


@dataclass(frozen=True)
class Series:
    """One set of values: bars (counts) or, for ``line``, rates between 0 and 1 (None: no
    value that week, the line breaks)."""

    name: str
    values: Sequence
    css: str


def _colour(series: Series) -> str:
    return COLOURS.get(series.css, "#b71c1c")


def _axis_step(value: float) -> int:
    """A round step (1, 2, 5, 10, 20, 25, 50 …) such that four steps reach ``value``."""
    quarter = max(value, 1) / 4
    power = 10 ** math.floor(math.log10(quarter)) if quarter >= 1 else 1
    for step in (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10):
        if quarter <= step * power:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    categories: Sequence[str],
    bars: Sequence[Series],
    *,
    title: str,
    line: Series | None = None,
    unit: str = "件",
) -> SafeString:
    """Grouped bars, one group per category, with a count axis on the left; ``line`` adds a
    rate (0–100 %) on the right axis. ``title`` is the chart's accessible name."""
    right = 40 if line else 12
    plot_w = WIDTH - LEFT - right
    plot_h = HEIGHT - TOP - BOTTOM
    base_y = TOP + plot_h
    count = max(len(categories), 1)
    slot = plot_w / count
    step = _axis_step(max((v for s in bars for v in s.values), default=0))
    top = step * 4
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="11" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    # Legend along the top.
    x = LEFT
    for series in [*bars, *([line] if line else [])]:
        y = 12
        if series is line:
            out.append(
                f'<line class="{escape(series.css)}" x1="{x}" y1="{y}" x2="{x + 14}" y2="{y}" '
                f'stroke="{_colour(series)}" stroke-width="2"/>'
            )
        else:
            out.append(
                f'<rect class="{escape(series.css)}" x="{x}" y="{y - 5}" width="10" height="10" '
                f'fill="{_colour(series)}"/>'
            )
        out.append(
            f'<text class="chart-label" x="{x + 17}" y="{y + 4}">{escape(series.name)}</text>'
        )
        x += 30 + 12 * len(series.name)
    # Grid and the count axis: four steps of the rounded maximum.
    for tick in range(5):
        y = base_y - plot_h * tick / 4
        out.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{_num(y)}" x2="{LEFT + plot_w}" '
            f'y2="{_num(y)}" stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text class="chart-axis" x="{LEFT - 4}" y="{_num(y + 4)}" '
            f'text-anchor="end">{step * tick}</text>'
        )
        if line:
            out.append(
                f'<text class="chart-axis" x="{LEFT + plot_w + 4}" y="{_num(y + 4)}">'
                f"{tick * 25}%</text>"
            )
    out.append(
        f'<text class="chart-axis" x="{LEFT - 4}" y="{TOP - 8}" text-anchor="end">'
        f"{escape(unit)}</text>"
    )
    # Bars, side by side in each slot, with their value above them.
    width = slot * 0.8 / max(len(bars), 1)
    for i, series in enumerate(bars):
        fill = _colour(series)
        for j, value in enumerate(series.values):
            x = LEFT + slot * j + slot * 0.1 + width * i
            h = plot_h * value / top
            out.append(
                f'<rect class="{escape(series.css)}" x="{_num(x)}" y="{_num(base_y - h)}" '
                f'width="{_num(width)}" height="{_num(h)}" fill="{fill}">'
                f"<title>{escape(categories[j])} {escape(series.name)}：{value}</title></rect>"
            )
            if value:
                out.append(
                    f'<text class="chart-value" x="{_num(x + width / 2)}" '
                    f'y="{_num(base_y - h - 3)}" text-anchor="middle">{value}</text>'
                )
    # The rate as a line on the right axis; a week without a value breaks it.
    if line:
        segment: list[str] = []
        segments = [segment]
        for j, rate in enumerate(line.values):
            if rate is None:
                segment = []
                segments.append(segment)
                continue
            x, y = LEFT + slot * (j + 0.5), base_y - plot_h * rate
            segment.append(f"{_num(x)},{_num(y)}")
            out.append(
                f'<circle class="{escape(line.css)}" cx="{_num(x)}" cy="{_num(y)}" r="3" '
                f'fill="{_colour(line)}"><title>{escape(categories[j])} {escape(line.name)}：'
                f"{_num(rate * 100)}%</title></circle>"
            )
        for points in segments:
            if len(points) > 1:
                out.append(
                    f'<polyline class="{escape(line.css)}" points="{" ".join(points)}" '
                    f'fill="none" stroke="{_colour(line)}" stroke-width="2"/>'
                )
    # Category labels under the axis.
    out.append(
        f'<line class="chart-baseline" x1="{LEFT}" y1="{base_y}" x2="{LEFT + plot_w}" '
        f'y2="{base_y}" stroke="#888" stroke-width="1"/>'
    )
    for j, label in enumerate(categories):
        # With many categories every other label is "minor", hidden on a narrow screen; the
        # last one (the current week) is always shown.
        minor = " chart-minor" if len(categories) > 8 and (len(categories) - 1 - j) % 2 else ""
        out.append(
            f'<text class="chart-label{minor}" x="{_num(LEFT + slot * (j + 0.5))}" '
            f'y="{base_y + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above went through escape()


def trend_chart(weeks: list[dict]) -> SafeString:
    """services.dashboard.weekly_trend as bars (filed, resolved) and a line (on-time rate)."""
    return bar_chart(
        [f"{w['week'].month}/{w['week'].day}" for w in weeks],
        [
            Series("提交件数", [w["filed"] for w in weeks], "bar-filed"),
            Series("办结件数", [w["resolved"] for w in weeks], "bar-resolved"),
        ],
        line=Series("按时办结率", [w["on_time_rate"] for w in weeks], "line-rate"),
        title="近12周每周提交、办结件数和按时办结率",
    )


def distribution_chart(buckets: list[dict]) -> SafeString:
    """services.dashboard.resolve_time_distribution as bars, one per bucket of working days."""
    labels = [
        f"{b['low']}–{b['high']}" if b["high"] is not None else f"{b['low']}+" for b in buckets
    ]
    return bar_chart(
        labels,
        [Series("办结件数", [b["count"] for b in buckets], "bar-resolved")],
        title="办结用时分布（工作日）",
    )
