"""Template filters for the studio's pages."""

from __future__ import annotations

from django import template

from persx.studio.cell_state import CellState
from persx.studio.coverage_export import SYMBOLS

register = template.Library()

SCREEN_SYMBOLS = {**SYMBOLS, CellState.GENERIC: "–", CellState.INHERITED: "↑", CellState.LIVE: "✓"}


@register.filter
def state_symbol(state: CellState) -> str:
    return SCREEN_SYMBOLS[CellState(state)]


@register.filter
def percent(value: float) -> str:
    return f"{value:.0%}"
