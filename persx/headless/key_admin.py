"""Admin screen "App keys" (Settings menu, superusers only): create a key (its text shown
once, on the answer to the create form, never again) and revoke keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from persx.access.admin_screen import AdminScreen
from persx.headless import services
from persx.headless.models import AppKey, KeyScope


class NewKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who uses it, e.g. 'iOS app'.")
    scope = forms.ChoiceField(choices=KeyScope.choices, initial=KeyScope.DECIDE_RECORD)
    requests_per_minute = forms.IntegerField(
        min_value=1, max_value=100_000, initial=600, help_text="Over all of the app's callers."
    )


class SuperuserOnly:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            raise PermissionDenied
        parent: Any = super()
        return parent.dispatch(request, *args, **kwargs)


class AppKeysScreen(SuperuserOnly, AdminScreen):
    template_name = "headless/app_keys.html"
    page_title = "App keys"
    header_icon = "key"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", NewKeyForm())
        context["keys"] = AppKey.objects.select_related("created_by")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = NewKeyForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        created = services.create_key(
            form.cleaned_data["name"],
            form.cleaned_data["scope"],
            form.cleaned_data["requests_per_minute"],
            by=request.user,
        )
        response = self.render_to_response(
            self.get_context_data(form=NewKeyForm(), created=created)
        )
        response["Cache-Control"] = "no-store"  # the key's text is on this answer only
        return response


class RevokeKey(SuperuserOnly, AdminScreen):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        services.revoke_key(get_object_or_404(AppKey, pk=pk))
        return HttpResponseRedirect(reverse("persx_app_keys"))
