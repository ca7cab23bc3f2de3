"""JSON schemas for the OpenAPI document, written out whole.

A pydantic model's schema keeps its nested models under ``$defs`` and points at them with
``#/$defs/...``; put inside an operation of the OpenAPI document, such a pointer names a
place the document does not have (its root has no ``$defs``), so a client or fuzzer that
follows it fails. :func:`inline_schema` replaces each pointer by the definition it names.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def inline_schema(model: type[BaseModel], *, by_alias: bool = True) -> dict[str, Any]:
    """``model``'s JSON schema with its nested definitions inlined."""
    schema = model.model_json_schema(by_alias=by_alias, ref_template="{model}")
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$ref"} and node["$ref"] in definitions:
                return resolve(definitions[node["$ref"]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
