"""Reads the visitor's profile for every request and writes the cookie back when it changed.

The middleware gathers the layers and the engine's precedence rules pick the winner
(``persx.engine.visitor.precedence``, docs/profile-precedence.md): an explicit choice in
this request (``?industry=``, applied once per value: see :func:`_link_industry`) > signed
cookie > account record (signed-in visitors only, looked up only when no layer above has a
profile, then cached in the cookie) > session mirror (client-side, restored through the API)
> inference (``persx.inference.serving``: the current model on the visitor's signals cookie,
consulted only when every stated layer is empty; never written to the profile cookie, so a
stated answer always wins).

The winning profile carries the request's analytics consent (``persx.privacy``: the consent
cookie or Global Privacy Control), whatever copy an older profile cookie or record holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.precedence import ProfileLayers, resolve_profile
from persx.engine.visitor.profile import Provenance, VisitorProfile, needs_reconfirmation
from persx.inference.serving import inferred_profile
from persx.privacy.middleware import consent_of
from persx.profiles import cookie, services
from persx.profiles.link_params import INDUSTRY_PARAM
from persx.visitors.state import CookieAction, VisitorState, attach_visitor

logger = logging.getLogger("persx.profiles")

REFRESH_AFTER_SECONDS = 24 * 3600


class VisitorProfileMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state, link = self._read_state(request)
        attach_visitor(request, state)
        response = self.get_response(request)
        self._write_cookie(request, state, link, response)
        return response

    def _read_state(self, request: HttpRequest) -> tuple[VisitorState, str]:
        try:
            return _visitor_state(request, current_catalog())
        except SuspiciousOperation:  # a hostile request (e.g. too many parameters): Django's 400
            raise
        except Exception:  # a profile problem must never break the page
            logger.exception("visitor profile could not be read; serving generic content")
            return VisitorState(cookie_problem="error"), ""

    def _write_cookie(
        self, request: HttpRequest, state: VisitorState, link: str, response: HttpResponse
    ) -> None:
        conf = config()
        name = conf.profile_cookie_name
        if state.cookie_action is CookieAction.SET and state.profile is not None:
            response.set_cookie(
                name,
                cookie.encode(state.profile, timezone.now(), link),
                max_age=conf.profile_cookie_max_age,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        elif state.cookie_action is CookieAction.DELETE:
            response.delete_cookie(name, samesite="Lax")
        patch_vary_headers(response, ("Cookie",))


def _visitor_state(request: HttpRequest, catalog: Catalog) -> tuple[VisitorState, str]:
    """The request's visitor state, and the ``?industry=`` value the cookie is to remember."""
    conf = config()
    state = VisitorState()
    decoded = cookie.decode(request.COOKIES.get(conf.profile_cookie_name), catalog)
    state.cookie_problem = decoded.problem
    if decoded.problem:
        state.cookie_action = CookieAction.DELETE
    link = _link_industry(request, catalog)
    new_link = link if link and link != decoded.link else ""

    def account() -> VisitorProfile | None:
        user = request.user
        return services.account_profile(user) if user.is_authenticated else None

    profile, layer = resolve_profile(
        ProfileLayers(
            explicit=_explicit_choice(request, catalog, decoded.profile, new_link),
            cookie=decoded.profile,
            account=account,
            inferred=lambda: inferred_profile(request),
        )
    )
    remembered = link or decoded.link
    if profile is None or layer is None:
        return state, remembered
    consent = consent_of(request).state
    if profile.consent is not consent:
        profile = profile.with_changes(consent=consent)
    if layer == "inferred":  # a guess for this request only: not written to the cookie
        state.profile, state.layer = profile, layer
        return state, remembered
    if layer == "cookie":
        state.profile, state.layer = profile, layer
        if new_link or time.time() - decoded.issued_at > REFRESH_AFTER_SECONDS:
            state.cookie_action = CookieAction.SET  # sliding 7-day expiry, or a link to note
    else:  # a new choice, or the account's profile on a new device: write the cookie
        state.remember(profile, layer=layer)
    state.needs_reconfirmation = needs_reconfirmation(
        profile, timezone.now(), conf.profile_reconfirm_days
    )
    return state, remembered


def _link_industry(request: HttpRequest, catalog: Catalog) -> str:
    """The known industry a link states with ``?industry=<slug>`` ("" when none).

    A link's industry is applied once per value: the cookie remembers the last value seen,
    and the same value again (a reload of the landing URL, the back button, a bookmark, a
    return address that still carries it) changes nothing, so a choice the visitor made
    since (start form, prompt, API) stands. A different value is a new explicit choice.
    """
    industry = request.GET.get(INDUSTRY_PARAM, "")
    return industry if industry and catalog.industry(industry) is not None else ""


def _explicit_choice(
    request: HttpRequest, catalog: Catalog, current: VisitorProfile | None, industry: str
) -> VisitorProfile | None:
    """A link's new ``industry`` (see :func:`_link_industry`), unless the visitor has it.

    For an anonymous visitor this costs no write: the signed cookie carries the profile (a
    link can mint visitor ids for free, so it must not mint database rows). Signed-in
    visitors get the durable record, so their other devices follow.
    """
    if not industry:
        return None
    if current is not None and current.industry == industry:
        return None
    return services.choose(
        catalog,
        current,
        industry,
        Provenance.URL_PARAM,
        request.user,
        durable=request.user.is_authenticated,
        consent=consent_of(request).state,
    )
