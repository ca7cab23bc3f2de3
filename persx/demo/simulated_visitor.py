"""One simulated visitor's visit through a :class:`~persx.demo.simulated_browser.Browser`:
consent, a profile (or none: a form-skipper), the contact page, and the conversions the
plan's planted truth (:mod:`persx.demo.traffic_plan`) draws for it (the steps:
:mod:`persx.demo.simulation`)."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from persx.demo.planted_accounts import PlantedAccount
from persx.demo.planted_browsing import planted_paths
from persx.demo.simulated_browser import Browser, Page
from persx.demo.traffic_plan import (
    ENGAGEMENT_MEAN_SECONDS,
    RETURN_WITHIN_DAYS,
    SECOND_PAGE_SHARE,
    Plan,
)

_VARIANT = re.compile(r'data-testid="contact-form"\s+data-variant="([^"]*)"')
_PROFILE = re.compile(r'<body[^>]*\sdata-profile="([^"]*)"')


class SimulationError(Exception):
    """The site did not answer as a visitor's step expects (status and path in the text)."""


@dataclass(frozen=True, slots=True)
class VisitorOutcome:
    visitor_id: str
    industry: str
    variant: str  # what the contact form showed
    conversions: tuple[str, ...]
    days_back: int = 0  # the backfill moves the visit this many days into the past
    returned_at: datetime | None = None  # when the return visit started (real clock)
    return_after_days: int = 0  # ... and that visit is put this many days later
    skipped: bool = False  # skipped the start form (the inferred layer may profile them)
    inferred: str = ""  # the industry the site inferred for a skipper ("": abstained)


TOO_MANY = (
    " (a per-address limit: against a running site every simulated visitor is this "
    "machine's address unless the site takes the client address from X-Forwarded-For, "
    "PERSX_TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR; see docs/operations.md, Simulated "
    "traffic)"
)


def _expect(page: Page, path: str, *ok: int) -> Page:
    if page.status not in (ok or (200,)):
        hint = TOO_MANY if page.status == 429 else ""
        raise SimulationError(f"{path} answered {page.status}: {page.text[:300]}{hint}")
    return page


def _visitor_id(browser: Browser) -> str:
    state = json.loads(_expect(browser.get("/api/personalization"), "/api/personalization").text)
    return str(state.get("visitor_id") or "")


def _grant_consent(browser: Browser) -> None:
    """The visitor accepts analytics (the site stores measurement and signals only then)."""
    _expect(browser.get("/api/privacy/consent"), "/api/privacy/consent")
    _expect(
        browser.send_json(
            "PUT",
            "/api/privacy/consent",
            {"choice": "granted"},
            {"X-CSRFToken": browser.cookie(settings.CSRF_COOKIE_NAME) or ""},
        ),
        "PUT /api/privacy/consent",
    )


def simulate_visitor(
    browser: Browser,
    plan: Plan,
    industry: str,
    rng: random.Random,
    days_back: int = 0,
    on_visitor: Callable[[str], None] | None = None,
    posts: Mapping[str, Sequence[str]] | None = None,
    account: PlantedAccount | None = None,
) -> VisitorOutcome:
    """One visitor's visit (see the module docstring); ``days_back`` is where the backfill
    will put it, so a return visit 1-6 days later can still lie in the past. ``on_visitor``
    hears the visitor id as soon as the site has given one (before any conversion).

    With ``posts`` (industry → its blog post URLs) the visitor first browses with planted
    behaviour (:mod:`persx.demo.planted_browsing`) and then answers the one-question start
    form, so the site keeps the answer with the signals as a labelled inference example.
    """
    _grant_consent(browser)
    if posts is not None:
        for path in planted_paths(rng, industry, posts):  # CTA click to the contact page too
            _expect(browser.get(path), path)
        token = browser.cookie(settings.CSRF_COOKIE_NAME) or ""
        _expect(
            browser.post_form(
                "/start/industry/",
                {"csrfmiddlewaretoken": token, "industry": industry, "next": "/contact/"},
            ),
            "/start/industry/",
            302,
            303,
        )
        contact = _expect(browser.get("/contact/"), "/contact/")
    elif rng.random() < 0.5:
        contact = _expect(browser.get(f"/contact/?industry={industry}"), "/contact/?industry=")
    else:
        _expect(browser.get("/api/personalization"), "/api/personalization")
        token = browser.cookie(settings.CSRF_COOKIE_NAME) or ""
        _expect(
            browser.send_json(
                "PUT", "/api/personalization", {"industry": industry}, {"X-CSRFToken": token}
            ),
            "PUT /api/personalization",
        )
        contact = _expect(browser.get("/contact/"), "/contact/")
    match = _VARIANT.search(contact.text)
    variant = match.group(1) if match else "generic"
    visitor_id = _visitor_id(browser)
    if on_visitor is not None:
        on_visitor(visitor_id)
    return _after_contact(
        browser,
        plan,
        industry,
        rng,
        days_back,
        visitor_id,
        variant,
        variant != "generic",
        account,
    )


