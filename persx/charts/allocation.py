"""A bandit's allocation over its versions: each arm's share of the adaptive traffic as
stacked bands (one version: stacked bars), the baseline arm first.
Markup: ``persx_charts/allocation.html``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from persx.charts.frame import PlotFrame
from persx.charts.number_format import percent
from persx.charts.scale import Linear, Tick, label_indexes, points, px, spread
from persx.charts.style import arm_colour

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 64
SINGLE_BAR_HALF_WIDTH = 40


class AllocationVersion(Protocol):
    """One stored allocation (the bandit report's ``VersionRow`` is one)."""

    @property
    def version(self) -> int: ...
    @property
    def weights(self) -> Mapping[str, float]: ...


@dataclass(frozen=True, slots=True)
class Band:
    arm: str
    colour: str
    points: str  # SVG polygon points
    title: str


@dataclass(frozen=True, slots=True)
class LegendEntry:
    x: int
    label: str
    colour: str


@dataclass(frozen=True, slots=True)
class AllocationChart(PlotFrame):
    ticks: tuple[Tick, ...]  # y grid lines with their share
    bands: tuple[Band, ...]
    version_labels: tuple[Tick, ...]  # at = x
    version_label_y: int
    legend: tuple[LegendEntry, ...]
    legend_y: int
    caption_x: float
    caption_y: int

    @property
    def empty(self) -> bool:
        return not self.bands

    @property
    def center(self) -> tuple[float, float]:
        return self.width / 2, self.height / 2


def allocation_chart(arms: Sequence[str], versions: Sequence[AllocationVersion]) -> AllocationChart:
    plot_h = HEIGHT - TOP - BOTTOM
    y = Linear(0.0, 1.0, TOP + plot_h, TOP)
    n = len(versions)

    def x(i: int) -> float:
        return spread(i, n, LEFT, WIDTH - RIGHT)

    bands = []
    below = [0.0] * n
    for a, arm in enumerate(arms):
        above = [b + v.weights.get(arm, 0.0) for b, v in zip(below, versions, strict=True)]
        if n == 1:  # one version: a bar rather than a band
            x0, x1 = x(0) - SINGLE_BAR_HALF_WIDTH, x(0) + SINGLE_BAR_HALF_WIDTH
            outline = [(x0, y(above[0])), (x1, y(above[0])), (x1, y(below[0])), (x0, y(below[0]))]
        else:
            outline = [(x(i), y(s)) for i, s in enumerate(above)]
            outline += [(x(i), y(s)) for i, s in reversed(list(enumerate(below)))]
        if n:
            latest = versions[-1].weights.get(arm, 0.0)
            bands.append(
                Band(
                    arm,
                    arm_colour(a),
                    points(outline),
                    f"{arm}: {percent(latest)} in the latest version",
                )
            )
        below = above
    legend = []
    legend_x = LEFT
    for a, arm in enumerate(arms):
        legend.append(LegendEntry(legend_x, arm, arm_colour(a)))
        legend_x += 30 + 7 * len(arm)
    latest_text = (
        f"Version {versions[-1].version}: "
        + ", ".join(f"{arm} {percent(versions[-1].weights.get(arm, 0.0))}" for arm in arms)
        + "."
        if n
        else "No allocation yet."
    )
    return AllocationChart(
        title="Share of the adaptive traffic per arm over allocation versions",
        description=latest_text,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_x=WIDTH - RIGHT,
        ticks=tuple(Tick(y(k / 4), percent(k / 4, 0), px(y(k / 4) + 4)) for k in range(5)),
        bands=tuple(bands) if n else (),
        version_labels=tuple(
            Tick(x(i), f"v{versions[i].version}") for i in label_indexes(n, n // 8)
        ),
        version_label_y=TOP + plot_h + 16,
        legend=tuple(legend) if n else (),
        legend_y=HEIGHT - 22,
        caption_x=px(LEFT + (WIDTH - LEFT - RIGHT) / 2),
        caption_y=TOP + plot_h + 34,
    )
