"""Server-rendered SVG charts: a bar chart and a line chart as pure functions of their figures.

No JavaScript: the page stays light on a tablet and prints as it looks. Each chart carries a <title> and
<desc> (read by screen readers, role="img"); the page shows the same figures in a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 28, 16, 48
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int | float]


def nice_maximum(value: float) -> int:
    """The axis top: the smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def grid_steps(top_value: int) -> int:
    """How many gridline intervals: as many as possible (up to 5) while every gridline stays a whole number."""
    return next(n for n in (5, 4, 2, 1) if top_value % n == 0)


def _grid(top_value: int) -> list[str]:
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    steps = grid_steps(top_value)
    for n in range(steps + 1):
        value = top_value * n // steps
        y = TOP + plot_height - plot_height * n / steps
        label = f"{value:,}".replace(",", ".")  # Vietnamese thousands separator
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{label}</text>')
    return parts


def _x_labels(labels: Sequence[str], centres: Sequence[float]) -> list[str]:
    # At most ~12 labels fit under the axis; show every k-th one (the table below has them all).
    step = max(1, -(-len(labels) // 12))
    return [
        f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, centres, strict=True))
        if i % step == 0
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = LEFT
    for i, item in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{HEIGHT - 8}" font-size="12">{escape(item.name)}</text>')
        x += 24 + 8 * len(item.name)
    return parts


def _frame(title: str, description: str, body: list[str], test_id: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart" '
        f'data-testid="{escape(test_id)}" aria-labelledby="{escape(test_id)}-title {escape(test_id)}-desc">'
        f'<title id="{escape(test_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(test_id)}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _describe(labels: Sequence[str], series: Sequence[Series]) -> str:
    return "; ".join(
        f"{item.name}: " + ", ".join(f"{label} {value:g}" for label, value in zip(labels, item.values, strict=True))
        for item in series
    )


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, test_id: str = "bar-chart") -> Markup:
    """Grouped vertical bars, one group per label, one bar per series."""
    top_value = nice_maximum(max((v for s in series for v in s.values), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    body = _grid(top_value)
    for i in range(len(labels)):
        for j, item in enumerate(series):
            value = item.values[i]
            height = plot_height * value / top_value
            x = LEFT + slot * i + slot * 0.1 + bar * j
            body.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_height - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(labels[i])} · {escape(item.name)}: '
                f"{value:g}</title></rect>"
            )
    body += _x_labels(labels, [LEFT + slot * (i + 0.5) for i in range(len(labels))])
    body += _legend(series)
    return _frame(title, _describe(labels, series), body, test_id)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, test_id: str = "line-chart") -> Markup:
    """One polyline per series over evenly spaced labels (days), with a dot per value."""
    top_value = nice_maximum(max((v for s in series for v in s.values), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(labels) - 1, 1)
    xs = [LEFT + step * i if len(labels) > 1 else LEFT + plot_width / 2 for i in range(len(labels))]
    body = _grid(top_value)
    for j, item in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        points = [(x, TOP + plot_height - plot_height * v / top_value) for x, v in zip(xs, item.values, strict=True)]
        body.append(
            '<polyline fill="none" stroke-width="2" stroke="{}" points="{}"/>'.format(
                colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            )
        )
        body += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(label)} · '
            f"{escape(item.name)}: {value:g}</title></circle>"
            for (x, y), label, value in zip(points, labels, item.values, strict=True)
        ]
    body += _x_labels(labels, xs)
    body += _legend(series)
    return _frame(title, _describe(labels, series), body, test_id)
