"""One stock page type: a StreamField of headings and paragraphs (the demo site's text)."""

from wagtail import blocks
from wagtail.fields import StreamField
from wagtail.models import Page


class StockPage(Page):
    body = StreamField(
        [("heading", blocks.CharBlock()), ("paragraph", blocks.TextBlock())], blank=True
    )
    template = "pages/stock_page.html"
