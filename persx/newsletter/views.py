"""The newsletter's public pages: signup (POST), confirmation link, unsubscribe link.

Plain forms and pages: everything works without JavaScript. A ``fetch`` caller that asks
for JSON (``Accept: application/json``) gets ``{outcome, message}``, or on a refusal the API's
error shape ``{message, detail: [{loc, msg}]}`` (persx/http/errors.py).
"""

from __future__ import annotations

import logging
import smtplib

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from persx.http.errors import error_response
from persx.http.redirects import safe_next
from persx.newsletter import services, tokens
from persx.newsletter.forms import SignupForm
from persx.newsletter.limits import signup_refused
from persx.newsletter.models import Contact
from persx.newsletter.services import Signup, SignupOutcome
from persx.privacy.middleware import consent_of
from persx.visitors.state import visitor

logger = logging.getLogger(__name__)

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
# Statuses whose unsubscribe page still asks (the others say it is done already).
STILL_MAILED = (Contact.Status.PENDING, Contact.Status.SUBSCRIBED)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def outcome_message(outcome: SignupOutcome) -> str:
    """The sentence the signup block shows for ``outcome`` (one template writes it)."""
    html = render_to_string("newsletter/_signup_notice.html", {"outcome": str(outcome)})
    return " ".join(strip_tags(html).split())


def _refusal(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    field: str = "",
    email: str = "",
    back: str = "/",
    retry_after: int | None = None,
) -> HttpResponse:
    """A refused signup: JSON for fetch callers, else the signup page with the message."""
    if _wants_json(request):
        detail = [{"loc": [field], "msg": message}] if field else []
        prefix = f"{field}: " if field else ""
        response: HttpResponse = error_response(status, prefix + message, detail)
    else:
        response = render(
            request,
            "newsletter/signup.html",
            {"error": message, "field": field, "email": email, "back": back},
            status=status,
        )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def signup(request: HttpRequest) -> HttpResponse:
    refused = signup_refused(request)
    if refused is not None:
        message, retry_after = refused
        return _refusal(request, 429, message, retry_after=retry_after)
    form = SignupForm(request.POST)
    back = safe_next(request, request.POST.get("next", "")[:200])
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        return _refusal(
            request,
            400,
            str(messages[0]),
            field=field,
            email=request.POST.get("email", "")[:254],
            back=back,
        )
    data = form.cleaned_data
    try:
        outcome, _contact = services.sign_up(
            Signup(data["email"], page=back, variant=data.get("variant", "")),
            visitor(request).profile,
            consent_of(request).state,
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("newsletter confirmation email not sent")
        return _refusal(
            request,
            503,
            "We could not send the confirmation email just now and saved nothing; "
            "please try again in a few minutes.",
            email=data["email"],
            back=back,
            retry_after=60,
        )
    if outcome == SignupOutcome.BOUNCED:
        return _refusal(
            request,
            409,
            "Email to this address has bounced, so we cannot send the newsletter to it. "
            "Please use another address.",
            field="email",
            email=data["email"],
            back=back,
        )
    if _wants_json(request):
        return JsonResponse({"outcome": str(outcome), "message": outcome_message(outcome)})
    separator = "&" if "?" in back else "?"
    return HttpResponseRedirect(f"{back}{separator}newsletter={outcome}#newsletter")


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact = tokens.contact_from_confirmation(token)
    except tokens.ExpiredToken:
        return render(
            request,
            "newsletter/confirm.html",
            {"state": "expired", "days": tokens.confirm_max_age().days},
            status=410,
        )
    except tokens.InvalidToken:
        return render(request, "newsletter/confirm.html", {"state": "invalid"}, status=400)
    outcome = services.confirm(contact, visitor(request).profile, consent_of(request).state)
    status = {
        services.ConfirmOutcome.CONFIRMED: 200,
        services.ConfirmOutcome.ALREADY_CONFIRMED: 200,
        services.ConfirmOutcome.UNSUBSCRIBED: 410,
        services.ConfirmOutcome.BOUNCED: 409,
    }[outcome]
    return render(
        request,
        "newsletter/confirm.html",
        {"state": str(outcome), "days": tokens.confirm_max_age().days},
        status=status,
    )


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button; POST: unsubscribe.

    RFC 8058 one-click (a mail client's POST whose body is ``List-Unsubscribe=One-Click``)
    needs no CSRF token or cookie: the signed token is the authority. Every other POST is
    CSRF-checked as usual.
    """
    if request.method == "POST" and request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
        return _unsubscribe(request, token, source="one_click")
    return _unsubscribe_page(request, token)


@require_http_methods(["GET", "POST"])
@csrf_protect
def _unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        return _unsubscribe(request, token, source="link")
    try:
        contact = tokens.contact_from_unsubscribe(token)
    except tokens.InvalidToken:
        return render(request, "newsletter/unsubscribe.html", {"state": "invalid"}, status=400)
    state = "ask" if contact.status in STILL_MAILED else "already"
    return render(request, "newsletter/unsubscribe.html", {"state": state, "email": contact.email})


def _unsubscribe(request: HttpRequest, token: str, *, source: str) -> HttpResponse:
    try:
        contact = tokens.contact_from_unsubscribe(token)
    except tokens.InvalidToken:
        return render(request, "newsletter/unsubscribe.html", {"state": "invalid"}, status=400)
    services.unsubscribe(contact, source=source)
    return render(request, "newsletter/unsubscribe.html", {"state": "done", "email": contact.email})
