"""A forest plot of lifts: one row per segment with the lift as a dot, its 95% interval as
a bar, the partially pooled estimate as a hollow diamond; reference lines at 0 and at the
target. Markup: ``persx_charts/interval.html``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from persx.charts.frame import ChartFrame
from persx.charts.number_format import finite, percent
from persx.charts.scale import Linear, Tick, lift_range, nice_ticks, px
from persx.charts.style import PALETTE

ROW_H = 34
LABEL_W, PLOT_W, NOTE_W, TOP, BOTTOM = 190, 560, 120, 30, 46


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
    color: str = PALETTE.main
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
        return px(self.cy - ROW_H / 2)

    @property
    def text_y(self) -> float:
        return px(self.cy + 4)


@dataclass(frozen=True, slots=True)
class IntervalChart(ChartFrame):
    row_height: ClassVar[int] = ROW_H
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
        return px(self.label_w + self.plot_w / 2)

    @property
    def no_data_x(self) -> float:
        return px(self.zero_x + 6)


def _lift_label(value: float) -> str:
    return percent(value, 0, signed=True)


def _row_text(row: IntervalRow) -> str:
    if not finite(row.lift):
        return f"{row.label}: no data yet"
    text = f"{row.label}: PLI {percent(row.lift, signed=True)}"
    if finite(row.lower) and finite(row.upper):
        lower, upper = percent(row.lower, signed=True), percent(row.upper, signed=True)
        return f"{text} (95% interval {lower} to {upper})"
    return f"{text} (interval not yet bounded)"


def interval_chart(
    rows: Sequence[IntervalRow],
    target: float = 0.15,
    title: str = "PLI per industry with 95% intervals",
) -> IntervalChart:
    """A forest plot of PLI per segment."""
    width = LABEL_W + PLOT_W + NOTE_W
    height = TOP + ROW_H * max(len(rows), 1) + BOTTOM
    values = [
        v
        for r in rows
        for v in (r.lift, r.lower, r.upper, r.pooled, r.pooled_lower, r.pooled_upper)
        if v is not None and finite(v)
    ]
    lo, hi = lift_range(values)
    x = Linear(lo, hi, LABEL_W, LABEL_W + PLOT_W)

    unbounded_any = any(finite(r.lift) and not (finite(r.lower) and finite(r.upper)) for r in rows)
    caption = "Personalization Lift Index (PLI) with 95% interval"
    if unbounded_any:
        caption += " · dashed: too few conversions to bound it yet"
    shapes = []
    for i, row in enumerate(rows):
        cy = px(TOP + ROW_H * i + ROW_H / 2)
        color = PALETTE.reference if row.emphasis else PALETTE.main
        bar = unbounded = None
        if (
            row.lower is not None
            and row.upper is not None
            and finite(row.lower)
            and finite(row.upper)
        ):
            x1, x2 = x(row.lower), x(row.upper)
            if row.lower > 0:
                color = PALETTE.good
            elif row.upper < 0:
                color = PALETTE.bad
            arrows = []
            for bound, end in ((row.lower, x1), (row.upper, x2)):
                if bound < lo or bound > hi:  # clipped: an arrow says "continues"
                    direction = -1 if bound < lo else 1
                    arrows.append(
                        f"M{end:.1f},{cy - 5:.1f} l{6 * direction},5 l{-6 * direction},5 z"
                    )
            bar = Bar(x1, x2, color, tuple(arrows))
        elif finite(row.lift):  # the data do not bound the interval yet: it spans everything
            x1, x2 = x(lo), x(hi)
            unbounded = Unbounded(
                x1, x2, f"M{x1:.1f},{cy:.1f} l6,-4 l0,8 z M{x2:.1f},{cy:.1f} l-6,-4 l0,8 z"
            )
        pooled = None
        if row.pooled is not None and finite(row.pooled):
            pooled_x = x(row.pooled)
            pooled = Point(
                pooled_x,
                f"partially pooled {percent(row.pooled, signed=True)}",
                PALETTE.reference,
                f"M{pooled_x:.1f},{cy - 6:.1f} l6,6 l-6,6 l-6,-6 z",
            )
        dot = None
        if row.lift is not None and finite(row.lift):
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
        title=title,
        description="; ".join(_row_text(r) for r in rows) or "No segments yet.",
        width=width,
        height=height,
        label_w=LABEL_W,
        plot_w=PLOT_W,
        top=TOP,
        axis_y=TOP + ROW_H * max(len(rows), 1),
        ticks=tuple(Tick(x(t), _lift_label(t)) for t in nice_ticks(lo, hi)),
        zero_x=x(0.0),
        target=(
            Tick(x(target), _lift_label(target), px(x(target) + 4)) if lo < target < hi else None
        ),
        caption=caption,
        rows=tuple(shapes),
    )
