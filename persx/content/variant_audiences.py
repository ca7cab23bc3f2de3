"""The one rule for a block's variant audiences: each names a catalog audience (or an AI
challenger of one, ``<audience>~ai``), once."""

from __future__ import annotations

from collections.abc import Iterable

from persx.engine.visitor.audience import challenged_audience
from persx.engine.visitor.catalog import Catalog


def audience_errors(audiences: Iterable[str], catalog: Catalog) -> dict[int, str]:
    """``{variant index: message}`` for unknown and repeated audiences (empty when valid)."""
    errors: dict[int, str] = {}
    seen: set[str] = set()
    for index, audience in enumerate(audiences):
        if not catalog.is_valid_audience(challenged_audience(audience) or audience):
            errors[index] = f"audience: unknown '{audience}'"
        elif audience in seen:
            errors[index] = f"audience: '{audience}' has two variants"
        seen.add(audience)
    return errors
