"""Wagtail StreamField blocks. Personalizable blocks hold a generic ``base`` and ``variants``.

A personalizable block is a StructBlock of ``base`` (the content) and ``variants``: a list
of (``audience`` = ``industry:<slug>`` / ``persona:<slug>``, ``content`` of the same
shape, and an optional ``live_from``/``live_until`` window). At render time the list becomes
a dict keyed by audience, so choosing is one lookup, and the whole thing lives in the page's
StreamField JSON (no extra SQL).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar

from cachetools import LRUCache
from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from wagtail import blocks
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from persx.catalog.audience_choices import audience_choices
from persx.catalog.repository import current_catalog
from persx.content.fragment_cache import render_fragment
from persx.content.plain_shape import plain
from persx.content.schema_blocks import schema_children
from persx.content.schemas import SCHEMAS, content_errors
from persx.content.tagged_index import ranked_entries
from persx.content.variant_audiences import audience_errors
from persx.engine.deciding import block_types
from persx.engine.deciding.decision import Reason
from persx.engine.deciding.schedule import Window
from persx.engine.visitor.audience import GENERIC
from persx.personalization.context import NO_WINDOWS, Choice, PageBlock, personalization_of

# --- content shapes (derived from persx.content.schemas) -----------------------------


class ValidatedContentBlock(blocks.StructBlock):
    """A StructBlock whose fields come from a pydantic schema and whose value is checked
    against that schema on every save and publish."""

    schema_key: ClassVar[str] = ""

    def __init__(self, local_blocks: Any = None, **kwargs: Any) -> None:
        children = schema_children(SCHEMAS[self.schema_key])
        super().__init__(local_blocks=[*children, *(local_blocks or ())], **kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = content_errors(self.schema_key, plain(value))
        if errors:
            block_errors: dict[str, ValidationError] = {}
            non_block: list[ValidationError] = []
            for field, message in errors.items():
                child = self.child_blocks.get(field)
                if isinstance(child, blocks.ListBlock):
                    block_errors[field] = ListBlockValidationError(
                        non_block_errors=[ValidationError(message)]
                    )
                elif child is not None:
                    block_errors[field] = ValidationError(message)
                else:
                    non_block.append(ValidationError(message))
            raise StructBlockValidationError(block_errors=block_errors, non_block_errors=non_block)
        return value


class HeroContentBlock(ValidatedContentBlock):
    schema_key = block_types.HERO


class FeatureGridContentBlock(ValidatedContentBlock):
    schema_key = block_types.FEATURE_GRID


class ContactFormContentBlock(ValidatedContentBlock):
    schema_key = block_types.CONTACT_FORM


class CtaContentBlock(ValidatedContentBlock):
    schema_key = block_types.CTA


class TestimonialContentBlock(ValidatedContentBlock):
    schema_key = block_types.TESTIMONIAL


class RelatedContentBlock(ValidatedContentBlock):
    schema_key = block_types.RELATED


class NewsletterSignupContentBlock(ValidatedContentBlock):
    schema_key = block_types.NEWSLETTER_SIGNUP


# --- personalizable wrappers --------------------------------------------------------


class PersonalizableBlock(blocks.StructBlock):
    """``base`` + ``variants``; rendering asks the engine which one this visitor sees."""

    block_type: ClassVar[str] = ""
    converted_cache_size: ClassVar[int] = 256
    # Its template reads only ``content`` and ``variant_key`` (audited; persx.content.
    # fragment_cache): the rendered HTML is cached per process. Blocks that read the
    # request (CSRF token, path) or rank for the visitor set this to False.
    fragment_cacheable: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shared by a worker's threads; cachetools' caches are not thread-safe by themselves.
        self._converted: LRUCache[str, Any] = LRUCache(maxsize=self.converted_cache_size)
        self._converted_lock = threading.Lock()

    def bulk_to_python(self, values: Iterable[Any]) -> list[Any]:
        """Convert raw JSON to block values, reusing conversions of identical JSON.

        A block with many variants (Contact has 21) costs milliseconds to convert on every
        page view; published content rarely changes, so each distinct raw value is converted
        once per process (a bounded LRU: new revisions and previews push out the least
        recently served). Values are shared read-only (rendering never mutates them).
        """
        values = list(values)
        keys = [json.dumps(v, sort_keys=True, separators=(",", ":"), default=str) for v in values]
        with self._converted_lock:
            found = {key: self._converted[key] for key in keys if key in self._converted}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:  # converted outside the lock: two threads may convert a value once each
            converted = super().bulk_to_python([values[i] for i in missing])
            with self._converted_lock:
                for i, value in zip(missing, converted, strict=True):
                    self._converted[keys[i]] = found[keys[i]] = value
        return [found[key] for key in keys]

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        problems = audience_errors((v["audience"] for v in value["variants"]), current_catalog())
        for index, variant in enumerate(value["variants"]):
            window = variant_window(variant)
            if window is not None and window.is_empty and index not in problems:
                problems[index] = "live_until: must be after live_from"
        if problems:
            errors = {
                index: StructBlockValidationError(
                    block_errors={message.partition(":")[0]: ValidationError(message)}
                )
                for index, message in problems.items()
            }
            raise StructBlockValidationError(
                block_errors={"variants": ListBlockValidationError(block_errors=errors)}
            )
        return value

    def variants_by_audience(self, value: Any) -> dict[str, Any]:
        return {v["audience"]: v["content"] for v in value["variants"]}

    def variant_windows(self, value: Any) -> Mapping[str, Window]:
        """``{audience: Window}`` of the variants that carry a schedule (usually none)."""
        windows: dict[str, Window] | None = None
        for v in value["variants"]:
            window = variant_window(v)
            if window is not None:
                if windows is None:
                    windows = {}
                windows[v["audience"]] = window
        return windows or NO_WINDOWS

    def page_block(self, value: Any) -> PageBlock:
        """This block as the page's one-pass decision needs it (keyed by the value)."""
        return PageBlock(
            id(value),
            self.block_type,
            self.variants_by_audience(value),
            self.variant_windows(value),
        )

    def _choose(self, value: Any, parent_context: Mapping[str, Any] | None) -> Choice[Any]:
        """Decide (or look up the page's decision) and record it as served."""
        request = (parent_context or {}).get("request")
        page = (parent_context or {}).get("page")
        page_pk = getattr(page, "pk", None)
        return personalization_of(request).choose(
            self.block_type,
            value["base"],
            self.variants_by_audience(value),
            page_id=str(page_pk) if page_pk is not None else "",
            key=id(value),
            windows=self.variant_windows(value),
        )

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> Any:
        context = super().get_context(value, parent_context=parent_context)
        choice = self._choose(value, parent_context)
        context.update(
            content=choice.content,
            decision=choice.decision,
            variant_key=choice.decision.variant_key if choice.decision else GENERIC,
            block_type=self.block_type,
        )
        return context

    def render(self, value: Any, context: Any = None) -> Any:
        """The block's HTML; visitor-independent blocks come from the fragment cache.

        Wagtail's editor preview (drafts) is rendered in full, never cached.
        """
        request = context.get("request") if context is not None else None
        if not self.fragment_cacheable or context is None or getattr(request, "is_preview", False):
            return super().render(value, context=context)
        choice = self._choose(value, context)
        variant_key = choice.decision.variant_key if choice.decision else GENERIC
        template = self.meta.template
        html = render_fragment(template, choice.content, variant_key, self.block_type)
        return mark_safe(html)


