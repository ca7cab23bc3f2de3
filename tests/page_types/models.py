"""A personalizable page type added "tomorrow": listed nowhere in persx, with its own
StreamField name (``sections``) and a hero block stored under another name (``banner``)."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from persx.content.blocks import HeroBlock, TextBlock
from persx.content.models import PersonalizedPage


class CampaignPage(PersonalizedPage):
    sections = StreamField(
        [("banner", HeroBlock()), ("text", TextBlock(features=["bold", "italic"]))], blank=True
    )
    content_panels = [*Page.content_panels, FieldPanel("sections")]
    streamfield_names = ("sections",)
    template = "page_types/campaign_page.html"
    is_creatable = False  # created by the test only; editors of the test site never see it
