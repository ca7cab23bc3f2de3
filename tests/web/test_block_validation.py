"""Blocks are validated against their schemas on save and publish; errors name the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from persx.content.blocks import ContactFormBlock, HeroBlock
from persx.content.models import StandardPage

REASONS = ["One clear reason", "Another clear reason", "A third clear reason"]
BASE = {"headline": "Talk to us", "intro": "", "reasons": REASONS, "submit_label": "Send"}


def contact_value(base: dict[str, Any], variants: list[dict[str, Any]] | None = None) -> Any:
    block = ContactFormBlock()
    return block, block.to_python({"base": base, "variants": variants or []})


def error_json(exc: ValidationError) -> str:
    return json.dumps(exc.as_json_data()) if hasattr(exc, "as_json_data") else str(exc)


@pytest.mark.django_db
def test_valid_block_passes() -> None:
    block, value = contact_value(BASE, [{"audience": "industry:saas", "content": BASE}])
    assert block.clean(value)["base"]["headline"] == "Talk to us"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("base", "needle"),
    [
        ({**BASE, "reasons": REASONS[:2]}, "reasons"),
        ({**BASE, "reasons": [*REASONS, *REASONS, "seven", "eight"]}, "reasons"),
        ({**BASE, "headline": ""}, "headline"),
        ({**BASE, "headline": "   "}, "headline"),
    ],
)
def test_invalid_base_is_refused_naming_the_field(base: dict[str, Any], needle: str) -> None:
    block, value = contact_value(base)
    with pytest.raises(StructBlockValidationError) as info:
        block.clean(value)
    assert needle in error_json(info.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variants", "needle"),
    [
        ([{"audience": "industry:mining", "content": BASE}], "audience"),
        (
            [
                {"audience": "industry:saas", "content": BASE},
                {"audience": "industry:saas", "content": BASE},
            ],
            "two variants",
        ),
        ([{"audience": "industry:saas", "content": {**BASE, "reasons": ["only one"]}}], "reasons"),
    ],
)
def test_invalid_variants_are_refused(variants: list[dict[str, Any]], needle: str) -> None:
    block, value = contact_value(BASE, variants)
    with pytest.raises(ValidationError) as info:
        block.clean(value)
    assert needle in error_json(info.value)


@pytest.mark.django_db
def test_hero_link_must_be_a_site_path_or_http_url() -> None:
    block = HeroBlock()
    value = block.to_python(
        {
            "base": {"headline": "Hi", "cta_label": "Go", "cta_url": "javascript:alert(1)"},
            "variants": [],
        }
    )
    with pytest.raises(StructBlockValidationError) as info:
        block.clean(value)
    assert "cta_url" in error_json(info.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stream", "needle"),
    [
        (
            [
                {
                    "type": "contact_form",
                    "value": {"base": {**BASE, "reasons": REASONS[:1]}, "variants": []},
                }
            ],
            "reasons",
        ),
        ([{"type": "contact_form", "value": {"base": {}, "variants": []}}], "base"),
        (
            [
                {
                    "type": "contact_form",
                    "value": {
                        "base": BASE,
                        "variants": [{"audience": "persona:nobody", "content": BASE}],
                    },
                }
            ],
            "persona:nobody",
        ),
    ],
)
def test_page_with_invalid_block_cannot_be_saved_or_published(
    stream: list[dict[str, Any]], needle: str
) -> None:
    contact = StandardPage.objects.get(slug="contact")
    revisions_before = contact.revisions.count()
    contact.body = json.dumps(stream)
    with pytest.raises(ValidationError) as info:
        contact.save_revision().publish()
    assert needle in str(info.value)
    assert contact.revisions.count() == revisions_before
    contact.refresh_from_db()
    assert any(child.block_type == "contact_form" for child in contact.body)


@pytest.mark.django_db
def test_valid_edit_publishes() -> None:
    contact = StandardPage.objects.get(slug="contact")
    contact.body = json.dumps(
        [
            {
                "type": "contact_form",
                "value": {
                    "base": BASE,
                    "variants": [{"audience": "industry:saas", "content": BASE}],
                },
            }
        ]
    )
    contact.save_revision().publish()
    contact.refresh_from_db()
    assert contact.body[0].value["variants"][0]["audience"] == "industry:saas"
