"""Leads in the Wagtail admin (read-only list with filters)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from persx.leads.models import Lead


class LeadViewSet(SnippetViewSet):
    model = Lead
    icon = "mail"
    menu_label = "Leads"
    add_to_admin_menu = True
    list_display = ["name", "email", "company", "industry", "variant", "created_at"]
    list_filter = ["industry"]
    search_fields = ["name", "email", "company"]


register_snippet(LeadViewSet)
