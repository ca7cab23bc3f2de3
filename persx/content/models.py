"""The demo site's page types and the Test Ideas library."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageViewRestriction
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from persx.catalog.repository import current_catalog
from persx.content import idea_filter, routing
from persx.content.blocks import CtaBlock, NewsletterSignupBlock, body_blocks
from persx.content.page_personalization import decide_page_blocks
from persx.content.page_validation import personalized_block_errors
from persx.content.preview import PersonalizedPreviewMixin
from persx.content.tagged_index import entry, ranked_entries
from persx.inference.visitor_signals import note_tags_read
from persx.personalization.context import personalization_of


class CachedRoutingMixin:
    """Resolves child URLs and view restrictions from the per-process route table
    (``persx.content.routing``) instead of two queries per path segment and two for the
    restrictions. Anything the table does not know (aliases, sub-routes, pages just
    published elsewhere) falls back to Wagtail's own routing."""

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        parent: Any = super()
        if path_components:
            own_path = cast(Page, self).url_path
            page = routing.live_page(own_path + "/".join(path_components) + "/")
            if page is not None:
                return page.route(request, [])
        return parent.route(request, path_components)

    def get_view_restrictions(self) -> Any:
        if not routing.has_view_restrictions(cast(Page, self).path):
            return PageViewRestriction.objects.none()
        parent: Any = super()
        return parent.get_view_restrictions()


class PersonalizedPage(CachedRoutingMixin, PersonalizedPreviewMixin, Page):
    """A page whose StreamField blocks are validated against their schemas on every save."""

    streamfield_names: tuple[str, ...] = ("body",)

    class Meta:
        abstract = True

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        decide_page_blocks(request, self)
        return super().serve(request, *args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        for name in self.streamfield_names:
            messages = personalized_block_errors(getattr(self, name))
            if messages:
                errors[name] = messages
        if errors:
            raise ValidationError(errors)


class HomePage(PersonalizedPage):
    body = StreamField(body_blocks(), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("body")]
    max_count = 1
    template = "content/pages/home_page.html"


class StandardPage(PersonalizedPage):
    body = StreamField(body_blocks(), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("body")]
    template = "content/pages/standard_page.html"


class BlogIndexPage(Page):
    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["persx_content.BlogPostPage"]
    template = "content/pages/blog_index_page.html"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["posts"] = ranked_entries(personalization_of(request).ranking_profile(), "post")
        return context


class BlogPostPage(PersonalizedPage):
    date = models.DateField()
    author = models.CharField(max_length=120, blank=True)
    intro = models.TextField(max_length=400)
    body = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    industries = ParentalManyToManyField("persx_catalog.Industry", blank=True, related_name="+")
    goals = ParentalManyToManyField("persx_catalog.Goal", blank=True, related_name="+")
    # After the article: at most one call to action and one newsletter signup.
    cta = StreamField(
        [("cta", CtaBlock()), ("newsletter_signup", NewsletterSignupBlock())],
        blank=True,
        max_num=2,
        block_counts={"cta": {"max_num": 1}, "newsletter_signup": {"max_num": 1}},
    )

    streamfield_names = ("cta",)
    parent_page_types = ["persx_content.BlogIndexPage"]
    template = "content/pages/blog_post_page.html"

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # What the visitor reads is evidence of who they are (the inference signals).
        tagged = entry(f"post:{self.pk}")
        if tagged is not None:
            note_tags_read(request, tuple(f"industry:{slug}" for slug in tagged.industries))
        return super().serve(request, *args, **kwargs)

    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("author"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("industries", widget=forms.CheckboxSelectMultiple),
        FieldPanel("goals", widget=forms.CheckboxSelectMultiple),
        FieldPanel("cta"),
    ]


class TestIdeasPage(Page):
    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    template = "content/pages/test_ideas_page.html"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        chosen = idea_filter.parse_filter(request.GET, current_catalog())
        ranked = ranked_entries(personalization_of(request).ranking_profile(), "idea")
        found = idea_filter.matching(ranked, chosen)
        page = idea_filter.page_of(found, chosen)
        context |= {
            "ideas": page.object_list,
            "idea_page": page,
            "idea_pages": idea_filter.page_links(chosen, page),
            "idea_filter": chosen,
            "found": len(found),
        }
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().serve(request, *args, **kwargs)
        if response.context_data and response.context_data["idea_filter"].problems:
            response.status_code = 400  # the filter named values that do not exist
        return response


class PersonasPage(Page):
    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    template = "content/pages/personas_page.html"


@register_snippet
class TestIdea(index.Indexed, ClusterableModel):
    IMPACT = [("high", "High"), ("medium", "Medium"), ("low", "Low")]
    EFFORT = [("low", "Low"), ("medium", "Medium"), ("high", "High")]

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=160)
    summary = models.TextField(max_length=600)
    hypothesis = models.TextField(max_length=600, blank=True)
    industries = ParentalManyToManyField("persx_catalog.Industry", blank=True, related_name="+")
    goals = ParentalManyToManyField("persx_catalog.Goal", blank=True, related_name="+")
    impact = models.CharField(max_length=10, choices=IMPACT, default="medium")
    effort = models.CharField(max_length=10, choices=EFFORT, default="medium")
    metric = models.CharField(max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("summary"),
        FieldPanel("hypothesis"),
        FieldPanel("industries", widget=forms.CheckboxSelectMultiple),
        FieldPanel("goals", widget=forms.CheckboxSelectMultiple),
        FieldPanel("impact"),
        FieldPanel("effort"),
        FieldPanel("metric"),
        FieldPanel("sort_order"),
    ]
    search_fields = [index.SearchField("title"), index.SearchField("summary")]

    class Meta:
        ordering = ("sort_order", "title")

    def __str__(self) -> str:
        return self.title
