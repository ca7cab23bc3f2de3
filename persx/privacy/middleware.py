"""Reads the visitor's analytics consent for every request; writes a new choice back.

Runs before the signals and profile middleware, which read :func:`consent_of`. A view
records a choice with :func:`choose_consent`; the cookie is written on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from persx.engine.visitor.profile import ConsentState
from persx.privacy import consent_cookie
from persx.privacy.consent import ConsentSource, ConsentStatus, resolve_consent
from persx.privacy.mode import consent_mode

GPC_HEADER = "HTTP_SEC_GPC"


@dataclass
class ConsentOfRequest:
    status: ConsentStatus
    new_choice: ConsentState | None = None  # written to the cookie on the way out
    erased: bool = False  # the visitor's data was erased in this request
    problems: list[str] = field(default_factory=list)


class ConsentRequest(HttpRequest):
    """The typed view of a request that went through ``ConsentMiddleware``."""

    persx_consent: ConsentOfRequest


def _read(request: HttpRequest) -> ConsentOfRequest:
    choice = consent_cookie.decode(request.COOKIES.get(consent_cookie.COOKIE_NAME))
    gpc = request.META.get(GPC_HEADER, "").strip() == "1"
    return ConsentOfRequest(resolve_consent(choice, gpc, consent_mode()))


def consent_request(request: HttpRequest) -> ConsentOfRequest:
    typed = cast(ConsentRequest, request)
    held = getattr(typed, "persx_consent", None)
    if held is None:  # the middleware did not run (a unit test, a management command)
        held = typed.persx_consent = _read(request)
    return held


def consent_of(request: HttpRequest) -> ConsentStatus:
    """The request's consent status (after any choice made in this request)."""
    return consent_request(request).status


def choose_consent(request: HttpRequest, choice: ConsentState) -> ConsentStatus:
    """The visitor accepted or declined: applies to this request and is remembered."""
    held = consent_request(request)
    held.new_choice = choice
    held.status = ConsentStatus(choice, ConsentSource.CHOICE, held.status.mode, held.status.gpc)
    return held.status


def mark_erased(request: HttpRequest) -> None:
    """The visitor's data was erased: the behaviour cookie goes too (``SignalsMiddleware``)."""
    consent_request(request).erased = True


class ConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cast(ConsentRequest, request).persx_consent = _read(request)
        response = self.get_response(request)
        held = consent_request(request)
        if held.new_choice is not None:
            response.set_cookie(
                consent_cookie.COOKIE_NAME,
                consent_cookie.encode(held.new_choice, timezone.now()),
                max_age=consent_cookie.MAX_AGE_S,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        patch_vary_headers(response, ("Cookie",))
        return response
