"""Charts of the ward's report as SVG drawn on the server: no script, nothing from elsewhere.

A chart is an `<svg role="img">` named by its title (aria-label); the page puts the same
numbers in a table next to it for screen readers and for filing. Every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
BAR = "#1f5f99"  # 6.6:1 on white: the bars are told apart from the page
TEXT = "#222222"
GRID = "#767676"


@dataclass(frozen=True)
class Chart:
    """A chart: its title, its data (label, value) in order and the SVG drawn from it."""

    key: str
    title: str
    rows: tuple[tuple[str, float], ...]
    svg: Markup


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


SVG = Markup(
    '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}" '
    'viewBox="0 0 {width} {height}" width="100%" class="report-chart" '
    'font-family="sans-serif" font-size="13">{body}</svg>'
)
LINE = Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>')
RECT = Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>')
TEXT_AT = Markup('<text x="{}" y="{}" text-anchor="{}" fill="{}" font-size="{}">{}</text>')


def _svg(title: str, height: int, body: list[Markup]) -> Markup:
    return SVG.format(title=title, width=WIDTH, height=height, body=Markup("").join(body))


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 13) -> Markup:
    return TEXT_AT.format(x, y, anchor, TEXT, size, text)


def bar_chart(key: str, title: str, rows: list[tuple[str, float]]) -> Chart:
    """Return horizontal bars, one per row, with the label on the left and the value after."""
    label_width, row_height, top = 170, 24, 8
    scale = (WIDTH - label_width - 60) / max([v for _, v in rows] + [1])
    height = top * 2 + row_height * max(len(rows), 1)
    body = [LINE.format(label_width, top, label_width, height - top, GRID)]
    for i, (label, value) in enumerate(rows):
        y = top + i * row_height
        width = round(value * scale, 1)
        body += [
            _text(label_width - 6, y + 16, label, "end"),
            RECT.format(label_width, y + 4, width, row_height - 8, BAR),
            _text(label_width + width + 6, y + 16, _number(value)),
        ]
    return Chart(key, title, tuple(rows), _svg(title, height, body))


def month_chart(key: str, title: str, rows: list[tuple[str, float]]) -> Chart:
    """Return vertical bars, one per month in order, the value above and the month below."""
    height, bottom, top, left = 220, 40, 24, 12
    plot = height - bottom - top
    slot = (WIDTH - 2 * left) / max(len(rows), 1)
    scale = plot / max([v for _, v in rows] + [1])
    base = height - bottom
    body = [LINE.format(left, base, WIDTH - left, base, GRID)]
    for i, (label, value) in enumerate(rows):
        x = left + i * slot
        bar = round(value * scale, 1)
        middle = round(x + slot / 2, 1)
        body += [
            RECT.format(
                round(x + slot * 0.2, 1), round(base - bar, 1), round(slot * 0.6, 1), bar, BAR
            ),
            _text(middle, round(base - bar - 6, 1), _number(value), "middle"),
            _text(middle, base + 18, label, "middle", 11),
        ]
    return Chart(key, title, tuple(rows), _svg(title, height, body))
