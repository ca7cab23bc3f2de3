"""A server-rendered SVG line chart of daily rates (no JavaScript, labels escaped here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The palette of the analytics charts.
TEAL, INDIGO, AMBER, PURPLE = "#007d7e", "#261a4b", "#b26200", "#7a4fb5"
RED, GRID, AXIS, TEXT = "#c33b32", "#e4e6ea", "#6b6f76", "#1f2328"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
COLOURS = (TEAL, INDIGO, AMBER, PURPLE)


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    points: tuple[float | None, ...]  # one per day; None = no data that day


def rate_chart(
    days: Sequence[date],
    lines: Sequence[Line],
    *,
    ceiling: float = 1.0,
    threshold: float | None = None,
    title: str = "",
) -> SafeString:
    """Daily rates as lines over ``days`` (y from 0 to ``ceiling``), a dashed red threshold."""
    width, height, left, right, top, bottom = 640, 220, 52, 30, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / max(len(days) - 1, 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - min(max(v / ceiling, 0.0), 1.0))

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" style="{FONT};max-width:{width}px">',
        f'<text x="{left}" y="16" font-size="13" font-weight="600" fill="{TEXT}">'
        f"{escape(title)}</text>",
    ]
    for k in range(5):
        tick = ceiling * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{AXIS}">{_pct(tick)}</text>'
        )
    step = max(1, len(days) // 7)
    for i, day in enumerate(days):
        if i % step == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" '
                f'text-anchor="middle" fill="{AXIS}">{day:%b %d}</text>'
            )
    if threshold is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(threshold):.1f}" '
            f'y2="{y(threshold):.1f}" stroke="{RED}" stroke-dasharray="5 4"/>'
        )
    for n, line in enumerate(lines):
        colour = COLOURS[n % len(COLOURS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(line.points):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        parts.extend(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(s)}"/>'
            for s in segments
            if len(s) > 1
        )
        legend_x = left + n * 170
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="{height - 9}" font-size="11" fill="{TEXT}">'
            f"{escape(line.label)}</text>"
        )
    if not any(v is not None for line in lines for v in line.points):
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" font-size="13" '
            f'text-anchor="middle" fill="{AXIS}">No traffic in this period yet</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _pct(value: float) -> str:
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
