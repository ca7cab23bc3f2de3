"""Geometry of the server-rendered SVG charts of the admin reports (no JavaScript, no CDN).

- :func:`interval_chart` — one row per segment: the PLI as a dot, its 95% interval as a
  bar, the partially pooled estimate as a hollow diamond; reference lines at 0 and at the
  +15% target.
- :func:`cumulative_chart` — cumulative PLI by day as a line, with the fixed-horizon
  interval as a band and the always-valid interval as dashed edges.

Both return plain dataclasses of coordinates (pixels in the SVG's ``viewBox``), SVG path
and point lists, colours and label texts. The markup is in the templates
``persx_analytics/charts/interval.html`` and ``cumulative.html``, which escape every text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from persx.analytics.report_model import ALL_INDUSTRIES, ExperimentReport, Series
from persx.analytics.wording import count, percent

TEAL = "#007d7e"
INDIGO = "#261a4b"
GREEN = "#1b7f3b"
RED = "#c33b32"
AMBER = "#b26200"


def _px(value: float) -> float:
    """A coordinate to one decimal (what the SVG shows)."""
    return round(value, 1)


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One segment's numbers (the input of :func:`interval_chart`)."""

    label: str
    lift: float | None
    lower: float | None
    upper: float | None
    pooled: float | None = None
    pooled_lower: float | None = None
    pooled_upper: float | None = None
    note: str = ""  # e.g. "1,204 visitors"
    emphasis: bool = False  # the pooled ("all industries") row


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x (interval chart) or y (cumulative chart)
    label: str
    label_at: float = 0.0  # where its label sits along the same axis, when not at ``at``


@dataclass(frozen=True, slots=True)
class Bar:
    """A bounded interval: a bar from x1 to x2; arrows (SVG paths) where it is clipped."""

    x1: float
    x2: float
    color: str
    arrows: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unbounded:
    """The data do not bound the interval yet: a dashed line across the plot."""

    x1: float
    x2: float
    arrows: str  # SVG path of the two arrow heads


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    title: str
    color: str = TEAL
    path: str = ""  # the diamond's SVG path (pooled estimate)


@dataclass(frozen=True, slots=True)
class IntervalRowShape:
    cy: float
    label: str
    note: str
    bold: bool
    striped: bool
    bar: Bar | None
    unbounded: Unbounded | None
    pooled: Point | None
    dot: Point | None

    @property
    def stripe_y(self) -> float:
        return _px(self.cy - ROW_H / 2)

    @property
    def text_y(self) -> float:
        return _px(self.cy + 4)


@dataclass(frozen=True, slots=True)
class IntervalChart:
    width: int
    height: int
    label_w: int
    plot_w: int
    top: int
    axis_y: int
    ticks: tuple[Tick, ...]
    zero_x: float
    target: Tick | None
    caption: str
    rows: tuple[IntervalRowShape, ...]

    @property
    def caption_x(self) -> float:
        return _px(self.label_w + self.plot_w / 2)

    @property
    def no_data_x(self) -> float:
        return _px(self.zero_x + 6)


