"""The blocks an email template is made of: the site's own personalizable blocks.

Editors write an email's per-industry and per-persona variants exactly as on a page (the
same ``base`` + ``variants`` blocks of :mod:`persx.content.blocks`, validated against the
same schemas). Only the blocks that make sense in an inbox are offered: a hero, a feature
grid, a call to action, a testimonial and rich text. The contact form (a form in an email
does not work) and Related (ranked per page view from the site's tagged content) are not.
"""

from __future__ import annotations

from wagtail import blocks

from persx.content.blocks import (
    CtaBlock,
    FeatureGridBlock,
    HeroBlock,
    TestimonialBlock,
    TextBlock,
)
from persx.engine.deciding import block_types

TEXT = "text"
RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]


def email_body_blocks() -> list[tuple[str, blocks.Block]]:
    return [
        (block_types.HERO, HeroBlock()),
        (block_types.FEATURE_GRID, FeatureGridBlock()),
        (block_types.CTA, CtaBlock()),
        (block_types.TESTIMONIAL, TestimonialBlock()),
        (TEXT, TextBlock(features=RICH_TEXT_FEATURES)),
    ]
