"""Whole-page validation of personalizable blocks (runs in Page.clean on save and publish)."""

from __future__ import annotations

from typing import Any

from persx.content.blocks import PersonalizableBlock, to_plain
from persx.content.schemas import content_errors


def personalized_block_errors(stream: Any) -> list[str]:
    """Messages naming block, variant and field for every invalid personalizable block."""
    from persx.catalog.repository import current_catalog

    catalog = current_catalog()
    messages: list[str] = []
    for position, child in enumerate(stream or (), start=1):
        block = child.block
        if not isinstance(block, PersonalizableBlock):
            continue
        value = to_plain(child.value)
        where = f"{block.block_type} block #{position}"
        base = value.get("base")
        if not base:
            messages.append(f"{where}: the generic base is required")
        else:
            messages.extend(
                f"{where} base: {msg}" for msg in content_errors(block.block_type, base).values()
            )
        seen: set[str] = set()
        for variant in value.get("variants") or ():
            audience = variant.get("audience", "")
            if not catalog.is_valid_audience(audience):
                messages.append(f"{where}: unknown audience '{audience}'")
            if audience in seen:
                messages.append(f"{where}: two variants for '{audience}'")
            seen.add(audience)
            messages.extend(
                f"{where} variant {audience}: {msg}"
                for msg in content_errors(block.block_type, variant.get("content") or {}).values()
            )
    return messages
