"""The personalizable block types: the keys experiments scope on and exposures record."""

from __future__ import annotations

HERO = "hero"
FEATURE_GRID = "feature_grid"
CONTACT_FORM = "contact_form"
CTA = "cta"
TESTIMONIAL = "testimonial"
RELATED = "related"
NEWSLETTER_SIGNUP = "newsletter_signup"

# key → the name editors see (the CMS block chooser, experiment scopes, reports)
BLOCK_TYPES: dict[str, str] = {
    HERO: "Hero",
    FEATURE_GRID: "Feature grid",
    CONTACT_FORM: "Contact form",
    CTA: "Call to action",
    TESTIMONIAL: "Testimonial",
    RELATED: "Related for [Industry]",
    NEWSLETTER_SIGNUP: "Newsletter signup",
}