class RelatedItemsBlock(PersonalizableBlock):
    """Its headline is personalized; its items are the visitor's best-matching tagged content."""

    item_count: ClassVar[int] = 3
    fragment_cacheable = False  # the items are ranked for the visitor

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


BASE_LABEL = "Generic (base) — shown to everyone without a match"


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # stored without an offset: the site's time zone (UTC)


def variant_window(variant: Mapping[str, Any]) -> Window | None:
    """A variant's live window, or None when it is always live (no dates set)."""
    live_from = variant.get("live_from")
    live_until = variant.get("live_until")
    if live_from is None and live_until is None:
        return None
    return Window(_aware(live_from), _aware(live_until))


class ScheduleDateTimeBlock(blocks.DateTimeBlock):
    """A variant's optional live window edge, edited in the browser's own date-time input.

    Wagtail's date picker builds a calendar of ~115 elements per field when the editor
    opens, for each of a page's variants twice (Contact: 62 pickers, 7,150 of its editor's
    20,128 elements), though a schedule is rarely set. The native input costs one element
    and stores the same value (an ISO date-time, read in the site's time zone).
    """

    @cached_property
    def field(self) -> forms.DateTimeField:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=NATIVE_FORMAT),
            **self.field_options,
        )


NATIVE_FORMAT = "%Y-%m-%dT%H:%M"


