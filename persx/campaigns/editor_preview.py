"""Wagtail's preview panel for email templates: "preview as" each audience while editing.

The same modes as pages ("Generic (no profile)", "As Healthcare", "As <persona>", …,
from :class:`persx.content.preview.PersonalizedPreviewMixin`), each showing the email as
the studio's preview renders it (:mod:`persx.campaigns.preview`), from the unsaved form.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from wagtail.models import PreviewableMixin

from persx.content.preview import PersonalizedPreviewMixin


class EmailPreviewMixin(PersonalizedPreviewMixin, PreviewableMixin):
    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        # Imported here: the renderer (and its CSS inliner) loads on the first preview, not
        # in every process that loads the models.
        from persx.campaigns.preview import preview_email

        email = preview_email(self, mode_name, request.build_absolute_uri("/"))
        return HttpResponse(email.html, content_type="text/html; charset=utf-8")
