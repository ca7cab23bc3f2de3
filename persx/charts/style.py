"""The one palette and typeface of the charts (and the colours the report pages repeat)."""

from __future__ import annotations

from dataclasses import dataclass

TEAL = "#007d7e"
INDIGO = "#261a4b"
GREEN = "#1b7f3b"
RED = "#c33b32"
AMBER = "#b26200"
PURPLE = "#7a4fb5"
GREY = "#6b6f76"
FONT_FAMILY = "system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours a chart template reads as ``chart.palette.<name>``."""

    background: str = "#fff"
    grid: str = "#e4e6ea"
    axis: str = GREY  # the zero line, tick labels, notes
    text: str = "#1f2328"
    stripe: str = "#f6f7f9"  # every other row of a table-like chart
    band: str = "#cde8e8"  # an interval drawn as an area
    main: str = TEAL  # the measured value
    reference: str = INDIGO  # a second estimate (pooled, always-valid, predicted)
    good: str = GREEN
    bad: str = RED
    caution: str = AMBER
    font_family: str = FONT_FAMILY


PALETTE = Palette()

# Series in a fixed order: a chart with several lines or arms colours its n-th one with
# SERIES[n % len(SERIES)].
SERIES = (TEAL, INDIGO, AMBER, PURPLE, GREEN, RED, "#5a4fcf")


def series_colour(index: int) -> str:
    return SERIES[index % len(SERIES)]


def arm_colour(index: int) -> str:
    """The arms of a comparison, baseline first: the baseline (generic) grey, the others
    in series order."""
    return GREY if index == 0 else series_colour(index - 1)
