"""Admin screens of the outcomes app: "CRM integrations" (integrations and their tokens:
create, show once, revoke) and "Pipeline match" (the match report, also as JSON).

Thin: the forms validate, :mod:`persx.outcomes.services` writes,
:mod:`persx.outcomes.match_report` counts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse

from persx.access.admin_screen import AdminScreen
from persx.access.measurement import measurement_required
from persx.access.measurement_screen import MeasurementScreen
from persx.outcomes import services
from persx.outcomes.match_report import match_report
from persx.outcomes.models import Integration, IntegrationToken

MANAGE_INTEGRATIONS = "persx_outcomes.change_integration"


def can_manage_integrations(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(MANAGE_INTEGRATIONS))


class IntegrationForm(forms.ModelForm[Integration]):
    class Meta:
        model = Integration
        fields = ["name", "description"]
        help_texts = {"name": "Letters, digits and dashes, e.g. hubspot-prod."}


class IntegrationsView(AdminScreen):
    template_name = "persx_outcomes/integrations.html"
    page_title = "CRM integrations"
    header_icon = "key"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage_integrations(request):
            raise PermissionDenied("CRM integrations need the 'change integration' permission")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", IntegrationForm())
        context["integrations"] = Integration.objects.prefetch_related("tokens")
        context["report_url"] = reverse("persx_outcomes_match")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        who = request.user.get_username()
        if action == "create_integration":
            form = IntegrationForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form), status=400)
            integration = form.save()
            token = services.create_token(integration, who)
            return self.render_to_response(
                self.get_context_data(new_token=token, new_token_for=integration)
            )
        if action == "create_token":
            found = Integration.objects.filter(pk=_int(request.POST.get("integration"))).first()
            if found is None:
                messages.error(request, "integration: no such integration")
                return HttpResponseRedirect(reverse("persx_outcomes_integrations"))
            token = services.create_token(found, who)
            return self.render_to_response(
                self.get_context_data(new_token=token, new_token_for=found)
            )
        if action == "revoke_token":
            token_id = _int(request.POST.get("token"))
            found_token = IntegrationToken.objects.filter(pk=token_id).first()
            if found_token and services.revoke_token(found_token.pk):
                messages.success(request, f"Token {found_token.prefix}… revoked.")
            else:
                messages.error(request, "token: no such live token")
            return HttpResponseRedirect(reverse("persx_outcomes_integrations"))
        messages.error(request, f"action: unknown action {action!r}")
        return HttpResponseRedirect(reverse("persx_outcomes_integrations"))


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


class MatchReportView(MeasurementScreen):
    template_name = "persx_outcomes/match_report.html"
    page_title = "Pipeline match"
    header_icon = "link"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        integration = self.request.GET.get("integration", "")
        report = match_report(integration)
        context |= {
            "report": report,
            "integration": integration,
            "integrations": Integration.objects.values_list("name", flat=True),
            "json_url": reverse("persx_outcomes_match_json"),
            "bars": [{"reason": r, "width": round(240 * r.share, 1)} for r in report.reasons],
        }
        return context


@measurement_required
def match_report_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(match_report(request.GET.get("integration", "")).as_json())
