"""The coverage matrix: every personalizable block of the site × every audience.

Rows are the personalizable blocks of the live pages (page, block type, label; the content
inventory, :mod:`persx.content.inventory`); columns are the catalog's industries, each
followed by its personas. Each cell has one state (:mod:`persx.studio.cell_state`). Read
from the pages' published StreamField JSON (no block conversion), the pending drafts, the
variant reviews and the reports' underperforming flags: a handful of queries for the whole
site.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from persx.catalog.repository import current_catalog
from persx.content.inventory import StoredBlock, live_pages, stored_blocks
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.visitor.audience import challenger_key, industry_key, persona_key
from persx.experiments.models import Experiment
from persx.studio.cell_state import SERVED, CellFacts, CellState, cell_state
from persx.studio.models import AiHumanExperiment, Draft, Origin, VariantReview
from persx.studio.results import Underperforming, VariantResult, flags_of, variant_results

LABEL_FIELDS = ("headline", "quote", "title")
LABEL_LENGTH = 70


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # audience key
    label: str
    kind: str  # industry | persona
    industry: str  # the industry slug (a persona's own industry)


@dataclass(frozen=True, slots=True)
class Cell:
    audience: str
    state: CellState
    detail: str = ""
    has_draft: bool = False
    result: VariantResult | None = None  # the reports' result for a variant with one
    draft_id: int | None = None  # the pending draft, if any
    challenger: bool = False  # an approved AI challenger sits beside this variant
    duel: str = ""  # the running AI vs human experiment's key
    human: bool = True  # the variant was written by a person (no AI provenance)

    @property
    def duel_ready(self) -> bool:
        """One click starts AI vs human: a human variant, its AI challenger, no duel yet."""
        return self.challenger and self.human and not self.duel

    @property
    def served(self) -> bool:
        return self.state in SERVED


@dataclass(frozen=True, slots=True)
class Row:
    page_id: int
    page_title: str
    page_path: str
    block_id: str
    block_type: str
    label: str
    cells: tuple[Cell, ...]

    @property
    def block_type_label(self) -> str:
        return BLOCK_TYPES.get(self.block_type, self.block_type)


@dataclass(frozen=True)
class Matrix:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    generated_at: datetime
    industry: str | None = None  # the filter, if any
    counts: dict[str, Counter[CellState]] = field(default_factory=dict)

    def column_counts(self) -> list[tuple[Column, Counter[CellState]]]:
        return [(c, self.counts.get(c.key, Counter())) for c in self.columns]

    @property
    def cell_count(self) -> int:
        return len(self.rows) * len(self.columns)

    @property
    def served_count(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.served)

    @property
    def coverage(self) -> float:
        """Share of cells whose audience is served a variant (its own or its industry's)."""
        return self.served_count / self.cell_count if self.cell_count else 1.0

    def served_in(self, index: int) -> int:
        """Rows whose cell in column ``index`` serves a variant."""
        return sum(1 for row in self.rows if row.cells[index].served)

    def totals(self) -> Counter[CellState]:
        total: Counter[CellState] = Counter()
        for counter in self.counts.values():
            total.update(counter)
        return total


def columns(industry: str | None = None) -> tuple[Column, ...]:
    catalog = current_catalog()
    out: list[Column] = []
    for ind in catalog.industries:
        if industry and ind.slug != industry:
            continue
        out.append(Column(industry_key(ind.slug), ind.name, "industry", ind.slug))
        for persona in catalog.personas:
            if persona.industry == ind.slug:
                out.append(Column(persona_key(persona.slug), persona.name, "persona", ind.slug))
    return tuple(out)


def block_label(base: Mapping[str, Any]) -> str:
    for name in LABEL_FIELDS:
        text = str(base.get(name) or "").strip()
        if text:
            return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"
    return "(untitled)"


def _covers(flag: Underperforming, block: StoredBlock) -> bool:
    if flag.scope_kind == "page":
        return flag.scope_value == str(block.page.pk)
    if flag.scope_kind == "block_type":
        return flag.scope_value == block.block_type
    return True


def build_matrix(
    industry: str | None = None,
    now: datetime | None = None,
    underperforming: Sequence[Underperforming] | None = None,
    results: Sequence[VariantResult] | None = None,
) -> Matrix:
    """``results`` (default: the reports' snapshot) give live variants their inline result
    and, unless ``underperforming`` is passed, the underperforming flags."""
    now = now or datetime.now(UTC)
    cols = columns(industry)
    blocks = list(stored_blocks(live_pages()))
    page_ids = {b.page.pk for b in blocks}
    drafts = {
        (page_id, block_id, audience): pk
        for pk, page_id, block_id, audience in Draft.objects.filter(
            status=Draft.Status.PENDING, page_id__in=page_ids
        ).values_list("pk", "page_id", "block_id", "audience")
    }
    reviews = {
        (page_id, block_id, audience): (reviewed_at, origin)
        for page_id, block_id, audience, reviewed_at, origin in VariantReview.objects.filter(
            page_id__in=page_ids
        ).values_list("page_id", "block_id", "audience", "reviewed_at", "origin")
    }
    if results is None:
        results = () if underperforming is not None else variant_results()
    flags = flags_of(results) if underperforming is None else underperforming
    running = set(
        Experiment.objects.filter(status=Experiment.Status.RUNNING).values_list("key", flat=True)
    )
    duels = {
        (page_id, block_id, audience): key
        for page_id, block_id, audience, key in AiHumanExperiment.objects.filter(
            page_id__in=page_ids
        ).values_list("page_id", "block_id", "audience", "experiment_key")
        if key in running
    }
    rows: list[Row] = []
    counts: dict[str, Counter[CellState]] = {c.key: Counter() for c in cols}
    for block in blocks:
        by_audience = {v.audience: v for v in block.variants}
        flagged = {f.audience for f in flags if _covers(f, block)}
        measured: dict[str, VariantResult] = {}
        for result in results:
            if result.audience in by_audience and result.covers(block.block_type, block.page.pk):
                measured.setdefault(result.audience, result)
        page_review = block.page.last_published_at
        cells = []
        for col in cols:
            variant = by_audience.get(col.key)
            industry_variant = by_audience.get(industry_key(col.industry))
            key = (block.page.pk, block.block_id, col.key)
            facts = CellFacts(
                has_variant=variant is not None,
                window=variant.window if variant else None,
                last_review=reviews[key][0] if key in reviews else page_review,
                underperforming=col.key in flagged,
                has_draft=key in drafts,
                industry_variant_live=(
                    col.kind == "persona"
                    and industry_variant is not None
                    and (industry_variant.window is None or industry_variant.window.is_live(now))
                ),
            )
            verdict = cell_state(facts, now)
            cells.append(
                Cell(
                    col.key,
                    verdict.state,
                    verdict.detail,
                    key in drafts,
                    measured.get(col.key) if variant is not None else None,
                    drafts.get(key),
                    variant is not None and challenger_key(col.key) in by_audience,
                    duels.get(key, ""),
                    key not in reviews or reviews[key][1] == Origin.HUMAN,
                )
            )
            counts[col.key][verdict.state] += 1
        rows.append(
            Row(
                page_id=block.page.pk,
                page_title=block.page.title,
                page_path=block.page.get_url() or block.page.url_path,
                block_id=block.block_id,
                block_type=block.block_type,
                label=block_label(block.base),
                cells=tuple(cells),
            )
        )
    return Matrix(cols, tuple(rows), now, industry, counts)
