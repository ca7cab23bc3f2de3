"""Keeps the visitor's behaviour signals up to date (see ``visitor_signals``).

The signals are behavioural profiling, so they follow analytics consent
(``persx.privacy``): read, noted and written only when the visitor's consent allows
measurement under the site's mode; the cookie is deleted when it does not (declined,
Global Privacy Control, unknown under opt-in) and when the visitor's data was erased.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.config import config
from persx.inference import visitor_signals
from persx.privacy.middleware import consent_of, consent_request

logger = logging.getLogger("persx.inference")


class SignalsMiddleware:
    """Before the profile middleware: read the signals cookie and note this page view;
    after the view: write the cookie back when something changed on a successful page, or
    delete it when consent (as it stands after the view) no longer allows it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        conf = config()
        state = None
        if conf.inference_enabled and consent_of(request).allows_measurement:
            try:
                state = self._read(request, conf.signals_cookie_name, conf.signals_cookie_max_age)
            except Exception:  # signals are a nice-to-have: never break the page
                logger.exception("visitor signals could not be read")
        response = self.get_response(request)
        held = consent_request(request)
        if held.erased or not held.status.allows_measurement:
            if conf.signals_cookie_name in request.COOKIES:
                response.delete_cookie(conf.signals_cookie_name, samesite="Lax")
        elif state is not None and state.changed and response.status_code == 200:
            response.set_cookie(
                conf.signals_cookie_name,
                visitor_signals.encode(state),
                max_age=conf.signals_cookie_max_age,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def _read(
        self, request: HttpRequest, name: str, max_age: int
    ) -> visitor_signals.SignalsState | None:
        state = visitor_signals.decode(request.COOKIES.get(name), max_age)
        if visitor_signals.is_page_request(request):
            if state is None:
                state = visitor_signals.first_visit(request)
            visitor_signals.note_page_view(state, request.path)
            visitor_signals.note_cta_from_query(state, request)
        if state is not None:
            visitor_signals.attach_signals(request, state)
        return state
