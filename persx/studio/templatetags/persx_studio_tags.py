"""Template filters for the studio's pages."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django import template
from django.utils.safestring import SafeString, mark_safe

from persx.studio.cell_state import CellState
from persx.studio.coverage_export import SYMBOLS

if TYPE_CHECKING:  # Django imports every tag library for any page: no reports here
    from persx.studio.coverage import Cell, Column, Row

register = template.Library()

SCREEN_SYMBOLS = {**SYMBOLS, CellState.GENERIC: "–", CellState.INHERITED: "↑", CellState.LIVE: "✓"}


@register.filter
def state_symbol(state: CellState) -> str:
    return SCREEN_SYMBOLS[CellState(state)]


DRAFT_DOT = '<span class="px-dot"></span>'


@register.simple_tag
def matrix_cells(
    row: Row, pairs: Sequence[tuple[Column, Cell]], preview_url: str, report_url: str
) -> SafeString:
    """A row's cells in one pass: 460 cells through template tags (or ``format_html``) cost
    a few hundred milliseconds; plain escaped f-strings a few. Every value is escaped.

    ``report_url`` is an experiment report's URL with ``__key__`` for the experiment key.
    A measured variant's cell shows its PLI and links to the report; the full result
    (interval and verdict) is in its title and, for screen readers and tests, its text.
    """
    out = []
    for column, cell in pairs:
        state = cell.state
        draft_marker = cell.has_draft and state is not CellState.DRAFT
        title = f"{column.label}: {state.label}"
        if cell.detail:
            title += f" — {cell.detail}"
        if draft_marker:
            title += " (a draft awaits review)"
        query = urlencode({"page": row.page_id, "block": row.block_id, "audience": cell.audience})
        industry_class = " px-industry" if column.kind == "industry" else ""
        href = escape(f"{preview_url}?{query}")
        label = escape(f"{row.label}, {title}")
        dot = DRAFT_DOT if draft_marker else ""
        extra = f' data-draft="{cell.draft_id}"' if cell.draft_id is not None else ""
        if cell.duel_ready:
            extra += ' data-duel-eligible="1"'
        if cell.duel:
            extra += f' data-duel-url="{escape(report_url.replace("__key__", cell.duel))}"'
        result_html = ""
        result = cell.result
        if result is not None:
            url = escape(report_url.replace("__key__", result.experiment))
            text = escape(result.text)
            basis = escape(result.basis)
            extra += f' data-result="{text}" data-result-url="{url}"'
            extra += f' data-result-basis="{basis}"'
            rest = result.detail if result.lift is not None else f"({result.text})"
            result_html = (
                f'<a class="px-result px-result--{escape(result.status or "none")}" '
                f'href="{url}" title="{text} ({escape(result.experiment)}; {basis})" '
                f'data-testid="cell-result"><span class="px-sr">PLI, {basis}: </span>'
                f"{escape(result.lift_text)}"
                f'<span class="px-sr"> {escape(rest)}</span></a>'
            )
        out.append(
            f'<td class="px-cell{industry_class}" data-audience="{escape(cell.audience)}" '
            f'data-state="{state.value}"{extra}>'
            f'<a class="px-state px-state--{state.value}" '
            f'href="{href}" title="{escape(title)}" aria-label="{label}">'
            f"{SCREEN_SYMBOLS[state]}{dot}</a>{result_html}</td>"
        )
    return mark_safe("".join(out))


@register.filter
def thousands(value: int | float) -> str:
    """``12345`` → ``12,345``."""
    return f"{value:,.0f}"
