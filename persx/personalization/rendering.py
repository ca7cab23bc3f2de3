"""Choosing a block's content at render time: the engine decides, this records and falls back.

Called from a personalizable block's ``get_context``. No SQL: the variants come from the
page's StreamField value; the profile, the running experiments and the holdout come from the
request's ``PageDecisions``. ``engine.experiments.decide`` applies the holdout and experiments
on top of variant selection, inside the page's decision budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from persx.engine.decision import DISABLED, ERROR, NO_PROFILE, Decision
from persx.engine.experiments import decide
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
    page_id: str = "",
) -> Choice:
    """Return the variant this visitor sees (or the base), and the decision with its reason.

    ``page_id`` (the rendered page's primary key, as text) lets page-scoped experiments
    match; without it only site-wide and block-type experiments apply.
    """
    try:
        page = page_decisions(request)
    except Exception:
        logger.exception("personalization context failed; serving generic")
        return Choice(base, NO_PROFILE)
    if not page.enabled:
        choice = Choice(base, DISABLED)
    elif not page.audience_keys:
        choice = Choice(base, NO_PROFILE)
    elif page.experiments_unavailable:
        choice = Choice(base, ERROR)
    else:
        holder: dict[str, Any] = {}

        def decide_block() -> Decision:
            variants = variants_of(value)
            decision = decide(
                page.profile,
                page.audience_keys,
                variants,
                page.experiments,
                page.holdout,
                block_type,
                page_id,
            )
            holder["content"] = variants.get(decision.variant_key, base)
            return decision

        decision, error = page.budget.run(decide_block)
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
