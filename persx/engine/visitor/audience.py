"""Audience keys: the names under which a block's variants are stored.

A variant is keyed ``industry:<slug>`` or ``persona:<slug>``; the base is ``generic``.
An AI challenger of an audience's variant is keyed ``<audience>~ai``: natural selection
never picks it (no visitor has that key); only an experiment's variant arm serves it, and
only to visitors who would otherwise see the audience's own variant.
"""

from __future__ import annotations

from typing import Literal

GENERIC = "generic"
INDUSTRY_PREFIX = "industry:"
PERSONA_PREFIX = "persona:"
CHALLENGER_SUFFIX = "~ai"

AudienceKind = Literal["industry", "persona"]


def industry_key(slug: str) -> str:
    return INDUSTRY_PREFIX + slug


def persona_key(slug: str) -> str:
    return PERSONA_PREFIX + slug


def parse_audience(key: str) -> tuple[AudienceKind, str] | None:
    """Split ``industry:saas`` into ``("industry", "saas")``; None when not an audience key."""
    kind, sep, slug = key.partition(":")
    if not sep or not slug:
        return None
    if kind == "industry":
        return ("industry", slug)
    if kind == "persona":
        return ("persona", slug)
    return None


def challenger_key(audience: str) -> str:
    """``industry:saas`` → ``industry:saas~ai`` (the AI challenger of that variant)."""
    return audience + CHALLENGER_SUFFIX


def challenged_audience(key: str) -> str | None:
    """``industry:saas~ai`` → ``industry:saas``; None when ``key`` is not a challenger."""
    if key.endswith(CHALLENGER_SUFFIX) and len(key) > len(CHALLENGER_SUFFIX):
        return key[: -len(CHALLENGER_SUFFIX)]
    return None
