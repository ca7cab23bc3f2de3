"""Merge fields: an email template's per-contact content as named columns.

For email platforms that send themselves (Mailchimp, HubSpot, …): one row per contact with
the content PersX chose for them, each field under a name the platforms accept as a merge
tag or personalization token. Mailchimp merge tags are upper-case letters, digits and
underscores, at most 10 characters (``*|HERO_HEAD|*``); HubSpot matches an import column
to a contact property by its name. Every column name here keeps both rules:
:data:`COLUMN_NAME` (tests/web/test_email_templates.py checks every header against it).

Blocks are named by a prefix per block type, numbered from the second block of a type on
(``HERO``, ``HERO2``); rich-text blocks are the same for every contact and are not exported.
The mapping is written out in docs/email.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from persx.campaigns.rendering import EmailParts, RenderedBlock
from persx.engine.deciding import block_types

COLUMN_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
MAX_FEATURES = 6  # the feature grid's schema allows 2–6

CONTACT_COLUMNS = (
    "EMAIL",
    "INDUSTRY",
    "PERSONA",
    "EXPERIMENT",
    "ARM",
    "SUBJECT",
    "PREHEADER",
)
UNSUBSCRIBE_COLUMN = "UNSUB_URL"

PREFIXES: Mapping[str, str] = {
    block_types.HERO: "HERO",
    block_types.CTA: "CTA",
    block_types.TESTIMONIAL: "QUOTE",
    block_types.FEATURE_GRID: "FEAT",
}
# Each block type's content fields → the column suffix ("" names the prefix alone).
FIELD_SUFFIXES: Mapping[str, tuple[tuple[str, str], ...]] = {
    block_types.HERO: (
        ("eyebrow", "_EYEB"),
        ("headline", "_HEAD"),
        ("subheadline", "_TEXT"),
        ("cta_label", "_BTN"),
        ("cta_url", "_URL"),
    ),
    block_types.CTA: (
        ("headline", "_HEAD"),
        ("text", "_TEXT"),
        ("button_label", "_BTN"),
        ("button_url", "_URL"),
    ),
    block_types.TESTIMONIAL: (
        ("quote", ""),
        ("name", "_NAME"),
        ("title", "_ROLE"),
        ("company", "_CO"),
    ),
    block_types.FEATURE_GRID: (("headline", "_HEAD"), ("intro", "_INTRO")),
}
VARIANT_SUFFIX = "_VAR"


def block_prefixes(blocks: Iterable[RenderedBlock]) -> list[tuple[RenderedBlock, str]]:
    """Each exported block with its column prefix (``HERO``, ``HERO2``, …)."""
    counts: dict[str, int] = {}
    named = []
    for block in blocks:
        prefix = PREFIXES.get(block.block_type)
        if prefix is None:
            continue
        counts[prefix] = counts.get(prefix, 0) + 1
        named.append((block, prefix if counts[prefix] == 1 else f"{prefix}{counts[prefix]}"))
    return named


def block_columns(block_type: str, prefix: str) -> list[str]:
    columns = [prefix + VARIANT_SUFFIX]
    columns += [prefix + suffix for _, suffix in FIELD_SUFFIXES[block_type]]
    if block_type == block_types.FEATURE_GRID:
        for n in range(1, MAX_FEATURES + 1):
            columns += [f"{prefix}_T{n}", f"{prefix}_X{n}"]
    return columns


def header(parts: EmailParts) -> list[str]:
    """The columns of a template's export (its blocks decide them, not the contact)."""
    columns = list(CONTACT_COLUMNS)
    for block, prefix in block_prefixes(parts.blocks):
        columns += block_columns(block.block_type, prefix)
    columns.append(UNSUBSCRIBE_COLUMN)
    return columns


def row(parts: EmailParts, contact_fields: Mapping[str, str]) -> dict[str, str]:
    """One contact's values by column."""
    experiments: list[str] = []
    arms: list[str] = []
    for choice in parts.choices:
        if choice.experiment and choice.experiment not in experiments:
            experiments.append(choice.experiment)
            arms.append(choice.arm)
    values: dict[str, str] = {
        **contact_fields,
        "EXPERIMENT": ";".join(experiments),
        "ARM": ";".join(arms),
        "SUBJECT": parts.subject,
        "PREHEADER": parts.preheader,
        UNSUBSCRIBE_COLUMN: parts.unsubscribe_url,
    }
    for block, prefix in block_prefixes(parts.blocks):
        values.update(_block_values(block, prefix))
    return values


def _block_values(block: RenderedBlock, prefix: str) -> Iterator[tuple[str, str]]:
    content: Mapping[str, Any] = block.content if isinstance(block.content, Mapping) else {}
    yield prefix + VARIANT_SUFFIX, block.choice.variant if block.choice else ""
    for field, suffix in FIELD_SUFFIXES[block.block_type]:
        yield prefix + suffix, str(content.get(field) or "")
    if block.block_type == block_types.FEATURE_GRID:
        features = list(content.get("features") or ())[:MAX_FEATURES]
        for n, feature in enumerate(features, start=1):
            yield f"{prefix}_T{n}", str(feature.get("title") or "")
            yield f"{prefix}_X{n}", str(feature.get("text") or "")
