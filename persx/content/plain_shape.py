"""The one converter to the plain shape of block content: dicts, lists and strings.

What the content schemas, the drafting model and the review form expect. It reads both
forms a block's content takes: Wagtail's block values (StructValue, ListValue, RichText)
and the stored StreamField JSON, where a list item is kept as
``{"type": "item", "value": ..., "id": ...}`` and becomes its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wagtail.blocks.list_block import ListValue


def plain(value: Any) -> Any:
    """Block content (a block value or its stored JSON) → plain dicts/lists/strings."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | ListValue):
        return [
            plain(v["value"])
            if isinstance(v, Mapping) and v.get("type") == "item" and "value" in v
            else plain(v)
            for v in value
        ]
    if hasattr(value, "source"):  # RichText
        return value.source
    return value
