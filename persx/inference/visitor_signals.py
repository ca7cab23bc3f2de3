"""The visitor's behaviour signals, carried in a small signed cookie (no SQL per request).

Why a cookie: most visitors never get a profile, so nothing about them is in the database,
and reading their history from the events table on every page would cost a query per
request. The signals are few (a landing page, the last pages and tags, UTM parameters, a
referrer host, a firmographic industry), so they fit in about a kilobyte, signed with the
site's secret (a visitor cannot forge evidence for another industry without also being
able to click it). Django's session would work too, but costs a database read per request
with the default backend.

:class:`SignalsMiddleware` (persx/inference/middleware.py) reads the cookie before the
profile middleware, notes the page being viewed, and writes the cookie back when it
changed. Pages add what they know (a blog post's industry tags) with :func:`note_tags_read`.

Clicks on industry-specific CTAs: a CTA is industry-specific when its link carries
``?cta=<industry>`` (e.g. ``/contact/?cta=saas`` on a "Talk to our SaaS team" button). The
middleware notes the click on the request it leads to (:func:`note_cta_from_query`), so it
works without JavaScript and needs no API call; an unknown industry is ignored. Like pages
and tags, at most ``MAX_LIST_SIGNALS`` clicks are kept, and the oldest go first when the
cookie would outgrow ``MAX_COOKIE_BYTES``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import cast
from urllib.parse import urlsplit

from django.core import signing
from django.http import HttpRequest

from persx.catalog.repository import current_catalog
from persx.engine.learning.inference import MAX_LIST_SIGNALS, UTM_KEYS, Inference, Signals
from persx.http.client_address import client_ip
from persx.inference.artefact import signals_from_json, signals_to_json
from persx.inference.firmographic import current_provider

SALT = "persx.inference.signals"
CTA_PARAM = "cta"
MAX_COOKIE_BYTES = 1500
IGNORED_PREFIXES = (
    "/api/",
    "/cms/",
    "/documents/",
    "/static/",
    "/media/",
    "/django-admin/",
    "/favicon",
)


@dataclass
class SignalsState:
    visitor_id: str
    signals: Signals
    changed: bool = False
    inference: Inference | None = field(default=None)  # set when the model was consulted

    def update(self, signals: Signals) -> None:
        if signals != self.signals:
            self.signals = signals
            self.changed = True


class SignalsRequest(HttpRequest):
    persx_signals: SignalsState


def signals_of(request: HttpRequest) -> SignalsState | None:
    """The request's signals (``None`` when the middleware did not run or skipped it)."""
    return getattr(cast(SignalsRequest, request), "persx_signals", None)


def attach_signals(request: HttpRequest, state: SignalsState) -> None:
    cast(SignalsRequest, request).persx_signals = state


def encode(state: SignalsState) -> str:
    """Signed, compressed JSON; the oldest pages and tags are dropped until it fits."""
    signals = state.signals
    while True:
        value = signing.dumps(
            {"v": state.visitor_id, "s": signals_to_json(signals)}, salt=SALT, compress=True
        )
        lists = (signals.pages_viewed, signals.tags_read, signals.cta_industries)
        if len(value) <= MAX_COOKIE_BYTES or not any(lists):
            return value
        signals = replace(
            signals,
            pages_viewed=signals.pages_viewed[1:],
            tags_read=signals.tags_read[1:],
            cta_industries=signals.cta_industries[1:],
        )


def decode(raw: str | None, max_age: int) -> SignalsState | None:
    """``None`` for a missing, expired, tampered or malformed cookie (a fresh one follows)."""
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    visitor_id = data.get("v")
    if not isinstance(visitor_id, str) or not 8 <= len(visitor_id) <= 32:
        return None
    return SignalsState(visitor_id, signals_from_json(data.get("s")))


def is_page_request(request: HttpRequest) -> bool:
    return request.method == "GET" and not request.path.startswith(IGNORED_PREFIXES)


def _referrer_host(request: HttpRequest) -> str:
    referrer = request.META.get("HTTP_REFERER", "")
    try:
        host = (urlsplit(referrer).hostname or "").lower()
    except ValueError:
        return ""
    return "" if not host or host == request.get_host().split(":")[0].lower() else host


def first_visit(request: HttpRequest) -> SignalsState:
    """A new visitor: the landing page, UTM parameters, referrer host and (when a provider
    knows the network) the firmographic industry. The IP address is looked up and dropped."""
    utm = tuple(
        (key, request.GET[key][:100]) for key in UTM_KEYS if request.GET.get(key, "").strip()
    )
    ip = client_ip(request)
    found = current_provider().lookup(ip) if ip else None
    signals = Signals(
        landing_path=request.path[:200],
        utm=utm,
        referrer_host=_referrer_host(request)[:100],
        firmographic_industry=found.industry if found else "",
    )
    return SignalsState(secrets.token_hex(16), signals, changed=True)


def note_page_view(state: SignalsState, path: str) -> None:
    pages = state.signals.pages_viewed
    if pages and pages[-1] == path:
        return
    state.update(replace(state.signals, pages_viewed=(*pages, path[:200])[-MAX_LIST_SIGNALS:]))


def note_tags_read(request: HttpRequest, tags: tuple[str, ...]) -> None:
    """A page the visitor is reading carries these content tags (e.g. ``industry:saas``)."""
    state = signals_of(request)
    if state is None or not tags:
        return
    read = (*state.signals.tags_read, *tags)[-MAX_LIST_SIGNALS:]
    state.update(replace(state.signals, tags_read=read))


def note_cta_industry(state: SignalsState, industry: str) -> None:
    """The visitor clicked a CTA meant for ``industry`` (a catalog industry slug)."""
    if not industry:
        return
    clicked = (*state.signals.cta_industries, industry)[-MAX_LIST_SIGNALS:]
    state.update(replace(state.signals, cta_industries=clicked))


def note_cta_from_query(state: SignalsState, request: HttpRequest) -> None:
    """``?cta=<industry>`` on a page request: the visitor came through an industry-specific
    CTA. Only known industries count (anything else is ignored, never an error)."""
    slug = request.GET.get(CTA_PARAM, "").strip().lower()[:40]
    if slug and current_catalog().industry(slug) is not None:
        note_cta_industry(state, slug)
