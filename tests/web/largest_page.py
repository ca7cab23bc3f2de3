"""The largest legitimate page an editor can build: the sizing case for the admin's field limit.

Every personalizable block type once, each with a variant for every audience of the catalog
(its industries and personas: 20 in the demo), every list at its longest (6 features, 7
reasons) and a text block. Its edit form is what ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (the
admin's limit, persx/settings/base.py) is measured against.
"""

from __future__ import annotations

from typing import Any

from wagtail import blocks
from wagtail.models import Page

from persx.catalog.repository import current_catalog
from persx.content.models import HomePage, StandardPage
from persx.demo.services import stream_data
from persx.engine.visitor.audience import industry_key, persona_key

SLUG = "every-audience"
# What Chromium posts when an editor saves this page (measured by
# tests/browser/test_editor_journeys.py, which checks it stays within 5% of this).
EDIT_FORM_FIELDS = 2_843
TITLE = "Every block for every audience"


def content(block_type: str, label: str) -> dict[str, Any]:
    """One block's content with every field filled and every list at its longest."""
    if block_type == "hero":
        return {
            "eyebrow": f"For {label}",
            "headline": f"Hero for {label}",
            "subheadline": f"Subheadline for {label}.",
            "cta_label": "Tailor this site",
            "cta_url": "/start/",
        }
    if block_type == "feature_grid":
        return {
            "headline": f"Features for {label}",
            "intro": f"Intro for {label}.",
            "features": [{"title": f"Feature {n}", "text": f"Text {n}."} for n in range(1, 7)],
        }
    if block_type == "contact_form":
        return {
            "headline": f"Contact for {label}",
            "intro": f"Intro for {label}.",
            "reasons": [f"Reason {n} for {label}" for n in range(1, 8)],
            "submit_label": "Send",
        }
    if block_type == "cta":
        return {
            "headline": f"CTA for {label}",
            "text": f"Text for {label}.",
            "button_label": "Book a demo",
            "button_url": "/contact/",
        }
    if block_type == "testimonial":
        return {
            "quote": f"A quote for {label}.",
            "name": "Alex Morgan",
            "title": "Head of Growth",
            "company": "Example Co",
        }
    if block_type == "related":
        return {"headline": f"Related for {label}", "intro": f"Intro for {label}."}
    raise ValueError(f"unknown block type {block_type!r}")


BLOCK_TYPES = ("hero", "feature_grid", "contact_form", "cta", "testimonial", "related")


def audiences() -> list[str]:
    catalog = current_catalog()
    return [industry_key(i.slug) for i in catalog.industries] + [
        persona_key(p.slug) for p in catalog.personas
    ]


def demo_blocks() -> list[dict[str, Any]]:
    """The page's body in the demo file's format (``persx/demo/data/site.json``)."""
    body: list[dict[str, Any]] = [
        {
            "type": block_type,
            "base": content(block_type, "everyone"),
            "variants": [
                {"audience": audience, "content": content(block_type, audience)}
                for audience in audiences()
            ],
        }
        for block_type in BLOCK_TYPES
    ]
    body.append({"type": "text", "html": "<p>Every block, every audience.</p>"})
    return body


def build() -> StandardPage:
    """Create (or return) the page under the home page, published."""
    home = HomePage.objects.get()
    existing = Page.objects.child_of(home).filter(slug=SLUG).first()
    if existing is not None:
        return StandardPage.objects.get(pk=existing.pk)
    page = StandardPage(title=TITLE, slug=SLUG, body=stream_data(demo_blocks()))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


# --- the edit form's POST data, as the editor's browser sends it -------------------------


def block_form_data(block: blocks.Block, value: Any, prefix: str) -> list[tuple[str, str]]:
    """The fields Wagtail's editor posts for one block value (its ``value_from_datadict``
    format: ``-count``/``-type``/``-value``/``-deleted``/``-order``/``-id``)."""
    if isinstance(block, blocks.StreamBlock):
        fields = [(f"{prefix}-count", str(len(value)))]
        for i, child in enumerate(value):
            at = f"{prefix}-{i}"
            fields += [(f"{at}-type", child.block_type), (f"{at}-id", child.id or "")]
            fields += [(f"{at}-deleted", ""), (f"{at}-order", str(i))]
            fields += block_form_data(child.block, child.value, f"{at}-value")
        return fields
    if isinstance(block, blocks.ListBlock):
        items = list(value.bound_blocks)
        fields = [(f"{prefix}-count", str(len(items)))]
        for i, item in enumerate(items):
            at = f"{prefix}-{i}"
            fields += [(f"{at}-id", item.id or ""), (f"{at}-deleted", ""), (f"{at}-order", str(i))]
            fields += block_form_data(block.child_block, item.value, f"{at}-value")
        return fields
    if isinstance(block, blocks.StructBlock):
        fields = []
        for name, child in block.child_blocks.items():
            fields += block_form_data(child, value[name], f"{prefix}-{name}")
        return fields
    state = block.get_form_state(value)
    if isinstance(state, list):
        return [(prefix, str(v)) for v in state]
    return [(prefix, "" if state is None else str(state))]


def edit_form_data(page: StandardPage, **changes: str) -> dict[str, list[str]]:
    """The POST of the page's edit form, unchanged but for ``changes`` (by field name)."""
    fields: list[tuple[str, str]] = [
        ("title", page.title),
        ("slug", page.slug),
        ("seo_title", page.seo_title or ""),
        ("search_description", page.search_description or ""),
        ("go_live_at", ""),
        ("expire_at", ""),
        ("comments-TOTAL_FORMS", "0"),
        ("comments-INITIAL_FORMS", "0"),
        ("comments-MIN_NUM_FORMS", "0"),
        ("comments-MAX_NUM_FORMS", "1000"),
    ]
    body_block = page.body.stream_block
    fields += block_form_data(body_block, page.body, "body")
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(changes.get(name, value))
    return data
