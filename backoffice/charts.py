"""Server-rendered SVG bar charts for the back-office dashboard.

Inline SVG needs no JavaScript, no CDN and no chart library, prints and screenshots as it is,
and is escaped like any other template output. The two shapes the dashboard needs — columns
over time and one stacked bar per row — are small enough to draw by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# viewBox widths close to the rendered size, so text keeps its size (max-width stops upscaling)
COLUMN_CHART_WIDTH = 520
ROWS_CHART_WIDTH = 960
FONT_SIZE = 11
GRID_LINES = 4
LABEL_COLUMN = 180  # room for region names left of the stacked bars
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ step count ≥ ``value`` that splits into grid lines."""
    if value <= GRID_LINES:
        return GRID_LINES
    magnitude = 10 ** math.floor(math.log10(value / GRID_LINES))
    for step in (1, 2, 5, 10):
        if step * magnitude * GRID_LINES >= value:
            return int(step * magnitude * GRID_LINES)
    return int(10 * magnitude * GRID_LINES)  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _legend(series: Sequence[tuple[str, str]]) -> SafeString:
    items = format_html_join(
        "",
        '<li><span class="swatch" style="background:{}"></span>{}</li>',
        ((colour, name) for name, colour in series),
    )
    return format_html('<ul class="chart-legend">{}</ul>', items)


def _svg(width: int, height: int, title: str, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg class="bo-chart" viewBox="0 0 {} {}" style="max-width:{}px" role="img" '
        'aria-label="{}" font-size="{}">{}</svg>',
        width,
        height,
        width,
        title,
        FONT_SIZE,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )


def _empty(width: float, height: float, top: float) -> SafeString:
    return format_html(
        '<text x="{}" y="{}" text-anchor="middle" class="chart-empty">{}</text>',
        _fmt(width / 2),
        _fmt(top + height / 2),
        _("No data in this period"),
    )


def column_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_every: int = 1,
    height: int = 200,
    width: int = COLUMN_CHART_WIDTH,
) -> SafeString:
    """Stacked columns, one per label (a week, an hour), with a light grid and a legend."""
    left, right, top, bottom = 34, 6, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ceiling = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.72
    parts: list[SafeString] = []
    for line in range(GRID_LINES + 1):
        value = ceiling * line / GRID_LINES
        y = top + plot_h - plot_h * line / GRID_LINES
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"/>'
                '<text x="{}" y="{}" text-anchor="end" class="chart-axis">{}</text>',
                left,
                width - right,
                _fmt(y),
                _fmt(y),
                left - 5,
                _fmt(y + FONT_SIZE / 3),
                f"{value:g}",
            )
        )
    for index, label in enumerate(labels):
        x = left + slot * index + (slot - bar_w) / 2
        base: float = top + plot_h
        for s in series:
            value = s.values[index]
            if not value:
                continue
            bar_h = plot_h * value / ceiling
            base -= bar_h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" rx="1.5" fill="{}">'
                    "<title>{} · {}: {}</title></rect>",
                    _fmt(x),
                    _fmt(base),
                    _fmt(bar_w),
                    _fmt(bar_h),
                    s.colour,
                    label,
                    s.name,
                    value,
                )
            )
        if (len(labels) - 1 - index) % label_every == 0:  # the latest always labelled
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="chart-axis">{}</text>',
                    _fmt(left + slot * index + slot / 2),
                    height - 6,
                    label,
                )
            )
    if not any(totals):
        parts.append(_empty(width, plot_h, top))
    svg = _svg(width, height, title, parts)
    return svg + _legend([(s.name, s.colour) for s in series])


def stacked_rows(
    *,
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    segments: Sequence[tuple[str, str]],
    width: int = ROWS_CHART_WIDTH,
) -> SafeString:
    """One horizontal bar per row (a region), split into coloured segments (the phases)."""
    top, right = 6, 44
    height = top * 2 + ROW_HEIGHT * max(len(rows), 1)
    plot_w = width - LABEL_COLUMN - right
    largest = max((sum(values) for _, values in rows), default=0)
    parts: list[SafeString] = []
    for index, (label, values) in enumerate(rows):
        y = top + ROW_HEIGHT * index
        short = label if len(label) <= 27 else label[:26] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart-axis">'
                "<title>{}</title>{}</text>",
                LABEL_COLUMN - 8,
                _fmt(y + ROW_HEIGHT / 2 + FONT_SIZE / 3),
                label,
                short,
            )
        )
        x = float(LABEL_COLUMN)
        for (name, colour), value in zip(segments, values, strict=True):
            if not value:
                continue
            bar_w = plot_w * value / largest
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} · {}: {}</title></rect>",
                    _fmt(x),
                    _fmt(y + 4),
                    _fmt(bar_w),
                    ROW_HEIGHT - 8,
                    colour,
                    label,
                    name,
                    value,
                )
            )
            x += bar_w
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-total">{}</text>',
                _fmt(x + 6),
                _fmt(y + ROW_HEIGHT / 2 + FONT_SIZE / 3),
                sum(values),
            )
        )
    if not largest:
        parts.append(_empty(width, height - top * 2, top))
    svg = _svg(width, height, title, parts)
    return svg + _legend(list(segments))
