"""Choosing a block's content at render time: the engine decides, this records and falls back.

Called from a personalizable block's ``get_context``. No SQL: the variants come from the
page's StreamField value; the profile comes from the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from persx.engine.decision import DISABLED, NO_PROFILE, Decision
from persx.engine.selection import select_variant
from persx.personalization.page_decisions import ServedBlock, page_decisions

logger = logging.getLogger("persx.personalization")


@dataclass(frozen=True, slots=True)
class Choice:
    content: Any
    decision: Decision


def choose_content(
    request: HttpRequest | None,
    block_type: str,
    base: Any,
    variants_of: Callable[[Any], dict[str, Any]],
    value: Any,
) -> Choice:
    """Return the variant this visitor sees (or the base), and the decision with its reason."""
    try:
        page = page_decisions(request)
    except Exception:
        logger.exception("personalization context failed; serving generic")
        return Choice(base, NO_PROFILE)
    if not page.enabled:
        choice = Choice(base, DISABLED)
    elif not page.audience_keys:
        choice = Choice(base, NO_PROFILE)
    else:
        holder: dict[str, Any] = {}

        def decide() -> Decision:
            variants = variants_of(value)
            decision = select_variant(page.audience_keys, variants)
            holder["content"] = variants.get(decision.variant_key, base)
            return decision

        decision, error = page.budget.run(decide)
        if error is not None:
            logger.warning(
                "personalization failed for %s block; serving generic",
                block_type,
                exc_info=error,
            )
        content = holder.get("content", base) if decision.is_personalized else base
        choice = Choice(content, decision)
    decision = choice.decision
    page.served.append(
        ServedBlock(
            block_type,
            decision.variant_key,
            decision.reason,
            decision.experiment,
            decision.arm,
            decision.would_be,
        )
    )
    return choice
