"""What every chart's frame template (``persx_charts/frame.html``) reads.

Each chart kind's geometry is a frozen dataclass on :class:`ChartFrame` (the text
alternative and the size of the ``<svg>``); charts drawn against a time or version axis
share :class:`PlotFrame` (where the plot starts and ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from persx.charts.style import PALETTE, Palette


@dataclass(frozen=True, slots=True)
class ChartFrame:
    palette: ClassVar[Palette] = PALETTE
    title: str  # the svg's <title>
    description: str  # the svg's <desc>: the chart in words
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PlotFrame(ChartFrame):
    left: int  # x where the plot starts
    right_x: int  # x where the plot ends
