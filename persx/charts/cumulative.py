"""Cumulative lift by day: a line, with the fixed-horizon interval as a band and the
always-valid interval as dashed edges. Markup: ``persx_charts/cumulative.html``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from persx.charts.frame import PlotFrame
from persx.charts.number_format import count, finite, percent
from persx.charts.scale import Linear, Tick, lift_range, nice_ticks, points, px, spread

WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 24, 56


class LiftDay(Protocol):
    """One day of a cumulative series (the report's ``SeriesPoint`` is one)."""

    @property
    def day(self) -> date: ...
    @property
    def lift(self) -> float | None: ...
    @property
    def lower(self) -> float | None: ...
    @property
    def upper(self) -> float | None: ...
    @property
    def sequential_lower(self) -> float | None: ...
    @property
    def sequential_upper(self) -> float | None: ...
    @property
    def control_visitors(self) -> int: ...
    @property
    def treatment_visitors(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DayPoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True, slots=True)
class CumulativeChart(PlotFrame):
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


TITLE = "Cumulative PLI by day"


def cumulative_chart(days: Sequence[LiftDay], target: float = 0.15) -> CumulativeChart:
    """Cumulative PLI over time with its fixed (band) and always-valid (dashed) intervals."""
    shown = [p for p in days if finite(p.lift)]
    n = len(shown)
    if n < 1:
        return CumulativeChart(
            TITLE,
            "No days with conversions in both arms yet.",
            WIDTH,
            HEIGHT,
            LEFT,
            WIDTH - RIGHT,
            (),
            0.0,
            None,
            "",
            (),
            "",
            (),
            (),
            HEIGHT - 14,
        )
    # The first days' intervals are huge; scale to the lifts and to the later intervals
    # (earlier bands are clipped at the edge of the plot).
    values = [p.lift for p in shown] + [
        v
        for p in shown[n // 3 :]
        for v in (p.lower, p.upper, p.sequential_lower, p.sequential_upper)
        if finite(v)
    ]
    lo, hi = lift_range([v for v in values if v is not None and math.isfinite(v)])
    y = Linear(lo, hi, HEIGHT - BOTTOM, TOP)

    def x(i: int) -> float:
        return spread(i, n, LEFT, WIDTH - RIGHT)

    band = [(i, p) for i, p in enumerate(shown) if finite(p.lower) and finite(p.upper)]
    band_points = ""
    if band:
        upper = points((x(i), y(p.upper or 0)) for i, p in band)
        lower = points((x(i), y(p.lower or 0)) for i, p in reversed(band))
        band_points = f"{upper} {lower}"
    edges = []
    for attr in ("sequential_lower", "sequential_upper"):
        edge = [(i, getattr(p, attr)) for i, p in enumerate(shown) if finite(getattr(p, attr))]
        if len(edge) > 1:
            edges.append(points((x(i), y(v)) for i, v in edge))
    step = max(1, math.ceil(n / 8))
    last = shown[-1]
    return CumulativeChart(
        title=TITLE,
        description=(
            f"{n} day{'s' if n != 1 else ''} from {shown[0].day.isoformat()} to "
            f"{last.day.isoformat()}; on the last day PLI {percent(last.lift, signed=True)}"
            + (
                f" (95% interval {percent(last.lower, signed=True)} to "
                f"{percent(last.upper, signed=True)})."
                if finite(last.lower) and finite(last.upper)
                else "."
            )
        ),
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_x=WIDTH - RIGHT,
        ticks=tuple(
            Tick(y(t), percent(t, 0, signed=True), px(y(t) + 4)) for t in nice_ticks(lo, hi, 5)
        ),
        zero_y=y(0),
        target=(
            Tick(y(target), percent(target, 0, signed=True), px(y(target) - 6))
            if lo < target < hi
            else None
        ),
        band=band_points,
        sequential_edges=tuple(edges),
        line=points((x(i), y(p.lift or 0)) for i, p in enumerate(shown)),
        points=tuple(
            DayPoint(
                x(i),
                y(p.lift or 0),
                f"{p.day.isoformat()}: PLI {percent(p.lift, signed=True)} "
                f"({count(p.control_visitors + p.treatment_visitors)} visitors)",
            )
            for i, p in enumerate(shown)
        ),
        day_labels=tuple(Tick(x(i), shown[i].day.strftime("%b %d")) for i in range(0, n, step)),
        legend_y=HEIGHT - 14,
    )
