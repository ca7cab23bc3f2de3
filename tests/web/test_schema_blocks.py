"""The CMS blocks editors use carry exactly the limits of the content schemas.

The oracle is pydantic's own JSON Schema of each model (an independent reading of the
same declarations), not the code that derives the Wagtail blocks.
"""

from __future__ import annotations

from typing import Any

import pytest
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from persx.content.blocks import PERSONALIZABLE_BLOCKS, VariantBlock
from persx.content.schemas import SCHEMAS, content_errors


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(root["$defs"][ref.rsplit("/", 1)[-1]])
    return schema


def _check_struct(struct: blocks.StructBlock, schema: dict[str, Any], root: dict[str, Any]) -> int:
    checked = 0
    properties = schema["properties"]
    required = set(schema.get("required", ()))
    assert list(struct.child_blocks) == list(properties)
    for name, child in struct.child_blocks.items():
        prop = _resolve(properties[name], root)
        if prop.get("type") == "array":
            assert isinstance(child, blocks.ListBlock), name
            assert child.meta.min_num == prop.get("minItems"), name
            assert child.meta.max_num == prop.get("maxItems"), name
            items = _resolve(prop["items"], root)
            if items.get("type") == "object":
                checked += _check_struct(child.child_block, items, root)
            else:
                assert child.child_block.field.max_length == items.get("maxLength"), name
        else:
            assert child.field.max_length == prop.get("maxLength"), name
            may_be_blank = name not in required and not prop.get("minLength")
            assert child.required is not may_be_blank, name
            multiline = bool(prop.get("multiline"))
            assert isinstance(child, blocks.TextBlock) is multiline, name
        checked += 1
    return checked


@pytest.mark.parametrize("block_type", sorted(SCHEMAS))
def test_every_field_of_the_cms_block_matches_the_schema(block_type: str) -> None:
    root = SCHEMAS[block_type].model_json_schema()
    block = PERSONALIZABLE_BLOCKS[block_type]()
    base = block.child_blocks["base"]
    content = block.child_blocks["variants"].child_block.child_blocks["content"]
    assert _check_struct(base, root, root) == _check_struct(content, root, root) >= 2


@pytest.mark.parametrize("block_type", sorted(PERSONALIZABLE_BLOCKS))
def test_every_block_s_variants_are_the_one_variant_block_of_its_base_content(
    block_type: str,
) -> None:
    block = PERSONALIZABLE_BLOCKS[block_type]()
    variant = block.child_blocks["variants"].child_block
    assert isinstance(variant, VariantBlock)
    assert list(variant.child_blocks) == ["audience", "content", "live_from", "live_until"]
    assert type(variant.child_blocks["content"]) is type(block.child_blocks["base"])
    assert variant.meta.label_format == "Variant for {audience}"


@pytest.mark.django_db
def test_one_character_over_the_limit_is_refused_by_the_cms_block() -> None:
    block = PERSONALIZABLE_BLOCKS["hero"]()
    base = block.child_blocks["base"]
    limit = SCHEMAS["hero"].model_json_schema()["properties"]["headline"]["maxLength"]
    ok = base.to_python({"headline": "x" * limit})
    base.clean(ok)
    too_long = base.to_python({"headline": "x" * (limit + 1)})
    with pytest.raises(StructBlockValidationError) as refused:
        base.clean(too_long)
    assert list(refused.value.block_errors) == ["headline"]


@pytest.mark.parametrize("block_type", sorted(SCHEMAS))
def test_a_required_field_that_is_missing_is_an_error(block_type: str) -> None:
    schema = SCHEMAS[block_type].model_json_schema()
    for field in schema.get("required", []):
        errors = content_errors(block_type, {})
        assert field in errors, (block_type, field)
