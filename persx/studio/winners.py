"""Learning from winners: the live variants the reports call winners (on evidence, at or
above the target; :attr:`persx.studio.results.VariantResult.winner`) of one block type
and one industry, as examples for the drafting prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from persx.catalog.repository import current_catalog
from persx.content.inventory import live_pages, stored_blocks
from persx.engine.visitor.audience import parse_audience
from persx.studio.results import VariantResult, variant_results

MAX_EXAMPLES = 3


def industry_of(audience: str) -> str | None:
    """The industry slug of an audience key (a persona's own industry)."""
    parsed = parse_audience(audience)
    if parsed is None:
        return None
    kind, slug = parsed
    if kind == "industry":
        return slug
    persona = current_catalog().persona(slug)
    return persona.industry if persona is not None else None


def winning_examples(
    block_type: str,
    audience: str,
    results: Sequence[VariantResult] | None = None,
    limit: int = MAX_EXAMPLES,
) -> list[Mapping[str, Any]]:
    """The content of winning variants of ``block_type`` for ``audience``'s industry (the
    best-measured first; each distinct content once)."""
    industry = industry_of(audience)
    results = variant_results() if results is None else results
    winners = [r for r in results if r.winner and industry_of(r.audience) == industry]
    if industry is None or not winners:
        return []
    blocks = [b for b in stored_blocks(live_pages()) if b.block_type == block_type]
    examples: list[Mapping[str, Any]] = []
    for result in winners:
        for block in blocks:
            if not result.covers(block_type, block.page.pk):
                continue
            for variant in block.variants:
                if variant.audience == result.audience and variant.content:
                    content = dict(variant.content)
                    if content not in examples:
                        examples.append(content)
                    if len(examples) >= limit:
                        return examples
    return examples