def _live_from() -> blocks.DateTimeBlock:
    return ScheduleDateTimeBlock(
        required=False,
        label="Live from",
        help_text="Optional. Before this time visitors get the next best match (or generic).",
    )


def _live_until() -> blocks.DateTimeBlock:
    return ScheduleDateTimeBlock(
        required=False,
        label="Live until",
        help_text="Optional. From this time on the variant is no longer served.",
    )


class VariantBlock(blocks.StructBlock):
    """One variant of a personalizable block: its audience, its content (a block of the same
    class as the base) and an optional live window.

    Stored and migrated exactly as the per-type variant classes it replaces: Wagtail
    deconstructs every StructBlock as a plain ``wagtail.blocks.StructBlock`` of its children
    and constructor keyword arguments, and the content block is passed positionally.
    """

    def __init__(self, content: blocks.Block, **kwargs: Any) -> None:
        super().__init__(
            local_blocks=[
                ("audience", blocks.ChoiceBlock(choices=audience_choices, label="Audience")),
                ("content", content),
                ("live_from", _live_from()),
                ("live_until", _live_until()),
            ],
            **kwargs,
        )

    class Meta:
        icon = "user"
        label = "Variant"
        label_format = "Variant for {audience}"


def variants_of(content_block: type[ValidatedContentBlock]) -> blocks.ListBlock:
    """The ``variants`` list of a personalizable block whose content is ``content_block``."""
    return blocks.ListBlock(
        VariantBlock(content_block()), default=[], label="Variants", collapsed=True
    )


class HeroBlock(PersonalizableBlock):
    block_type = block_types.HERO
    base = HeroContentBlock(label=BASE_LABEL)
    variants = variants_of(HeroContentBlock)

    class Meta:
        icon = "title"
        label = block_types.BLOCK_TYPES[block_types.HERO]
        description = "Headline, subheadline and a button."
        template = "content/blocks/hero.html"
        preview_value = {
            "base": {
                "eyebrow": "For growth teams",
                "headline": "Personalize every page without the flicker",
                "subheadline": "Server-side variants for each industry and persona.",
                "cta_label": "Tailor this site",
                "cta_url": "/start/",
            },
            "variants": [],
        }


class FeatureGridBlock(PersonalizableBlock):
    block_type = block_types.FEATURE_GRID
    base = FeatureGridContentBlock(label=BASE_LABEL)
    variants = variants_of(FeatureGridContentBlock)

    class Meta:
        icon = "table"
        label = block_types.BLOCK_TYPES[block_types.FEATURE_GRID]
        description = "A headline and 2–6 features."
        template = "content/blocks/feature_grid.html"
        preview_value = {
            "base": {
                "headline": "Why teams choose us",
                "intro": "",
                "features": [
                    {"title": "No flicker", "text": "Rendered on the server."},
                    {"title": "Honest lift", "text": "Intervals, holdouts, A/B tests."},
                ],
            },
            "variants": [],
        }


