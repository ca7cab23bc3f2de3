"""Variant selection: persona variant > industry variant > generic."""

from __future__ import annotations

from collections.abc import Container, Sequence

from persx.engine.deciding.decision import NO_PROFILE, VARIANT_MISSING, Decision, Reason
from persx.engine.visitor.audience import PERSONA_PREFIX

_PERSONA_MATCH_CACHE: dict[str, Decision] = {}
_INDUSTRY_MATCH_CACHE: dict[str, Decision] = {}


def _matched(key: str) -> Decision:
    """Decisions are immutable and few: reuse one instance per key (keeps decide() cheap)."""
    cache = _PERSONA_MATCH_CACHE if key.startswith(PERSONA_PREFIX) else _INDUSTRY_MATCH_CACHE
    decision = cache.get(key)
    if decision is None:
        reason = Reason.PERSONA_MATCH if key.startswith(PERSONA_PREFIX) else Reason.INDUSTRY_MATCH
        decision = cache.setdefault(key, Decision(key, reason))
    return decision


def select_variant(audience_keys: Sequence[str], available: Container[str]) -> Decision:
    """Pick the most specific available variant for a visitor.

    ``audience_keys`` are the visitor's keys, most specific first (see
    :meth:`VisitorProfile.audience_keys`); ``available`` holds the block's variant keys.
    """
    if not audience_keys:
        return NO_PROFILE
    for key in audience_keys:
        if key in available:
            return _matched(key)
    return VARIANT_MISSING
