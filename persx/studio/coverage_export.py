"""The coverage matrix as CSV (the registry/checklist) and as a terminal table."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from defusedcsv import csv

from persx.studio.cell_state import CellState

if TYPE_CHECKING:  # the studio's tag library imports this module on every page render
    from persx.studio.coverage import Matrix, Row

SYMBOLS = {
    CellState.GENERIC: ".",
    CellState.INHERITED: "i",
    CellState.DRAFT: "D",
    CellState.LIVE: "L",
    CellState.SCHEDULED: "S",
    CellState.STALE: "O",
    CellState.UNDERPERFORMING: "U",
}


def matrix_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["page", "path", "block_id", "block_type", "label", *[c.key for c in matrix.columns]]
    )
    for row in matrix.rows:
        writer.writerow(
            [
                row.page_title,
                row.page_path,
                row.block_id,
                row.block_type,
                row.label,
                *[cell.state.value for cell in row.cells],
            ]
        )
    return out.getvalue()


def coverage_line(matrix: Matrix) -> str:
    return (
        f"Coverage: {matrix.coverage:.1%} of {matrix.cell_count} cells serve a variant "
        f"({matrix.served_count} cells; own or the industry's)"
    )


def matrix_text(matrix: Matrix) -> str:
    """A fixed-width table: one symbol per cell, column numbers keyed below."""
    width = max([len(row_name(r)) for r in matrix.rows] + [10])
    lines = []
    numbers = " ".join(f"{i + 1:>2}" for i in range(len(matrix.columns)))
    lines.append(f"{'block':<{width}}  {numbers}")
    for row in matrix.rows:
        name = row_name(row)
        cells = " ".join(f"{SYMBOLS[c.state]:>2}" for c in row.cells)
        lines.append(f"{name:<{width}}  {cells}")
    served = " ".join(f"{matrix.served_in(i):>2}" for i in range(len(matrix.columns)))
    lines.append(f"{'served (of ' + str(len(matrix.rows)) + ')':<{width}}  {served}")
    lines.append("")
    for i, col in enumerate(matrix.columns):
        counts = matrix.counts[col.key]
        summary = ", ".join(f"{s.value} {counts[s]}" for s in CellState if counts.get(s))
        lines.append(f"{i + 1:>3}  {col.key:<46} {summary}")
    lines.append("")
    lines.append("Legend: " + "  ".join(f"{SYMBOLS[s]} {s.label}" for s in CellState))
    lines.append(coverage_line(matrix))
    return "\n".join(lines)


def row_name(row: Row, title_length: int = 36) -> str:
    title = row.page_title
    if len(title) > title_length:
        title = title[: title_length - 1] + "…"
    return f"{title} · {row.block_type_label}"
