"""Reads the visitor's profile for every request and writes the cookie back when it changed.

Layers (docs/profile-precedence.md): explicit choice in this request (``?industry=``) >
signed cookie > account record (signed-in users only, one query, then cached in the
cookie) > session mirror (client-side, restored through the API) > inference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.engine.profile import Provenance, needs_reconfirmation
from persx.engine.profile_update import apply_choices
from persx.profiles import cookie, services
from persx.profiles.state import CookieAction, VisitorState

logger = logging.getLogger("persx.profiles")

REFRESH_AFTER_SECONDS = 24 * 3600
INDUSTRY_PARAM = "industry"


class VisitorProfileMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = self._read_state(request)
        request.visitor = state  # type: ignore[attr-defined]
        response = self.get_response(request)
        self._write_cookie(request, state, response)
        return response

    def _read_state(self, request: HttpRequest) -> VisitorState:
        state = VisitorState()
        conf = config()
        try:
            catalog = current_catalog()
            decoded = cookie.decode(request.COOKIES.get(conf.profile_cookie_name), catalog)
            state.cookie_problem = decoded.problem
            if decoded.profile is not None:
                state.profile, state.layer = decoded.profile, "cookie"
                if time.time() - decoded.issued_at > REFRESH_AFTER_SECONDS:
                    state.cookie_action = CookieAction.SET  # sliding 7-day expiry
            elif decoded.problem:
                state.cookie_action = CookieAction.DELETE
            industry = request.GET.get(INDUSTRY_PARAM, "")
            if industry and catalog.industry(industry) is not None:
                current = state.profile
                if current is None or current.industry != industry:
                    profile = apply_choices(
                        catalog,
                        current,
                        services.new_visitor_id(),
                        industry,
                        timezone.now(),
                        Provenance.URL_PARAM,
                    )
                    services.save_profile(profile, request.user)
                    state.remember(profile)
            if state.profile is None and request.user.is_authenticated:
                account = services.account_profile(request.user)
                if account is not None:
                    state.remember(account, layer="account")
            if state.profile is not None:
                state.needs_reconfirmation = needs_reconfirmation(
                    state.profile, timezone.now(), conf.profile_reconfirm_days
                )
        except Exception:  # a profile problem must never break the page
            logger.exception("visitor profile could not be read; serving generic content")
            return VisitorState(cookie_problem="error")
        return state

    def _write_cookie(
        self, request: HttpRequest, state: VisitorState, response: HttpResponse
    ) -> None:
        conf = config()
        name = conf.profile_cookie_name
        if state.cookie_action is CookieAction.SET and state.profile is not None:
            response.set_cookie(
                name,
                cookie.encode(state.profile, timezone.now()),
                max_age=conf.profile_cookie_max_age,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        elif state.cookie_action is CookieAction.DELETE:
            response.delete_cookie(name, samesite="Lax")
        patch_vary_headers(response, ("Cookie",))
