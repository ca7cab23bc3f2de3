"""The report's two charts, drawn with the chart kit's scales, palette and frame: the cell
rates, and the effects (main effects and interactions), each a dot with its 95% interval
as a bar. Markup: ``persx_factorial/estimates_chart.html`` (extends the kit's frame)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from persx.charts.frame import ChartFrame
from persx.charts.scale import Linear, Tick, nice_ticks, px
from persx.charts.style import PALETTE

ROW_H = 32
LABEL_W, PLOT_W, NOTE_W, TOP, BOTTOM = 300, 460, 130, 16, 44


@dataclass(frozen=True, slots=True)
class Estimate:
    label: str
    value: float
    lower: float
    upper: float
    note: str = ""
    group: str = ""  # a heading row above the first estimate of each group


@dataclass(frozen=True, slots=True)
class EstimateShape:
    cy: float
    label: str
    note: str
    striped: bool
    heading: bool
    x: float
    x1: float
    x2: float
    color: str
    title: str

    @property
    def stripe_y(self) -> float:
        return px(self.cy - ROW_H / 2)

    @property
    def text_y(self) -> float:
        return px(self.cy + 4)


@dataclass(frozen=True, slots=True)
class EstimatesChart(ChartFrame):
    row_height: ClassVar[int] = ROW_H
    label_w: int
    plot_w: int
    top: int
    axis_y: int
    ticks: tuple[Tick, ...]
    zero_x: float | None
    caption: str
    rows: tuple[EstimateShape, ...]

    @property
    def caption_x(self) -> float:
        return px(self.label_w + self.plot_w / 2)


def estimates_chart(
    estimates: Sequence[Estimate],
    title: str,
    caption: str,
    label: Callable[[float], str],
    zero_line: bool,
) -> EstimatesChart:
    """Dots and 95% interval bars; with ``zero_line`` a bar clear of zero is coloured (green
    above, red below) and 0 is always on the axis."""
    values = [v for e in estimates for v in (e.lower, e.upper, e.value)]
    lo, hi = min([*values, 0.0] if zero_line else values or [0.0]), max(values or [0.01])
    if not zero_line:
        lo = max(lo, 0.0)
    pad = (hi - lo) * 0.08 or 0.01
    lo, hi = (lo - pad if zero_line or lo > 0 else lo), hi + pad
    x = Linear(lo, hi, LABEL_W, LABEL_W + PLOT_W)
    rows: list[EstimateShape] = []
    line = 0
    group = ""
    for e in estimates:
        if e.group and e.group != group:
            group = e.group
            cy = px(TOP + ROW_H * line + ROW_H / 2)
            rows.append(EstimateShape(cy, e.group, "", False, True, 0, 0, 0, "", ""))
            line += 1
        cy = px(TOP + ROW_H * line + ROW_H / 2)
        color = PALETTE.main
        if zero_line and e.lower > 0:
            color = PALETTE.good
        elif zero_line and e.upper < 0:
            color = PALETTE.bad
        title = f"{e.label}: {label(e.value)} (95% interval {label(e.lower)} to {label(e.upper)})"
        rows.append(
            EstimateShape(
                cy,
                e.label,
                e.note,
                line % 2 == 0,
                False,
                x(e.value),
                x(e.lower),
                x(e.upper),
                color,
                title,
            )
        )
        line += 1
    axis_y = TOP + ROW_H * max(line, 1)
    return EstimatesChart(
        title=title,
        description="; ".join(r.title for r in rows if not r.heading) or "No data yet.",
        width=LABEL_W + PLOT_W + NOTE_W,
        height=axis_y + BOTTOM,
        label_w=LABEL_W,
        plot_w=PLOT_W,
        top=TOP,
        axis_y=axis_y,
        ticks=tuple(Tick(x(t), label(t)) for t in nice_ticks(lo, hi)),
        zero_x=x(0.0) if zero_line else None,
        caption=caption,
        rows=tuple(rows),
    )
