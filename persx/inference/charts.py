"""The reliability chart of an inference model, as server-rendered SVG (no JavaScript).

One bar per probability bin: its height is the share of held-out visitors the model got
right, the dot is the bin's mean predicted probability on the x axis, and the dashed
diagonal is perfect calibration. The number above each bar is the bin's visitor count.
Same look as the measurement charts (persx/analytics/charts.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from persx.engine.learning.calibration import ReliabilityBin

TEAL = "#007d7e"
INDIGO = "#261a4b"
GRID = "#e4e6ea"
AXIS = "#6b6f76"
TEXT = "#1f2328"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def reliability_chart(bins: Sequence[ReliabilityBin], title: str = "") -> SafeString:
    size, left, top, bottom, right = 360, 56, 28, 48, 20
    width, height = left + size + right, top + size + bottom

    def x(v: float) -> float:
        return left + v * size

    def y(v: float) -> float:
        return top + (1 - v) * size

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" style="{FONT}" '
        f'aria-label="{escape(title or "Reliability chart")}" data-testid="reliability-chart">'
    ]
    for i in range(6):
        v = i / 5
        parts.append(
            f'<line x1="{x(0)}" y1="{y(v):.1f}" x2="{x(1)}" y2="{y(v):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 8}" y="{y(v) + 4:.1f}" font-size="11" fill="{AXIS}" '
            f'text-anchor="end">{v:.1f}</text>'
            f'<text x="{x(v):.1f}" y="{top + size + 16}" font-size="11" fill="{AXIS}" '
            f'text-anchor="middle">{v:.1f}</text>'
        )
    parts.append(
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="{AXIS}" '
        'stroke-dasharray="5 4"/>'
    )
    for b in bins:
        x0, x1 = x(b.lower) + 2, x(b.upper) - 2
        parts.append(
            f'<rect x="{x0:.1f}" y="{y(b.accuracy):.1f}" width="{x1 - x0:.1f}" '
            f'height="{y(0) - y(b.accuracy):.1f}" fill="{TEAL}" fill-opacity="0.28" '
            f'stroke="{TEAL}" data-testid="reliability-bin" data-count="{b.count}">'
            f"<title>{b.lower:.1f}–{b.upper:.1f}: {b.count} visitors, mean probability "
            f"{b.mean_confidence:.2f}, right {b.accuracy:.2f}</title></rect>"
            f'<circle cx="{x(b.mean_confidence):.1f}" cy="{y(b.accuracy):.1f}" r="4" '
            f'fill="{INDIGO}"/>'
            f'<text x="{(x0 + x1) / 2:.1f}" y="{y(b.accuracy) - 6:.1f}" font-size="10" '
            f'fill="{TEXT}" text-anchor="middle">{b.count}</text>'
        )
    parts.append(
        f'<text x="{x(0.5)}" y="{height - 10}" font-size="12" fill="{TEXT}" '
        'text-anchor="middle">Predicted probability (top industry)</text>'
        f'<text transform="translate(14 {y(0.5)}) rotate(-90)" font-size="12" fill="{TEXT}" '
        'text-anchor="middle">Share right</text>'
    )
    if not bins:
        parts.append(
            f'<text x="{x(0.5)}" y="{y(0.5)}" font-size="13" fill="{AXIS}" '
            'text-anchor="middle">No held-out visitors yet</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
