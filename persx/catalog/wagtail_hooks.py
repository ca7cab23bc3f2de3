"""The catalog in the Wagtail admin: one "Catalog" menu with its four lists."""

from django import forms
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from persx.catalog.models import Goal, Industry, MartechTool, Persona


class IndustryViewSet(SnippetViewSet):
    model = Industry
    icon = "site"
    list_display = ["name", "slug", "tagline"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("tagline"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]


class PersonaViewSet(SnippetViewSet):
    model = Persona
    icon = "user"
    list_display = ["name", "role", "industry", "slug"]
    list_filter = ["industry"]
    search_fields = ["name", "role"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("industry"),
        FieldPanel("role"),
        FieldPanel("summary"),
        FieldPanel("goals", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tools", widget=forms.CheckboxSelectMultiple),
        FieldPanel("pain_points"),
        FieldPanel("vocabulary"),
        FieldPanel("role_keywords"),
        FieldPanel("sort_order"),
    ]


class GoalViewSet(SnippetViewSet):
    model = Goal
    icon = "tick"
    list_display = ["label", "slug"]


class ToolViewSet(SnippetViewSet):
    model = MartechTool
    icon = "cogs"
    list_display = ["label", "category", "slug"]


class CatalogGroup(SnippetViewSetGroup):
    menu_label = "Catalog"
    menu_icon = "folder-open-inverse"
    menu_order = 300
    items = (IndustryViewSet, PersonaViewSet, GoalViewSet, ToolViewSet)


register_snippet(CatalogGroup)
