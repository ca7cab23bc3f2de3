"""Wagtail StreamField blocks. Personalizable blocks hold a generic ``base`` and ``variants``.

A personalizable block is a StructBlock of ``base`` (the content) and ``variants``: a list
of (``audience`` = ``industry:<slug>`` / ``persona:<slug>``, ``content`` of the same
shape). At render time the list becomes a dict keyed by audience, so choosing is one
lookup, and the whole thing lives in the page's StreamField JSON (no extra SQL).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from persx.catalog.repository import current_catalog
from persx.content.schemas import content_errors
from persx.content.tagged_index import ranked_entries
from persx.content.variant_audiences import audience_errors
from persx.engine.audience import GENERIC
from persx.engine.decision import Reason
from persx.personalization.context import PageBlock, personalization_of


def audience_choices() -> list[tuple[str, str]]:
    """Every industry and persona of the current catalog, for the variant picker."""
    catalog = current_catalog()
    industries = [(f"industry:{i.slug}", f"Industry · {i.name}") for i in catalog.industries]
    personas = [
        (f"persona:{p.slug}", f"Persona · {p.name} ({catalog.industry(p.industry).name})")  # type: ignore[union-attr]
        for p in catalog.personas
    ]
    return industries + personas


def to_plain(value: Any) -> Any:
    """Block values (StructValue, ListValue, RichText) → plain dicts/lists/strings."""
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | blocks.list_block.ListValue):
        return [to_plain(v) for v in value]
    if hasattr(value, "source"):
        return value.source
    return value


# --- content shapes -----------------------------------------------------------------


class ValidatedContentBlock(blocks.StructBlock):
    """A StructBlock whose value is also checked against its pydantic schema."""

    schema_key: ClassVar[str] = ""
    list_fields: ClassVar[frozenset[str]] = frozenset()

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = content_errors(self.schema_key, to_plain(value))
        if errors:
            block_errors: dict[str, ValidationError] = {}
            non_block: list[ValidationError] = []
            for field, message in errors.items():
                if field in self.child_blocks and field in self.list_fields:
                    block_errors[field] = ListBlockValidationError(
                        non_block_errors=[ValidationError(message)]
                    )
                elif field in self.child_blocks:
                    block_errors[field] = ValidationError(message)
                else:
                    non_block.append(ValidationError(message))
            raise StructBlockValidationError(block_errors=block_errors, non_block_errors=non_block)
        return value


class HeroContentBlock(ValidatedContentBlock):
    schema_key = "hero"
    eyebrow = blocks.CharBlock(required=False, max_length=60)
    headline = blocks.CharBlock(max_length=120)
    subheadline = blocks.TextBlock(required=False, max_length=300)
    cta_label = blocks.CharBlock(required=False, max_length=40, label="Button label")
    cta_url = blocks.CharBlock(required=False, max_length=200, label="Button link")


class FeatureBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock(required=False, max_length=400)


class FeatureGridContentBlock(ValidatedContentBlock):
    schema_key = "feature_grid"
    list_fields = frozenset({"features"})
    headline = blocks.CharBlock(max_length=120)
    intro = blocks.TextBlock(required=False, max_length=400)
    features = blocks.ListBlock(FeatureBlock(), min_num=2, max_num=6)


class ContactFormContentBlock(ValidatedContentBlock):
    schema_key = "contact_form"
    list_fields = frozenset({"reasons"})
    headline = blocks.CharBlock(max_length=120)
    intro = blocks.TextBlock(required=False, max_length=400)
    reasons = blocks.ListBlock(
        blocks.CharBlock(max_length=200),
        min_num=3,
        max_num=7,
        help_text="3–7 reasons to reach out.",
    )
    submit_label = blocks.CharBlock(max_length=40, default="Send")


class CtaContentBlock(ValidatedContentBlock):
    schema_key = "cta"
    headline = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    button_label = blocks.CharBlock(max_length=40)
    button_url = blocks.CharBlock(max_length=200)


class TestimonialContentBlock(ValidatedContentBlock):
    schema_key = "testimonial"
    quote = blocks.TextBlock(max_length=600)
    name = blocks.CharBlock(max_length=120)
    title = blocks.CharBlock(required=False, max_length=120)
    company = blocks.CharBlock(required=False, max_length=120)


class RelatedContentBlock(ValidatedContentBlock):
    schema_key = "related"
    headline = blocks.CharBlock(max_length=120)
    intro = blocks.TextBlock(required=False, max_length=300)


# --- personalizable wrappers --------------------------------------------------------


class PersonalizableBlock(blocks.StructBlock):
    """``base`` + ``variants``; rendering asks the engine which one this visitor sees."""

    block_type: ClassVar[str] = ""
    converted_cache_size: ClassVar[int] = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._converted: OrderedDict[str, Any] = OrderedDict()

    def bulk_to_python(self, values: Iterable[Any]) -> list[Any]:
        """Convert raw JSON to block values, reusing conversions of identical JSON.

        A block with many variants (Contact has 21) costs milliseconds to convert on every
        page view; published content rarely changes, so each distinct raw value is converted
        once per process. Values are shared read-only (rendering never mutates them).
        """
        values = list(values)
        keys = [json.dumps(v, sort_keys=True, separators=(",", ":"), default=str) for v in values]
        missing = [i for i, key in enumerate(keys) if key not in self._converted]
        if missing:
            converted = super().bulk_to_python([values[i] for i in missing])
            for i, value in zip(missing, converted, strict=True):
                self._converted[keys[i]] = value
            while len(self._converted) > self.converted_cache_size:
                self._converted.popitem(last=False)
        result = []
        for key in keys:
            value = self._converted.get(key)
            if value is None:  # evicted by a concurrent conversion: convert just this one
                value = super().bulk_to_python([json.loads(key)])[0]
            result.append(value)
        return result

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        problems = audience_errors((v["audience"] for v in value["variants"]), current_catalog())
        if problems:
            errors = {
                index: StructBlockValidationError(
                    block_errors={"audience": ValidationError(message)}
                )
                for index, message in problems.items()
            }
            raise StructBlockValidationError(
                block_errors={"variants": ListBlockValidationError(block_errors=errors)}
            )
        return value

    def variants_by_audience(self, value: Any) -> dict[str, Any]:
        return {v["audience"]: v["content"] for v in value["variants"]}

    def page_block(self, value: Any) -> PageBlock:
        """This block as the page's one-pass decision needs it (keyed by the value)."""
        return PageBlock(id(value), self.block_type, self.variants_by_audience(value))

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> Any:
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        page = (parent_context or {}).get("page")
        page_pk = getattr(page, "pk", None)
        choice = personalization_of(request).choose(
            self.block_type,
            value["base"],
            self.variants_by_audience(value),
            page_id=str(page_pk) if page_pk is not None else "",
            key=id(value),
        )
        context.update(
            content=choice.content,
            decision=choice.decision,
            variant_key=choice.decision.variant_key if choice.decision else GENERIC,
            block_type=self.block_type,
        )
        return context


