"""Email templates in the Wagtail admin: list, create, edit (with the preview and the
merge-field download as header buttons)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.urls import URLPattern, path, reverse
from wagtail import hooks
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from persx.access.lazy_view import lazy_view
from persx.campaigns.models import EmailTemplate


class EmailTemplateEditView(EditView):
    @cached_property
    def header_buttons(self) -> list[Any]:
        template = self.object
        return [
            *super().header_buttons,
            HeaderButton(
                "Preview per audience",
                url=reverse("persx_studio_email_preview") + f"?template={template.pk}",
                icon_name="view",
                attrs={"data-testid": "email-preview-link"},
            ),
            HeaderButton(
                "Merge fields (CSV)",
                url=reverse("persx_campaigns_merge_fields", args=[template.pk]),
                icon_name="download",
                attrs={"data-testid": "merge-fields-download"},
            ),
        ]


class EmailTemplateViewSet(SnippetViewSet):
    model = EmailTemplate
    icon = "mail"
    menu_label = "Email templates"
    menu_name = "email-templates"
    menu_order = 305
    add_to_admin_menu = True
    list_display = ["name", "slug", "subject", "updated_at"]
    search_fields = ["name", "slug", "subject"]
    edit_view_class = EmailTemplateEditView


register_snippet(EmailTemplateViewSet)


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "email-templates/<int:pk>/merge-fields.csv",
            lazy_view("persx.campaigns.views.merge_fields_csv_view"),
            name="persx_campaigns_merge_fields",
        )
    ]


hooks.register("register_admin_urls", register_admin_urls)