@dataclass(frozen=True, slots=True)
class DayPoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True, slots=True)
class CumulativeChart:
    width: int
    height: int
    left: int
    right_x: int  # x where the plot ends
    ticks: tuple[Tick, ...]
    zero_y: float
    target: Tick | None
    band: str  # SVG polygon points of the fixed-horizon interval ("" when none)
    sequential_edges: tuple[str, ...]  # SVG polyline points of the always-valid interval
    line: str  # SVG polyline points of the cumulative PLI
    points: tuple[DayPoint, ...]
    day_labels: tuple[Tick, ...]  # at = x
    legend_y: int

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def center(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2


ROW_H = 34


def interval_rows(report: ExperimentReport, arm: str, metric_key: str) -> list[IntervalRow]:
    """The rows of the interval chart: every segment of the report on one arm and metric."""
    rows = []
    for slug, label in report.segments:
        comp = report.comparison(arm, slug, metric_key)
        if comp is None:
            continue
        visitors = comp.control.visitors + comp.treatment.visitors
        rows.append(
            IntervalRow(
                label=label,
                lift=comp.lift,
                lower=comp.lower,
                upper=comp.upper,
                pooled=comp.pooled_lift,
                pooled_lower=comp.pooled_lower,
                pooled_upper=comp.pooled_upper,
                note=f"{count(visitors)} visitors",
                emphasis=slug == ALL_INDUSTRIES,
            )
        )
    return rows


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5, 5 × 10ⁿ) covering [lo, hi]."""
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


def value_range(values: Sequence[float], floor: float, ceiling: float) -> tuple[float, float]:
    """The plotted range: the values, 0 and +15%, clipped to [floor, ceiling], padded 8%."""
    finite_values = [v for v in values if math.isfinite(v)]
    lo = min([*finite_values, 0.0, 0.15])
    hi = max([*finite_values, 0.0, 0.15])
    lo, hi = max(lo, floor), min(hi, ceiling)
    pad = (hi - lo) * 0.08 or 0.1
    return max(lo - pad, -1.0), hi + pad


def _lift_label(value: float) -> str:
    return percent(value, 0, signed=True)


def interval_chart(rows: Sequence[IntervalRow], target: float = 0.15) -> IntervalChart:
    """A forest plot of PLI per segment."""
    label_w, note_w, plot_w, top, bottom = 190, 120, 560, 30, 46
    width = label_w + plot_w + note_w
    height = top + ROW_H * max(len(rows), 1) + bottom
    values = [
        v
        for r in rows
        for v in (r.lift, r.lower, r.upper, r.pooled, r.pooled_lower, r.pooled_upper)
        if _ok(v)
    ]
    lo, hi = value_range([v for v in values if v is not None], -1.0, 3.0)

    def x(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return _px(label_w + (clipped - lo) / (hi - lo) * plot_w)

    unbounded_any = any(_ok(r.lift) and not (_ok(r.lower) and _ok(r.upper)) for r in rows)
    caption = "Personalization Lift Index (PLI) with 95% interval"
    if unbounded_any:
        caption += " · dashed: too few conversions to bound it yet"
    shapes = []
    for i, row in enumerate(rows):
        cy = _px(top + ROW_H * i + ROW_H / 2)
        color = INDIGO if row.emphasis else TEAL
        bar = unbounded = None
        if row.lower is not None and row.upper is not None and _ok(row.lower) and _ok(row.upper):
            x1, x2 = x(row.lower), x(row.upper)
            color = GREEN if row.lower > 0 else RED if row.upper < 0 else color
            arrows = []
            for bound, end in ((row.lower, x1), (row.upper, x2)):
                if bound < lo or bound > hi:  # clipped: an arrow says "continues"
                    direction = -1 if bound < lo else 1
                    arrows.append(
                        f"M{end:.1f},{cy - 5:.1f} l{6 * direction},5 l{-6 * direction},5 z"
                    )
            bar = Bar(x1, x2, color, tuple(arrows))
        elif _ok(row.lift):  # the data do not bound the interval yet: it spans everything
            x1, x2 = x(lo), x(hi)
            unbounded = Unbounded(
                x1, x2, f"M{x1:.1f},{cy:.1f} l6,-4 l0,8 z M{x2:.1f},{cy:.1f} l-6,-4 l0,8 z"
            )
        pooled = None
        if row.pooled is not None and _ok(row.pooled):
            px = x(row.pooled)
            pooled = Point(
                px,
                f"partially pooled {percent(row.pooled, signed=True)}",
                INDIGO,
                f"M{px:.1f},{cy - 6:.1f} l6,6 l-6,6 l-6,-6 z",
            )
        dot = None
        if row.lift is not None and _ok(row.lift):
            dot = Point(x(row.lift), f"{row.label}: PLI {percent(row.lift, signed=True)}", color)
        shapes.append(
            IntervalRowShape(
                cy=cy,
                label=row.label,
                note=row.note,
                bold=row.emphasis,
                striped=i % 2 == 0,
                bar=bar,
                unbounded=unbounded,
                pooled=pooled,
                dot=dot,
            )
        )
    return IntervalChart(
        width=width,
        height=height,
        label_w=label_w,
        plot_w=plot_w,
        top=top,
        axis_y=top + ROW_H * max(len(rows), 1),
        ticks=tuple(Tick(x(t), _lift_label(t)) for t in nice_ticks(lo, hi)),
        zero_x=x(0.0),
        target=(
            Tick(x(target), _lift_label(target), _px(x(target) + 4)) if lo < target < hi else None
        ),
        caption=caption,
        rows=tuple(shapes),
    )


def cumulative_chart(series: Series, target: float = 0.15) -> CumulativeChart:
    """Cumulative PLI over time with its fixed (band) and always-valid (dashed) intervals."""
    points = [p for p in series.points if _ok(p.lift)]
    width, height = 900, 320
    left, right, top, bottom = 64, 24, 24, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)
    if n < 1:
        return CumulativeChart(
            width, height, left, width - right, (), 0.0, None, "", (), "", (), (), height - 14
        )
    # The first days' intervals are huge; scale to the lifts and to the later intervals
    # (earlier bands are clipped at the edge of the plot).
    values = [p.lift for p in points] + [
        v
        for p in points[n // 3 :]
        for v in (p.lower, p.upper, p.sequential_lower, p.sequential_upper)
        if _ok(v)
    ]
    lo, hi = value_range([v for v in values if v is not None and math.isfinite(v)], -1.0, 3.0)

    def x(i: int) -> float:
        return _px(left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2))

    def y(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return _px(top + (hi - clipped) / (hi - lo) * plot_h)

    band = [(i, p) for i, p in enumerate(points) if _ok(p.lower) and _ok(p.upper)]
    band_points = ""
    if band:
        upper = " ".join(f"{x(i):.1f},{y(p.upper or 0):.1f}" for i, p in band)
        lower = " ".join(f"{x(i):.1f},{y(p.lower or 0):.1f}" for i, p in reversed(band))
        band_points = f"{upper} {lower}"
    edges = []
    for attr in ("sequential_lower", "sequential_upper"):
        edge = [(i, getattr(p, attr)) for i, p in enumerate(points) if _ok(getattr(p, attr))]
        if len(edge) > 1:
            edges.append(" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in edge))
    step = max(1, math.ceil(n / 8))
    return CumulativeChart(
        width=width,
        height=height,
        left=left,
        right_x=width - right,
        ticks=tuple(Tick(y(t), _lift_label(t), _px(y(t) + 4)) for t in nice_ticks(lo, hi, 5)),
        zero_y=y(0),
        target=(
            Tick(y(target), _lift_label(target), _px(y(target) - 6)) if lo < target < hi else None
        ),
        band=band_points,
        sequential_edges=tuple(edges),
        line=" ".join(f"{x(i):.1f},{y(p.lift or 0):.1f}" for i, p in enumerate(points)),
        points=tuple(
            DayPoint(
                x(i),
                y(p.lift or 0),
                f"{p.day.isoformat()}: PLI {percent(p.lift, signed=True)} "
                f"({p.control_visitors + p.treatment_visitors:,} visitors)",
            )
            for i, p in enumerate(points)
        ),
        day_labels=tuple(Tick(x(i), points[i].day.strftime("%b %d")) for i in range(0, n, step)),
        legend_y=height - 14,
    )
