"""The visitor's privacy page and consent choice. Plain forms: they work with JavaScript off;
``persx/static/persx/consent.js`` only saves the page reload."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from persx.engine.visitor.profile import ConsentState
from persx.http.redirects import safe_next
from persx.privacy.consent import mode_description
from persx.privacy.forms import ConsentForm
from persx.privacy.middleware import choose_consent, consent_of


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_GET
def privacy_page(request: HttpRequest) -> HttpResponse:
    status = consent_of(request)
    return render(
        request,
        "privacy/privacy.html",
        {
            "consent": status,
            "mode_text": mode_description(status.mode),
            "erased": request.GET.get("erased") == "1",
            "saved": request.GET.get("saved") == "1",
        },
    )


@require_POST
def set_consent(request: HttpRequest) -> HttpResponse:
    """Accept or decline analytics (the banner and the privacy page)."""
    form = ConsentForm(request.POST)
    if not form.is_valid():
        message = "; ".join(f"{f}: {errs[0]}" for f, errs in form.errors.items())
        if _wants_json(request):
            return JsonResponse({"message": message, "detail": []}, status=400)
        status = consent_of(request)
        return render(
            request,
            "privacy/privacy.html",
            {"consent": status, "mode_text": mode_description(status.mode), "error": message},
            status=400,
        )
    status = choose_consent(request, ConsentState(form.cleaned_data["choice"]))
    if _wants_json(request):
        return JsonResponse({"state": str(status.state), "measured": status.allows_measurement})
    target = safe_next(request, form.cleaned_data.get("next") or "/privacy/?saved=1")
    return HttpResponseRedirect(target)
