"""Is a model's draft a valid block content? The block's pydantic schema decides.

One difference from validating an editor's form: a field the model left out counts as
blank, so a required text field that is missing is an error (the schemas give text fields
a default of "", which pydantic does not validate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from persx.content.schemas import SCHEMAS, content_errors


def draft_errors(block_type: str, content: Mapping[str, Any]) -> dict[str, str]:
    """``{field: message}`` for a drafted content value (empty when it may be stored)."""
    schema = SCHEMAS[block_type]
    blanks = {name: "" for name, info in schema.model_fields.items() if info.annotation is str}
    return content_errors(block_type, {**blanks, **dict(content)})
