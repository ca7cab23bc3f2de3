"""POST /contact/submit/: store the lead, go back to the page with a thank-you."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_POST

from persx.http.redirects import safe_next
from persx.leads.forms import LeadForm
from persx.leads.services import record_lead
from persx.privacy.middleware import consent_of
from persx.visitors.state import visitor


@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        message = "; ".join(f"{f}: {msgs[0]}" for f, msgs in errors.items())
        return JsonResponse({"message": message, "errors": errors}, status=400)
    back = safe_next(request, form.cleaned_data.get("next"))
    record_lead(form.cleaned_data, visitor(request).profile, back, consent_of(request).state)
    separator = "&" if "?" in back else "?"
    return HttpResponseRedirect(f"{back}{separator}sent=1#main")
