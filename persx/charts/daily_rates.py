"""Daily rates as lines over days, y from 0 to a ceiling, with a dashed alert threshold.
A day without data breaks the line. Markup: ``persx_charts/daily_rates.html``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from persx.charts.frame import PlotFrame
from persx.charts.number_format import finite, percent
from persx.charts.scale import Linear, Tick, label_indexes, points, px, spread
from persx.charts.style import series_colour

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 30, 28, 40
LEGEND_STEP = 170


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    points: tuple[float | None, ...]  # one per day; None = no data that day


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class LineShape:
    label: str
    colour: str
    segments: tuple[str, ...]  # SVG polyline points of each unbroken run of two or more days
    dots: tuple[Dot, ...]
    legend_x: float


@dataclass(frozen=True, slots=True)
class DailyRatesChart(PlotFrame):
    ticks: tuple[Tick, ...]
    day_labels: tuple[Tick, ...]
    day_label_y: int
    threshold_y: float | None
    lines: tuple[LineShape, ...]
    empty: bool
    center: tuple[float, float]


def _percent_label(value: float) -> str:
    """Tick labels: as many decimals as the value needs, up to two (``0.5%``, ``1.25%``)."""
    for digits in (0, 1, 2):
        if round(value * 100, digits) == round(value * 100, 2):
            return percent(value, digits)
    return percent(value, 2)


def daily_rates_chart(
    days: Sequence[date],
    lines: Sequence[Line],
    *,
    ceiling: float = 1.0,
    threshold: float | None = None,
    title: str = "",
) -> DailyRatesChart:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    y = Linear(0.0, ceiling, TOP + plot_h, TOP)
    n = len(days)

    def x(i: int) -> float:
        return spread(i, max(n, 2), LEFT, WIDTH - RIGHT)

    shapes = []
    for k, line in enumerate(lines):
        runs: list[list[tuple[float, float]]] = [[]]
        dots = []
        for i, value in enumerate(line.points):
            if value is None:
                runs.append([])
                continue
            runs[-1].append((x(i), y(value)))
            dots.append(Dot(x(i), y(value)))
        shapes.append(
            LineShape(
                line.label,
                series_colour(k),
                tuple(points(run) for run in runs if len(run) > 1),
                tuple(dots),
                LEFT + k * LEGEND_STEP,
            )
        )
    latest = []
    for line in lines:
        known = [v for v in line.points if v is not None and finite(v)]
        latest.append(f"{line.label} {percent(known[-1]) if known else 'no data'}")
    return DailyRatesChart(
        title=title,
        description=(
            f"{n} days to {days[-1].isoformat()}; on the last day with data: "
            + ", ".join(latest)
            + (f"; alert threshold {percent(threshold)}" if threshold is not None else "")
            + "."
            if n
            else "No days."
        ),
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_x=WIDTH - RIGHT,
        ticks=tuple(
            Tick(y(ceiling * k / 4), _percent_label(ceiling * k / 4), px(y(ceiling * k / 4) + 4))
            for k in range(5)
        ),
        day_labels=tuple(Tick(x(i), days[i].strftime("%b %d")) for i in label_indexes(n, n // 7)),
        day_label_y=HEIGHT - BOTTOM + 16,
        threshold_y=y(threshold) if threshold is not None else None,
        lines=tuple(shapes),
        empty=not any(v is not None for line in lines for v in line.points),
        center=(px(LEFT + plot_w / 2), px(TOP + plot_h / 2)),
    )
