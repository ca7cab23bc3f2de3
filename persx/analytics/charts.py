"""Server-rendered SVG charts for the admin reports (no JavaScript, no CDN).

- :func:`interval_chart` — one row per segment: the PLI as a dot, its 95% interval as a
  bar, the partially pooled estimate as a hollow diamond; reference lines at 0 and at the
  +15% target.
- :func:`cumulative_chart` — cumulative PLI by day as a line, with the fixed-horizon
  interval as a band and the always-valid interval as dashed edges.

Both return markup that is safe to insert (every label is escaped here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from persx.analytics.report_model import Series
from persx.analytics.wording import percent

TEAL = "#007d7e"
INDIGO = "#261a4b"
GREEN = "#1b7f3b"
RED = "#c33b32"
AMBER = "#b26200"
GRID = "#e4e6ea"
AXIS = "#6b6f76"
TEXT = "#1f2328"
BAND = "#cde8e8"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


@dataclass(frozen=True, slots=True)
class IntervalRow:
    label: str
    lift: float | None
    lower: float | None
    upper: float | None
    pooled: float | None = None
    pooled_lower: float | None = None
    pooled_upper: float | None = None
    note: str = ""  # e.g. "1,204 visitors"
    emphasis: bool = False  # the pooled ("all industries") row


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    span = max(hi - lo, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _range(values: Sequence[float], floor: float, ceiling: float) -> tuple[float, float]:
    finite_values = [v for v in values if math.isfinite(v)]
    lo = min([*finite_values, 0.0, 0.15])
    hi = max([*finite_values, 0.0, 0.15])
    lo, hi = max(lo, floor), min(hi, ceiling)
    pad = (hi - lo) * 0.08 or 0.1
    return max(lo - pad, -1.0), hi + pad


def interval_chart(rows: Sequence[IntervalRow], target: float = 0.15) -> SafeString:
    """A forest plot of PLI per segment."""
    label_w, note_w, plot_w, row_h, top, bottom = 190, 120, 560, 34, 30, 46
    width = label_w + plot_w + note_w
    height = top + row_h * max(len(rows), 1) + bottom
    values = [
        v
        for r in rows
        for v in (r.lift, r.lower, r.upper, r.pooled, r.pooled_lower, r.pooled_upper)
        if _ok(v)
    ]
    lo, hi = _range([v for v in values if v is not None], -1.0, 3.0)

    def x(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return label_w + (clipped - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg class="persx-chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" style="{FONT};max-width:100%;height:auto" '
        f'aria-label="PLI per industry with 95% intervals">',
        f'<rect x="0" y="0" width="{width}" height="{height}" rx="8" fill="#fff"/>',
    ]
    axis_y = top + row_h * max(len(rows), 1)
    for tick in _nice_ticks(lo, hi):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{axis_y}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{tx:.1f}" y="{axis_y + 16}" font-size="11" fill="{AXIS}" '
            f'text-anchor="middle">{escape(percent(tick, 0, signed=True))}</text>'
        )
    zero = x(0.0)
    parts.append(
        f'<line x1="{zero:.1f}" y1="{top - 10}" x2="{zero:.1f}" y2="{axis_y}" '
        f'stroke="{AXIS}" stroke-width="1.5"/>'
    )
    if lo < target < hi:
        tx = x(target)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 10}" x2="{tx:.1f}" y2="{axis_y}" stroke="{GREEN}" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{tx + 4:.1f}" y="{top - 14}" font-size="11" fill="{GREEN}">'
            f"target {escape(percent(target, 0, signed=True))}</text>"
        )
    unbounded = any(_ok(r.lift) and not (_ok(r.lower) and _ok(r.upper)) for r in rows)
    caption = "Personalization Lift Index (PLI) with 95% interval"
    if unbounded:
        caption += " · dashed: too few conversions to bound it yet"
    parts.append(
        f'<text x="{label_w + plot_w / 2:.1f}" y="{axis_y + 36}" font-size="12" fill="{AXIS}" '
        f'text-anchor="middle">{escape(caption)}</text>'
    )
    for i, row in enumerate(rows):
        cy = top + row_h * i + row_h / 2
        if i % 2 == 0:
            parts.append(
                f'<rect x="8" y="{cy - row_h / 2:.1f}" width="{width - 16}" height="{row_h}" '
                f'fill="#f6f7f9" rx="4"/>'
            )
        weight = "600" if row.emphasis else "400"
        parts.append(
            f'<text x="16" y="{cy + 4:.1f}" font-size="13" font-weight="{weight}" '
            f'fill="{TEXT}">{escape(row.label)}</text>'
            f'<text x="{width - 12}" y="{cy + 4:.1f}" font-size="11" fill="{AXIS}" '
            f'text-anchor="end">{escape(row.note)}</text>'
        )
        color = INDIGO if row.emphasis else TEAL
        if _ok(row.lower) and _ok(row.upper):
            assert row.lower is not None
            assert row.upper is not None
            x1, x2 = x(row.lower), x(row.upper)
            good = row.lower > 0
            bad = row.upper < 0
            color = GREEN if good else RED if bad else color
            parts.append(
                f'<line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{cy:.1f}" '
                f'stroke="{color}" stroke-width="5" stroke-linecap="round" opacity="0.35"/>'
            )
            for bound, end in ((row.lower, x1), (row.upper, x2)):
                if bound < lo or bound > hi:  # clipped: an arrow says "continues"
                    direction = -1 if bound < lo else 1
                    parts.append(
                        f'<path d="M{end:.1f},{cy - 5:.1f} l{6 * direction},5 '
                        f'l{-6 * direction},5 z" fill="{color}"/>'
                    )
        elif _ok(row.lift):  # the data do not bound the interval yet: it spans everything
            x1, x2 = x(lo), x(hi)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{cy:.1f}" stroke="{AMBER}" '
                f'stroke-width="2" stroke-dasharray="3 4" opacity="0.8">'
                f"<title>interval not yet bounded (too few conversions)</title></line>"
                f'<path d="M{x1:.1f},{cy:.1f} l6,-4 l0,8 z M{x2:.1f},{cy:.1f} l-6,-4 l0,8 z" '
                f'fill="{AMBER}" opacity="0.8"/>'
            )
        if _ok(row.pooled):
            assert row.pooled is not None
            px = x(row.pooled)
            parts.append(
                f'<path d="M{px:.1f},{cy - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="#fff" '
                f'stroke="{INDIGO}" stroke-width="1.5"><title>partially pooled '
                f"{escape(percent(row.pooled, signed=True))}</title></path>"
            )
        if _ok(row.lift):
            assert row.lift is not None
            parts.append(
                f'<circle cx="{x(row.lift):.1f}" cy="{cy:.1f}" r="5" fill="{color}">'
                f"<title>{escape(row.label)}: PLI {escape(percent(row.lift, signed=True))}"
                f"</title></circle>"
            )
        else:
            parts.append(
                f'<text x="{zero + 6:.1f}" y="{cy + 4:.1f}" font-size="11" fill="{AXIS}">'
                f"no data yet</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def cumulative_chart(series: Series, target: float = 0.15) -> SafeString:
    """Cumulative PLI over time with its fixed (band) and always-valid (dashed) intervals."""
    points = [p for p in series.points if _ok(p.lift)]
    width, height = 900, 320
    left, right, top, bottom = 64, 24, 24, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    head = (
        f'<svg class="persx-chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" style="{FONT};max-width:100%;height:auto" '
        f'aria-label="Cumulative PLI by day">'
        f'<rect x="0" y="0" width="{width}" height="{height}" rx="8" fill="#fff"/>'
    )
    if len(points) < 1:
        return mark_safe(
            head + f'<text x="{width / 2}" y="{height / 2}" font-size="14" fill="{AXIS}" '
            f'text-anchor="middle">No days with conversions in both arms yet.</text></svg>'
        )
    n = len(points)
    # The first days' intervals are huge; scale to the lifts and to the later intervals
    # (earlier bands are clipped at the edge of the plot).
    values = [p.lift for p in points] + [
        v
        for p in points[n // 3 :]
        for v in (p.lower, p.upper, p.sequential_lower, p.sequential_upper)
        if _ok(v)
    ]
    lo, hi = _range([v for v in values if v is not None and math.isfinite(v)], -1.0, 3.0)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return top + (hi - clipped) / (hi - lo) * plot_h

    parts = [head]
    for tick in _nice_ticks(lo, hi, 5):
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 8}" y="{ty + 4:.1f}" font-size="11" '
            f'fill="{AXIS}" text-anchor="end">{escape(percent(tick, 0, signed=True))}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" '
        f'stroke="{AXIS}" stroke-width="1.5"/>'
    )
    band = [(i, p) for i, p in enumerate(points) if _ok(p.lower) and _ok(p.upper)]
    if band:
        upper = " ".join(f"{x(i):.1f},{y(p.upper or 0):.1f}" for i, p in band)
        lower = " ".join(f"{x(i):.1f},{y(p.lower or 0):.1f}" for i, p in reversed(band))
        parts.append(f'<polygon points="{upper} {lower}" fill="{BAND}" opacity="0.9"/>')
    for attr in ("sequential_lower", "sequential_upper"):
        edge = [(i, getattr(p, attr)) for i, p in enumerate(points) if _ok(getattr(p, attr))]
        if len(edge) > 1:
            path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in edge)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{INDIGO}" stroke-width="1.2" '
                f'stroke-dasharray="4 3"/>'
            )
    if lo < target < hi:
        parts.append(
            f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - right}" y2="{y(target):.1f}" '
            f'stroke="{GREEN}" stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{width - right - 4}" y="{y(target) - 6:.1f}" font-size="11" '
            f'fill="{GREEN}" text-anchor="end">target '
            f"{escape(percent(target, 0, signed=True))}</text>"
        )
    line = " ".join(f"{x(i):.1f},{y(p.lift or 0):.1f}" for i, p in enumerate(points))
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="{TEAL}" stroke-width="2.5" '
        f'stroke-linejoin="round"/>'
    )
    for i, p in enumerate(points):
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.lift or 0):.1f}" r="3" fill="{TEAL}">'
            f"<title>{p.day.isoformat()}: PLI {escape(percent(p.lift, signed=True))} "
            f"({p.control_visitors + p.treatment_visitors:,} visitors)</title></circle>"
        )
    step = max(1, math.ceil(n / 8))
    for i in range(0, n, step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 18}" font-size="11" fill="{AXIS}" '
            f'text-anchor="middle">{points[i].day.strftime("%b %d")}</text>'
        )
    legend_y = height - 14
    parts.append(
        f'<g font-size="11" fill="{TEXT}">'
        f'<line x1="{left}" y1="{legend_y - 4}" x2="{left + 22}" y2="{legend_y - 4}" '
        f'stroke="{TEAL}" stroke-width="2.5"/>'
        f'<text x="{left + 28}" y="{legend_y}">cumulative PLI</text>'
        f'<rect x="{left + 140}" y="{legend_y - 10}" width="22" height="10" fill="{BAND}"/>'
        f'<text x="{left + 168}" y="{legend_y}">95% interval (read once)</text>'
        f'<line x1="{left + 330}" y1="{legend_y - 4}" x2="{left + 352}" y2="{legend_y - 4}" '
        f'stroke="{INDIGO}" stroke-dasharray="4 3"/>'
        f'<text x="{left + 358}" y="{legend_y}">always-valid interval (safe to read daily)'
        f"</text></g>"
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
