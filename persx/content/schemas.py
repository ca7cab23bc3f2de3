"""Content contracts for personalizable blocks (the counterpart of the strategy's Zod schemas).

Every block is validated against these on save and publish, base and each variant alike;
an error names the field (``reasons: List should have at least 3 items``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Headline = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Link = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^(|/.*|https?://.+)$")
]


class _Content(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class HeroContent(_Content):
    eyebrow: str = Field(default="", max_length=60)
    headline: Headline
    subheadline: str = Field(default="", max_length=300)
    cta_label: str = Field(default="", max_length=40)
    cta_url: Link = ""


class Feature(_Content):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    text: str = Field(default="", max_length=400)


class FeatureGridContent(_Content):
    headline: Headline
    intro: str = Field(default="", max_length=400)
    features: list[Feature] = Field(min_length=2, max_length=6)


class ContactFormContent(_Content):
    headline: Headline
    intro: str = Field(default="", max_length=400)
    reasons: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ] = Field(min_length=3, max_length=7)
    submit_label: str = Field(default="Send", max_length=40)


class CtaContent(_Content):
    headline: Headline
    text: str = Field(default="", max_length=400)
    button_label: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    button_url: Link


class TestimonialContent(_Content):
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
    name: NonEmpty
    title: str = Field(default="", max_length=120)
    company: str = Field(default="", max_length=120)


class RelatedContent(_Content):
    headline: Headline
    intro: str = Field(default="", max_length=300)


SCHEMAS: dict[str, type[_Content]] = {
    "hero": HeroContent,
    "feature_grid": FeatureGridContent,
    "contact_form": ContactFormContent,
    "cta": CtaContent,
    "testimonial": TestimonialContent,
    "related": RelatedContent,
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