class ContactFormBlock(PersonalizableBlock):
    block_type = block_types.CONTACT_FORM
    fragment_cacheable = False  # CSRF token, the request's path and ?sent
    base = ContactFormContentBlock(label=BASE_LABEL)
    variants = variants_of(ContactFormContentBlock)

    class Meta:
        icon = "mail"
        label = block_types.BLOCK_TYPES[block_types.CONTACT_FORM]
        description = "Headline, 3–7 reasons to reach out, and the contact form."
        template = "content/blocks/contact_form.html"
        preview_value = {
            "base": {
                "headline": "Talk to us",
                "intro": "",
                "reasons": ["A demo", "Pricing", "A second opinion on your tests"],
                "submit_label": "Send",
            },
            "variants": [],
        }


class CtaBlock(PersonalizableBlock):
    block_type = block_types.CTA
    base = CtaContentBlock(label=BASE_LABEL)
    variants = variants_of(CtaContentBlock)

    class Meta:
        icon = "pick"
        label = block_types.BLOCK_TYPES[block_types.CTA]
        description = "A headline, text and button."
        template = "content/blocks/cta.html"
        preview_value = {
            "base": {
                "headline": "See it on your own site",
                "text": "",
                "button_label": "Book a demo",
                "button_url": "/contact/",
            },
            "variants": [],
        }


class TestimonialBlock(PersonalizableBlock):
    block_type = block_types.TESTIMONIAL
    base = TestimonialContentBlock(label=BASE_LABEL)
    variants = variants_of(TestimonialContentBlock)

    class Meta:
        icon = "openquote"
        label = block_types.BLOCK_TYPES[block_types.TESTIMONIAL]
        description = "A customer quote."
        template = "content/blocks/testimonial.html"
        preview_value = {
            "base": {
                "quote": "We finally know which pages work for which buyers.",
                "name": "Alex Morgan",
                "title": "Head of Growth",
                "company": "",
            },
            "variants": [],
        }


class RelatedBlock(RelatedItemsBlock):
    block_type = block_types.RELATED
    base = RelatedContentBlock(label=BASE_LABEL)
    variants = variants_of(RelatedContentBlock)

    class Meta:
        icon = "list-ul"
        label = block_types.BLOCK_TYPES[block_types.RELATED]
        description = "Posts and test ideas tagged for the visitor's industry, best match first."
        template = "content/blocks/related.html"
        preview_value = {
            "base": {"headline": "Related for you", "intro": ""},
            "variants": [],
        }


class NewsletterSignupBlock(PersonalizableBlock):
    """The newsletter signup form (double opt-in: ``persx.newsletter``); a plain POST form
    that works without JavaScript."""

    block_type = block_types.NEWSLETTER_SIGNUP
    fragment_cacheable = False  # CSRF token, the request's path and ?newsletter
    base = NewsletterSignupContentBlock(label=BASE_LABEL)
    variants = variants_of(NewsletterSignupContentBlock)

    class Meta:
        icon = "mail"
        label = block_types.BLOCK_TYPES[block_types.NEWSLETTER_SIGNUP]
        description = "Heading, text and an email field for the newsletter (double opt-in)."
        template = "content/blocks/newsletter_signup.html"
        preview_value = {
            "base": {
                "heading": "Get one tested idea a month",
                "text": "A short email with a test that worked and the numbers behind it.",
                "button_label": "Subscribe",
                "privacy_note": "We email you only after you confirm. Unsubscribe in one click.",
            },
            "variants": [],
        }


PERSONALIZABLE_BLOCKS: dict[str, type[PersonalizableBlock]] = {
    b.block_type: b
    for b in (
        HeroBlock,
        FeatureGridBlock,
        ContactFormBlock,
        CtaBlock,
        TestimonialBlock,
        RelatedBlock,
        NewsletterSignupBlock,
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
