"""Wagtail child blocks derived from a content schema (``persx.content.schemas``).

So the limits editors meet in the CMS are the limits the schema validates, written once:
a text field becomes a ``CharBlock`` (or a ``TextBlock`` when the schema marks it
multi-line) with the same ``max_length``; a field that may not be blank is required; a list
becomes a ``ListBlock`` with the same ``min_num``/``max_num``; a nested model becomes a
``StructBlock``. Only options that differ from Wagtail's defaults are passed, so the block
definitions (and the migrations that record them) stay as small as hand-written ones.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from annotated_types import MaxLen, MinLen
from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from wagtail import blocks


def _lengths(metadata: list[Any]) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for item in metadata:
        if isinstance(item, MinLen):
            low = item.min_length
        elif isinstance(item, MaxLen):
            high = item.max_length
        elif isinstance(item, StringConstraints):
            low = item.min_length if item.min_length is not None else low
            high = item.max_length if item.max_length is not None else high
    return low, high


def _text_block(
    min_length: int | None,
    max_length: int | None,
    *,
    multiline: bool = False,
    label: str | None = None,
    default: Any = None,
    required: bool = True,
) -> blocks.Block:
    options: dict[str, Any] = {}
    if not required:
        options["required"] = False
    if max_length is not None:
        options["max_length"] = max_length
    if label:
        options["label"] = label
    if default not in (None, ""):
        options["default"] = default
    cls = blocks.TextBlock if multiline else blocks.CharBlock
    return cls(**options)


def _element_block(annotation: Any) -> blocks.Block:
    """The block of one list element: a nested model or a constrained string."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return blocks.StructBlock(schema_children(annotation))
    if get_origin(annotation) is not None and get_args(annotation):  # Annotated[str, ...]
        base, *metadata = get_args(annotation)
        if base is str:
            _, high = _lengths(list(metadata))
            return _text_block(None, high)
    if annotation is str:
        return blocks.CharBlock()
    raise TypeError(f"no block for list elements of type {annotation!r}")


def field_block(info: FieldInfo) -> blocks.Block:
    """The Wagtail block for one schema field."""
    annotation = info.annotation
    low, high = _lengths(list(info.metadata))
    if get_origin(annotation) is list:
        (element,) = get_args(annotation)
        options: dict[str, Any] = {}
        if low is not None:
            options["min_num"] = low
        if high is not None:
            options["max_num"] = high
        if info.description:
            options["help_text"] = info.description
        return blocks.ListBlock(_element_block(element), **options)
    if annotation is str:
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = None if info.default is PydanticUndefined else info.default
        return _text_block(
            low,
            high,
            multiline=bool(extra.get("multiline")),
            label=info.title,
            default=default,
            required=info.is_required() or bool(low),
        )
    raise TypeError(f"no block for a field of type {annotation!r}")


def schema_children(schema: type[BaseModel]) -> list[tuple[str, blocks.Block]]:
    """The child blocks of a StructBlock that edits ``schema``, in field order."""
    return [(name, field_block(info)) for name, info in schema.model_fields.items()]
