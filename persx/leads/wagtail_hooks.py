"""Leads in the Wagtail admin (read-only list with filters)."""

from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from persx.leads.models import Lead
from persx.personalization.plain_names import named_html


def _industry(lead: Lead) -> str:
    return named_html("audience", f"industry:{lead.industry}") if lead.industry else ""


def _variant(lead: Lead) -> str:
    return named_html("audience", lead.variant)


class LeadViewSet(SnippetViewSet):
    model = Lead
    icon = "mail"
    menu_label = "Leads"
    add_to_admin_menu = True
    list_display = [
        "name",
        "email",
        "company",
        Column("industry", label="Industry", accessor=lambda lead: _industry(lead)),
        Column("variant", label="Variant seen", accessor=lambda lead: _variant(lead)),
        "created_at",
    ]
    list_filter = ["industry"]
    search_fields = ["name", "email", "company"]


register_snippet(LeadViewSet)
