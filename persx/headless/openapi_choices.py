"""The choices ``POST /api/decisions`` enforces, stated in the OpenAPI document as they are
now: the live pages (URL paths and ids), the block keys, and the catalog's industries and
personas (they change when an editor publishes or edits the catalog)."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError

from persx.catalog.repository import current_catalog
from persx.content.page_personalization import served_children
from persx.headless.decisions import block_key
from persx.headless.directory import live_pages
from persx.headless.schemas import MAX_BLOCKS


def _operation_schema(document: dict[str, Any]) -> dict[str, Any] | None:
    operation = document.get("paths", {}).get("/api/decisions", {}).get("post")
    if operation is None:
        return None
    content = operation.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


def document_decision_choices(document: dict[str, Any]) -> None:
    schema = _operation_schema(document)
    if schema is None or "properties" not in schema:
        return
    try:
        pages = live_pages()
        catalog = current_catalog()
    except DatabaseError:  # the document is still served; the operation answers 503 meanwhile
        return
    properties = schema["properties"]
    page_choices = [
        {"type": "string", "enum": [url for url, _ in pages]},
        {"type": "integer", "enum": [page.pk for _, page in pages]},
    ]
    properties["page"]["anyOf"] = [*page_choices, {"type": "null"}]
    keys = [block_key(page.pk, i) for _, page in pages for i, _b, _v in served_children(page)]
    block_list = {
        "type": "array",
        "items": {"type": "string", "enum": keys},
        "maxItems": MAX_BLOCKS,
    }
    properties["blocks"]["anyOf"] = [block_list, {"type": "null"}]
    # At least one of them (without both: 422 naming page).
    schema["anyOf"] = [
        {"required": ["page"], "properties": {"page": {"anyOf": page_choices}}},
        {
            "required": ["blocks"],
            "properties": {"blocks": {"anyOf": [{**block_list, "minItems": 1}]}},
        },
    ]
    visitor = properties["visitor"]
    for branch in visitor.get("anyOf", [visitor]):
        fields = branch.get("properties")
        if not fields:
            continue
        for field, slugs in (
            ("industry", [i.slug for i in catalog.industries]),
            ("persona", [p.slug for p in catalog.personas]),
        ):
            for option in fields[field].get("anyOf", [fields[field]]):
                if option.get("type") == "string":
                    option["enum"] = slugs
