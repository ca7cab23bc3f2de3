"""Newsletter contacts in the Wagtail admin: a read-mostly list with status filter, search
and counts per status. Contacts come from signups and confirmations only: nobody adds or
edits one by hand (that would skip double opt-in); staff with the permission may delete
one (e.g. an erasure asked for by post)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from persx.newsletter.models import Contact
from persx.personalization.plain_names import named_html

REFUSED_ACTIONS = frozenset({"add", "change", "copy"})


class ReadMostlyPolicy(ModelPermissionPolicy):
    """Model permissions, minus adding, editing and copying (for superusers too)."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action not in REFUSED_ACTIONS and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> QuerySet[Any]:
        allowed = [a for a in actions if a not in REFUSED_ACTIONS]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


register_permission_policy(Contact, ReadMostlyPolicy(Contact))


def status_counts() -> list[tuple[str, str, int]]:
    """``(status, label, contacts)`` for every status, in the order of ``Contact.Status``."""
    counted = dict(
        Contact.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return [(s.value, str(s.label), counted.get(s.value, 0)) for s in Contact.Status]


class ContactIndexView(IndexView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["status_counts"] = status_counts()
        return context


def _industry(contact: Contact) -> str:
    return named_html("audience", f"industry:{contact.industry}") if contact.industry else ""


def _company(contact: Contact) -> str:
    return str(contact.account) if contact.account_id else ""


class ContactViewSet(SnippetViewSet):
    model = Contact
    icon = "mail"
    menu_label = "Newsletter"
    menu_name = "newsletter-contacts"
    add_to_admin_menu = True
    inspect_view_enabled = True
    index_view_class = ContactIndexView
    index_template_name = "newsletter/admin/contacts_index.html"
    list_display = [
        "email",
        Column("status", label="Status", accessor="get_status_display"),
        Column("industry", label="Industry", accessor=_industry),
        Column("company", label="Company", accessor=_company),
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "industry"]
    search_fields = ["email"]
    ordering = ["-created_at"]

    def get_queryset(self, request: Any) -> QuerySet[Contact]:
        return Contact.objects.select_related("account")


register_snippet(ContactViewSet)
