"""The reliability chart of a classifier: one bar per probability bin, its height the share
of held-out visitors the model got right, a dot at the bin's mean predicted probability,
and the dashed diagonal of perfect calibration; the visitor count above each bar.
Markup: ``persx_charts/reliability.html``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from persx.charts.frame import ChartFrame
from persx.charts.scale import Linear, Tick, px
from persx.engine.learning.calibration import ReliabilityBin

SIZE, LEFT, TOP, BOTTOM, RIGHT = 360, 56, 28, 48, 20
BAR_GAP = 2  # px between neighbouring bars


@dataclass(frozen=True, slots=True)
class BinShape:
    x: float
    y: float
    width: float
    height: float
    dot_x: float
    count: int
    count_x: float
    count_y: float
    title: str


@dataclass(frozen=True, slots=True)
class ReliabilityChart(ChartFrame):
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]  # at = x
    y_ticks: tuple[Tick, ...]  # at = y of the grid line, label_at = y of its label
    bins: tuple[BinShape, ...]
    x_label_y: int
    mid_x: float  # where 0.5 is on the horizontal axis
    mid_y: float  # and on the vertical one

    @property
    def empty(self) -> bool:
        return not self.bins

    @property
    def x_tick_y(self) -> float:
        return px(self.plot_bottom + 16)

    @property
    def y_tick_x(self) -> float:
        return px(self.plot_left - 8)


def reliability_chart(
    bins: Sequence[ReliabilityBin], title: str = "Reliability chart"
) -> ReliabilityChart:
    width, height = LEFT + SIZE + RIGHT, TOP + SIZE + BOTTOM
    x = Linear(0.0, 1.0, LEFT, LEFT + SIZE)
    y = Linear(0.0, 1.0, TOP + SIZE, TOP)
    shapes = []
    for b in bins:
        x0, x1 = x(b.lower) + BAR_GAP, x(b.upper) - BAR_GAP
        top = y(b.accuracy)
        shapes.append(
            BinShape(
                x=px(x0),
                y=top,
                width=px(x1 - x0),
                height=px(y(0) - top),
                dot_x=x(b.mean_confidence),
                count=b.count,
                count_x=px((x0 + x1) / 2),
                count_y=px(top - 6),
                title=(
                    f"{b.lower:.1f}–{b.upper:.1f}: {b.count} visitors, mean probability "
                    f"{b.mean_confidence:.2f}, right {b.accuracy:.2f}"
                ),
            )
        )
    return ReliabilityChart(
        title=title,
        description=("; ".join(s.title for s in shapes) if shapes else "No held-out visitors yet."),
        width=width,
        height=height,
        plot_left=x(0),
        plot_right=x(1),
        plot_top=y(1),
        plot_bottom=y(0),
        x_ticks=tuple(Tick(x(i / 5), f"{i / 5:.1f}") for i in range(6)),
        y_ticks=tuple(Tick(y(i / 5), f"{i / 5:.1f}", px(y(i / 5) + 4)) for i in range(6)),
        bins=tuple(shapes),
        x_label_y=height - 10,
        mid_x=x(0.5),
        mid_y=y(0.5),
    )