class RelatedItemsBlock(PersonalizableBlock):
    """Its headline is personalized; its items are the visitor's best-matching tagged content."""

    item_count: ClassVar[int] = 3

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> Any:
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        profile = personalization_of(request).ranking_profile()
        if context["decision"].reason in (Reason.EXPERIMENT_CONTROL, Reason.HOLDOUT):
            profile = None  # measured as generic: the editorial order, not the visitor's
        try:
            context["posts"] = ranked_entries(profile, kind="post", limit=self.item_count)
            context["ideas"] = ranked_entries(profile, kind="idea", limit=self.item_count)
        except Exception:  # related items are a nicety: an empty list never breaks the page
            context["posts"], context["ideas"] = [], []
        return context


def _personalizable(
    class_name: str,
    block_type: str,
    content_block: type[blocks.StructBlock],
    icon: str,
    label: str,
    description: str,
    base_class: type[PersonalizableBlock] = PersonalizableBlock,
) -> type[PersonalizableBlock]:
    variant_cls = type(
        f"{class_name}Variant",
        (blocks.StructBlock,),
        {
            "__module__": __name__,
            "__qualname__": f"{class_name}Variant",
            "audience": blocks.ChoiceBlock(choices=audience_choices, label="Audience"),
            "content": content_block(),
            "Meta": type(
                "Meta",
                (),
                {"icon": "user", "label": "Variant", "label_format": "Variant for {audience}"},
            ),
        },
    )
    globals()[variant_cls.__name__] = variant_cls
    meta = type(
        "Meta",
        (),
        {
            "icon": icon,
            "label": label,
            "description": description,
            "template": f"content/blocks/{block_type}.html",
        },
    )
    return type(
        class_name,
        (base_class,),
        {
            "__module__": __name__,
            "__qualname__": class_name,
            "block_type": block_type,
            "base": content_block(label="Generic (base) — shown to everyone without a match"),
            "variants": blocks.ListBlock(
                variant_cls(), default=[], label="Variants", collapsed=True
            ),
            "Meta": meta,
        },
    )


HeroBlock = _personalizable(
    "HeroBlock", "hero", HeroContentBlock, "title", "Hero", "Headline, subheadline and a button."
)
FeatureGridBlock = _personalizable(
    "FeatureGridBlock",
    "feature_grid",
    FeatureGridContentBlock,
    "table",
    "Feature grid",
    "A headline and 2–6 features.",
)
ContactFormBlock = _personalizable(
    "ContactFormBlock",
    "contact_form",
    ContactFormContentBlock,
    "mail",
    "Contact form",
    "Headline, 3–7 reasons to reach out, and the contact form.",
)
CtaBlock = _personalizable(
    "CtaBlock", "cta", CtaContentBlock, "pick", "Call to action", "A headline, text and button."
)
TestimonialBlock = _personalizable(
    "TestimonialBlock",
    "testimonial",
    TestimonialContentBlock,
    "openquote",
    "Testimonial",
    "A customer quote.",
)
RelatedBlock = _personalizable(
    "RelatedBlock",
    "related",
    RelatedContentBlock,
    "list-ul",
    "Related for [Industry]",
    "Posts and test ideas tagged for the visitor's industry, best match first.",
    base_class=RelatedItemsBlock,
)

PERSONALIZABLE_BLOCKS: dict[str, type[PersonalizableBlock]] = {
    b.block_type: b
    for b in (
        HeroBlock,
        FeatureGridBlock,
        ContactFormBlock,
        CtaBlock,
        TestimonialBlock,
        RelatedBlock,
    )
}


class TextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "doc-full"
        label = "Text"
        template = "content/blocks/text.html"


def body_blocks() -> list[tuple[str, blocks.Block]]:
    return [(name, cls()) for name, cls in PERSONALIZABLE_BLOCKS.items()] + [
        ("text", TextBlock(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"]))
    ]