def simulate_skipper(
    browser: Browser,
    plan: Plan,
    industry: str,
    rng: random.Random,
    posts: Mapping[str, Sequence[str]],
    days_back: int = 0,
    on_visitor: Callable[[str], None] | None = None,
) -> VisitorOutcome:
    """A visitor who never answers the start form: planted browsing, then the contact page
    (reached through an industry-specific CTA or directly).

    The site may infer an industry from the signals (the page's ``data-profile``). Planted
    truth: personalized content lifts conversions only when it was written for the
    visitor's true industry; a wrong inference converts at the generic baseline. A skipper
    the site did not profile is not measured by any experiment (no visitor id to count
    them under), so the simulation sends nothing more for them.
    """
    _grant_consent(browser)
    paths = planted_paths(rng, industry, posts)
    for path in paths[:-1]:
        _expect(browser.get(path), path)
    contact = _expect(browser.get(paths[-1]), paths[-1])
    match = _VARIANT.search(contact.text)
    variant = match.group(1) if match else "generic"
    shown = _PROFILE.search(contact.text)
    inferred = shown.group(1) if shown and shown.group(1) != "none" else ""
    if not inferred:
        return VisitorOutcome("", industry, variant, (), days_back, skipped=True)
    visitor_id = _visitor_id(browser)
    if on_visitor is not None:
        on_visitor(visitor_id)
    lifted = variant != "generic" and inferred == industry
    outcome = _after_contact(browser, plan, industry, rng, days_back, visitor_id, variant, lifted)
    return replace(outcome, skipped=True, inferred=inferred)


def _after_contact(
    browser: Browser,
    plan: Plan,
    industry: str,
    rng: random.Random,
    days_back: int,
    visitor_id: str,
    variant: str,
    personalized: bool,
    account: PlantedAccount | None = None,
) -> VisitorOutcome:
    """The rest of a visit after the contact page: another page, events, the form, a return
    visit; ``personalized`` says whether the planted lift applies, ``account`` (planted
    accounts) scales every chance by the account's propensity and gives the work email."""
    propensity = account.propensity if account is not None else 1.0
    if rng.random() < SECOND_PAGE_SHARE:
        _expect(browser.get("/"), "/")
    converted: list[str] = []
    events: list[dict[str, Any]] = []
    now = datetime.now(UTC).isoformat()
    for metric in ("cta_click", "email_signup"):
        if rng.random() < plan.probability(industry, metric, personalized, propensity):
            converted.append(metric)
            events.append(
                {"event_id": str(uuid.uuid4()), "type": metric, "occurred_at": now, "page": "/"}
            )
    if rng.random() < plan.baselines.get("engagement", 0.0):
        mean = ENGAGEMENT_MEAN_SECONDS * (
            1 + (plan.lift(industry, "engagement") if personalized else 0.0)
        )
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": "engagement",
                "occurred_at": now,
                "page": "/contact/",
                "value": round(rng.expovariate(1 / max(mean, 1e-6)), 1),
            }
        )
    submits = rng.random() < plan.probability(industry, "form_submission", personalized, propensity)
    if submits or rng.random() < plan.baselines.get("form_abandon", 0.0):
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": "form_start",
                "occurred_at": now,
                "page": "/contact/",
                "properties": {"form": "contact", "variant": variant},
            }
        )
    if events:
        _expect(browser.send_json("POST", "/api/events", {"events": events}, {}), "/api/events")
    if submits:
        converted.append("form_submission")
        token = browser.cookie(settings.CSRF_COOKIE_NAME) or ""
        _expect(
            browser.post_form(
                "/contact/submit/",
                {
                    "csrfmiddlewaretoken": token,
                    "name": f"Sim Visitor {visitor_id[:6]}",
                    "email": (
                        account.email(visitor_id or uuid.uuid4().hex)
                        if account is not None
                        else f"sim-{visitor_id[:12] or uuid.uuid4().hex[:12]}@example.com"
                    ),
                    "company": account.company if account is not None else "Simulated Co",
                    "message": "Simulated lead (simulate_traffic).",
                    "variant": variant,
                    "next": "/contact/",
                },
            ),
            "/contact/submit/",
            302,
            303,
        )
    returned_at, gap = None, 0
    if days_back >= 1 and rng.random() < plan.probability(
        industry, "return_visit", personalized, propensity
    ):
        gap = rng.randint(1, min(days_back, RETURN_WITHIN_DAYS - 1))
        returned_at = datetime.now(UTC)
        _expect(browser.get("/contact/"), "/contact/ (return visit)")
        converted.append("return_visit")
    return VisitorOutcome(
        visitor_id, industry, variant, tuple(converted), days_back, returned_at, gap
    )
