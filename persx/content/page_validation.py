"""Whole-page validation of personalizable blocks (runs in Page.clean on save and publish)."""

from __future__ import annotations

from typing import Any

from persx.catalog.repository import current_catalog
from persx.content.blocks import PersonalizableBlock
from persx.content.plain_shape import plain
from persx.content.schemas import content_errors
from persx.content.variant_audiences import audience_errors


def personalized_block_errors(stream: Any) -> list[str]:
    """Messages naming block, variant and field for every invalid personalizable block."""
    catalog = current_catalog()
    messages: list[str] = []
    for position, child in enumerate(stream or (), start=1):
        block = child.block
        if not isinstance(block, PersonalizableBlock):
            continue
        value = plain(child.value)
        where = f"{block.block_type} block #{position}"
        base = value.get("base")
        if not base:
            messages.append(f"{where}: the generic base is required")
        else:
            messages.extend(
                f"{where} base: {msg}" for msg in content_errors(block.block_type, base).values()
            )
        variants = value.get("variants") or ()
        audiences = [variant.get("audience", "") for variant in variants]
        messages.extend(
            f"{where} variant #{index + 1}: {message}"
            for index, message in audience_errors(audiences, catalog).items()
        )
        for variant, audience in zip(variants, audiences, strict=True):
            messages.extend(
                f"{where} variant {audience}: {msg}"
                for msg in content_errors(block.block_type, variant.get("content") or {}).values()
            )
    return messages
