"""Audience keys: the names under which a block's variants are stored.

A variant is keyed ``industry:<slug>`` or ``persona:<slug>``; the base is ``generic``.
"""

from __future__ import annotations

from typing import Literal

GENERIC = "generic"
INDUSTRY_PREFIX = "industry:"
PERSONA_PREFIX = "persona:"

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
