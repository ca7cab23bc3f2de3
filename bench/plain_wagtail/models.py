"""The baseline: a plain Wagtail page with the same StreamField content, one version each.

Each personalizable block becomes the plain StructBlock of its content (the same fields,
the same block template, no ``variants``, no decision): what the page would be on a site
without personalization. The block templates read ``content`` and ``variant_key``, so the
plain blocks pass their value as ``content`` and ``generic`` as the key; the HTML is the
same as the personalized page's generic rendering. The contact form keeps its CSRF token
(a plain site needs it too) and the Related block ranks in editorial order (no profile).

Routing: the pages live under the demo home page, whose route table (persx.content.
routing) resolves them like the personalized pages, and they use the same view-
restriction lookup, so the comparison isolates personalization, not routing.
"""

from __future__ import annotations

from typing import Any

from wagtail.blocks import StreamBlock
from wagtail.fields import StreamField
from wagtail.models import Page

from persx.content import blocks as persx_blocks
from persx.content.models import CachedRoutingMixin
from persx.content.tagged_index import ranked_entries
from persx.engine.visitor.audience import GENERIC


class PlainContentMixin:
    """A plain StructBlock rendered by the same template: its value is the ``content``."""

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> Any:
        parent: Any = super()
        context = parent.get_context(value, parent_context=parent_context)
        context.update(content=value, variant_key=GENERIC)
        return context


class PlainHero(PlainContentMixin, persx_blocks.HeroContentBlock):
    pass


class PlainFeatureGrid(PlainContentMixin, persx_blocks.FeatureGridContentBlock):
    pass


class PlainContactForm(PlainContentMixin, persx_blocks.ContactFormContentBlock):
    pass


class PlainCta(PlainContentMixin, persx_blocks.CtaContentBlock):
    pass


class PlainTestimonial(PlainContentMixin, persx_blocks.TestimonialContentBlock):
    pass


class PlainRelated(PlainContentMixin, persx_blocks.RelatedContentBlock):
    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> Any:
        context = super().get_context(value, parent_context=parent_context)
        context["posts"] = ranked_entries(None, kind="post", limit=3)
        context["ideas"] = ranked_entries(None, kind="idea", limit=3)
        return context


def plain_body() -> StreamBlock:
    t = "content/blocks/{}.html".format
    return StreamBlock(
        [
            ("hero", PlainHero(template=t("hero"))),
            ("feature_grid", PlainFeatureGrid(template=t("feature_grid"))),
            ("contact_form", PlainContactForm(template=t("contact_form"))),
            ("cta", PlainCta(template=t("cta"))),
            ("testimonial", PlainTestimonial(template=t("testimonial"))),
            ("related", PlainRelated(template=t("related"))),
            ("text", persx_blocks.TextBlock()),
        ]
    )


class PlainPage(CachedRoutingMixin, Page):
    body = StreamField(plain_body(), blank=True)
    template = "content/pages/standard_page.html"


def plain_copy(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A personalized page's StreamField JSON with each block reduced to its base."""
    copy = []
    for block in raw:
        value = block["value"]
        if block["type"] != "text":
            value = value["base"]
        copy.append({"type": block["type"], "value": value, "id": block.get("id")})
    return copy
