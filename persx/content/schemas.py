"""Content contracts for personalizable blocks: the one definition of each block's shape.

Every field's type, length limits, label and widget are written here once. The Wagtail
blocks editors use are derived from these models (``persx.content.schema_blocks``), and
every block is validated against them on save and publish, base and each variant alike;
an error names the field (``reasons: List should have at least 3 items``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from persx.engine.deciding.block_types import (
    CONTACT_FORM,
    CTA,
    FEATURE_GRID,
    HERO,
    NEWSLETTER_SIGNUP,
    RELATED,
    TESTIMONIAL,
)

LINK_PATTERN = r"^(|/.*|https?://.+)$"  # empty, a site path, or an http(s) URL
MULTILINE = {"multiline": True}  # edited in a text area (Wagtail TextBlock)


def line(max_length: int, *, required: bool = False, default: str = "", **extra: Any) -> Any:
    """A one-line text field; ``required`` means it must be given and may not be blank
    (a required field with a non-blank ``default`` may be omitted: the default is used)."""
    if required and default:
        return Field(default, min_length=1, max_length=max_length, **extra)
    if required:
        return Field(min_length=1, max_length=max_length, **extra)
    return Field(default=default, max_length=max_length, **extra)


def paragraph(max_length: int, *, required: bool = False) -> Any:
    """A multi-line text field."""
    return line(max_length, required=required, json_schema_extra=MULTILINE)


class _Content(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class HeroContent(_Content):
    eyebrow: str = line(60)
    headline: str = line(120, required=True)
    subheadline: str = paragraph(300)
    cta_label: str = line(40, title="Button label")
    cta_url: str = line(200, title="Button link", pattern=LINK_PATTERN)


class Feature(_Content):
    title: str = line(80, required=True)
    text: str = paragraph(400)


class FeatureGridContent(_Content):
    headline: str = line(120, required=True)
    intro: str = paragraph(400)
    features: list[Feature] = Field(min_length=2, max_length=6)


class ContactFormContent(_Content):
    headline: str = line(120, required=True)
    intro: str = paragraph(400)
    reasons: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ] = Field(min_length=3, max_length=7, description="3–7 reasons to reach out.")
    submit_label: str = line(40, required=True, default="Send")


class CtaContent(_Content):
    headline: str = line(120, required=True)
    text: str = paragraph(400)
    button_label: str = line(40, required=True)
    button_url: str = Field(max_length=200, pattern=LINK_PATTERN)


class TestimonialContent(_Content):
    quote: str = paragraph(600, required=True)
    name: str = line(120, required=True)
    title: str = line(120)
    company: str = line(120)


class RelatedContent(_Content):
    headline: str = line(120, required=True)
    intro: str = paragraph(300)


class NewsletterSignupContent(_Content):
    heading: str = line(120, required=True)
    text: str = paragraph(400)
    button_label: str = line(40, required=True, default="Subscribe")
    privacy_note: str = paragraph(300, required=False)


SCHEMAS: dict[str, type[_Content]] = {
    HERO: HeroContent,
    FEATURE_GRID: FeatureGridContent,
    CONTACT_FORM: ContactFormContent,
    CTA: CtaContent,
    TESTIMONIAL: TestimonialContent,
    RELATED: RelatedContent,
    NEWSLETTER_SIGNUP: NewsletterSignupContent,
}


def content_errors(block_type: str, data: dict[str, Any]) -> dict[str, str]:
    """Validate one content value; return ``{field: message}`` (empty when valid)."""
    try:
        SCHEMAS[block_type].model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err["loc"]
            field = str(loc[0]) if loc else "__all__"
            where = ".".join(str(p) for p in loc)
            errors.setdefault(field, f"{where}: {err['msg']}")
        return errors
    return {}
