"""The studio's email preview: an email template for one audience beside its generic
version (HTML in sandboxed frames, and the plain text), as editors check their variants.

Views parse and check the query, render through :mod:`persx.campaigns.preview`; nothing is
saved, sent or measured.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from persx.campaigns.models import EmailTemplate
from persx.campaigns.preview import preview_email
from persx.catalog.repository import current_catalog
from persx.engine.visitor.audience import GENERIC, industry_key
from persx.studio.admin_screen import StudioScreen
from persx.studio.views import BadQuery, audience_label, audience_options, preview_audience


def _template_id(request: HttpRequest, default: int | None) -> int | None:
    raw = request.GET.get("template")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadQuery(f"template: expected an email template id, got '{raw[:40]}'") from None


def _base_url(request: HttpRequest) -> str:
    """The admin's own host: the preview's images and links load from where it is viewed."""
    return request.build_absolute_uri("/")


@xframe_options_sameorigin
def render_email_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One pane: the email's HTML for the audience in ``?audience=`` (default generic)."""
    template = get_object_or_404(EmailTemplate, pk=pk)
    try:
        audience = preview_audience(request, GENERIC)
    except BadQuery as exc:
        return HttpResponseBadRequest(str(exc))
    email = preview_email(template, audience, _base_url(request))
    return HttpResponse(email.html, content_type="text/html; charset=utf-8")


class EmailPreviewView(StudioScreen):
    template_name = "persx_studio/email_preview.html"
    page_title = "Email preview"
    header_icon = "mail"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.templates = list(EmailTemplate.objects.order_by("name"))
        try:
            template_id = _template_id(request, self.templates[0].pk if self.templates else None)
            default = industry_key(current_catalog().industries[0].slug)
            self.audience = preview_audience(request, default)
        except BadQuery as exc:
            return HttpResponseBadRequest(str(exc))
        self.template = (
            get_object_or_404(EmailTemplate, pk=template_id) if template_id is not None else None
        )
        return super().get(request, *args, **kwargs)

    def pane_url(self, audience: str) -> str:
        assert self.template is not None
        url = reverse("persx_studio_email_render", args=[self.template.pk])
        return f"{url}?{urlencode({'audience': audience})}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            templates=self.templates,
            template=self.template,
            audience=self.audience,
            audience_label=audience_label(self.audience),
            audience_groups=audience_options(),
            add_url=reverse("wagtailsnippets_persx_campaigns_emailtemplate:add"),
        )
        if self.template is not None:
            base_url = _base_url(self.request)
            generic = preview_email(self.template, GENERIC, base_url)
            chosen = preview_email(self.template, self.audience, base_url)
            context.update(
                generic=generic,
                chosen=chosen,
                generic_url=self.pane_url(GENERIC),
                audience_url=self.pane_url(self.audience),
                edit_url=reverse(
                    "wagtailsnippets_persx_campaigns_emailtemplate:edit", args=[self.template.pk]
                ),
                export_url=reverse("persx_campaigns_merge_fields", args=[self.template.pk]),
                rows=[
                    {"generic": g, "chosen": c}
                    for g, c in zip(generic.choices, chosen.choices, strict=True)
                ],
            )
        return context
