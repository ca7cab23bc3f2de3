"""Synthetic visitors through the real site: profile, page views, conversions.

Every visitor is a fresh cookie jar that talks HTTP to the site — in-process through
Django's test ``Client`` (the whole middleware stack, the real views and the real event
writer) or to a running site with ``url`` — never by inserting rows. Each visitor comes
from a client address of its own (:func:`visitor_address`, from 198.18.0.0/15, the range
RFC 2544 sets aside for benchmarks), as the visitors of a real site do, so the site's
per-address limits (profile writes, event batches) stay on at their real values and apply
to each visitor: in-process it is the request's ``REMOTE_ADDR``; against a running site it
is sent as ``X-Forwarded-For``, which the site counts only when it trusts that header
(``PERSX_TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR``; otherwise every visitor is this
machine's address, a run past ~60 profile writes a minute is refused with 429 and the
error says so):

0. accepts analytics in the consent banner (``PUT /api/privacy/consent``, as the banner's
   script does): simulated visitors are consenting visitors, so they are measured and
   counted under either consent mode (reports count consenting visitors only);
1. gets a profile, half of them by landing on ``/contact/?industry=<slug>`` and half by
   ``GET`` + ``PUT /api/personalization`` (with the CSRF token) and then ``GET /contact/``;
   the server records the page view and one exposure per block (experiment arm included);
2. sometimes views the home page too (the others bounce: one page view, nothing else);
   with ``days > 1`` some come back to the contact page 1-6 days later (return visit);
3. converts with probability ``baseline[metric] × (1 + lift[industry, metric])`` when the
   contact form it was shown is personalized (``data-variant`` ≠ ``generic``), else
   ``baseline[metric]``: ``form_submission`` by posting the contact form
   (``/contact/submit/``), ``cta_click`` / ``email_signup`` / ``engagement`` (seconds) by
   ``POST /api/events`` as the browser tracker does. Everyone who submits the form sends
   ``form_start`` first (the tracker's first interaction with it), and ``form_abandon`` of
   the others start it and leave.

Days. The site stamps its own events (exposures, page views, form submissions) with the
time they happen, and ``/api/events`` refuses events older than 7 days, so a history is not
made by back-dating requests. Instead each visitor is given a day in the past and, after
the run, the whole history of that visitor is moved back by that many days
(``services.shift_visitor_histories`` — a documented backfill that keeps every event's order
and spacing). In-process this always happens for ``days > 1``; against a running site
(``url``) it needs ``backfill=True`` and this process must use the site's database. Then
the rollups are updated and the monitor's hourly health counts are recounted from the
run's oldest event (``persx.monitoring.services.recount_health_counts``), so the health
dashboard's daily trends and the weekly report show the days the run made.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import ipaddress
import json
import logging
import math
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Max, Min

from persx.analytics.models import RollupState
from persx.analytics.services import STATE_NAME, rebuild_rollups, update_rollups
from persx.content.tagged_index import ranked_entries
from persx.demo.planted_browsing import planted_paths
from persx.demo.services import (
    INFERRED_EXPERIMENT,
    begin_simulation_experiment,
    end_simulation_experiment,
    mark_simulated_visitor,
    shift_visitor_histories,
)
from persx.events import exposure_writer
from persx.events.models import Event
from persx.monitoring.services import recount_health_counts

DEFAULT_BASELINES: dict[str, float] = {
    "form_submission": 0.03,
    "cta_click": 0.08,
    "email_signup": 0.02,
    "engagement": 0.6,  # share of visitors whose time on page is reported
    "return_visit": 0.2,  # come back 1-6 days later (needs --days > 1)
    "form_abandon": 0.05,  # of those who do not submit: start the contact form and leave
}
RETURN_WITHIN_DAYS = 7
ENGAGEMENT_MEAN_SECONDS = 45.0
SECOND_PAGE_SHARE = 0.5  # visitors who also view the home page (the rest bounce)
ALL = "*"

# Where simulated visitors come from: RFC 2544's benchmarking range (never a real client,
# and not in the demo's firmographic data), one address per visitor.
VISITOR_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
FORWARDED_FOR = "X-Forwarded-For"

_VARIANT = re.compile(r'data-testid="contact-form"\s+data-variant="([^"]*)"')
_PROFILE = re.compile(r'<body[^>]*\sdata-profile="([^"]*)"')


class SimulationError(Exception):
    """The site did not answer as a visitor's step expects (status and path in the text)."""


def visitor_address(index: int) -> str:
    """The client address of the ``index``-th simulated visitor (distinct for 131,070)."""
    return str(VISITOR_NETWORK[1 + index % (VISITOR_NETWORK.num_addresses - 2)])


# --- plan ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    visitors: int
    industries: Mapping[str, float]  # industry slug → share of visitors (weights)
    lifts: Mapping[tuple[str, str], float]  # (industry or "*", metric or "*") → true lift
    baselines: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BASELINES))
    days: int = 1
    seed: int = 1
    url: str | None = None
    backfill: bool = False
    # Share of visitors who skip the start form (0: everyone states their industry).
    skippers: float = 0.0

    def __post_init__(self) -> None:
        if self.visitors < 1:
            raise ValueError("visitors must be at least 1")
        if not 0.0 <= self.skippers <= 1.0:
            raise ValueError("skippers: a share between 0 and 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.url and self.days > 1 and not self.backfill:
            raise ValueError(
                "with --url, --days > 1 needs --backfill (this process shifts the visitors' "
                "events in the site's database afterwards)"
            )

    def lift(self, industry: str, metric: str) -> float:
        for key in ((industry, metric), (industry, ALL), (ALL, metric), (ALL, ALL)):
            if key in self.lifts:
                return self.lifts[key]
        return 0.0

    def probability(self, industry: str, metric: str, personalized: bool) -> float:
        base = self.baselines.get(metric, 0.0)
        p = base * (1 + self.lift(industry, metric)) if personalized else base
        return min(max(p, 0.0), 1.0)


def parse_shares(text: str) -> dict[str, float]:
    """``"saas=2,healthcare=1"`` → weights (a bare ``saas`` counts 1)."""
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, raw = part.partition("=")
        try:
            weight = float(raw) if raw else 1.0
        except ValueError as exc:
            raise ValueError(f"industries: '{part}' is not name=weight") from exc
        if weight < 0 or not math.isfinite(weight):
            raise ValueError(f"industries: weight of '{name}' must be a non-negative number")
        shares[name.strip()] = weight
    if not shares or sum(shares.values()) <= 0:
        raise ValueError("industries: give at least one industry with a positive weight")
    return shares


def parse_lifts(text: str) -> dict[tuple[str, str], float]:
    """``"0.2"``, ``"saas=0.3,healthcare:cta_click=0.1,*=0.15"`` → lifts (relative)."""
    lifts: dict[tuple[str, str], float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        target, sep, raw = part.rpartition("=")
        if not sep:
            target, raw = ALL, part
        industry, _, metric = target.strip().partition(":")
        try:
            value = float(raw)
        except ValueError as exc:
            raise ValueError(f"lift: '{part}' is not industry[:metric]=number") from exc
        if value <= -1 or not math.isfinite(value):
            raise ValueError(f"lift: '{part}' must be a number above -1")
        lifts[(industry or ALL, metric or ALL)] = value
    return lifts


def parse_baselines(text: str) -> dict[str, float]:
    """``"0.03"`` (the contact form) or ``"0.03,cta_click=0.1"`` → per-metric baselines."""
    baselines = dict(DEFAULT_BASELINES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, raw = part.rpartition("=")
        metric = name.strip() if sep else "form_submission"
        try:
            value = float(raw)
        except ValueError as exc:
            raise ValueError(f"baseline: '{part}' is not [metric=]rate") from exc
        if not 0 <= value <= 1:
            raise ValueError(f"baseline: '{part}' must be a rate between 0 and 1")
        if metric not in DEFAULT_BASELINES:
            known = ", ".join(DEFAULT_BASELINES)
            raise ValueError(f"baseline: unknown metric '{metric}' (known: {known})")
        baselines[metric] = value
    return baselines


# --- the visitor's browser ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    text: str


class Browser(Protocol):
    def get(self, path: str) -> Page: ...
    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page: ...
    def post_form(self, path: str, data: Mapping[str, str]) -> Page: ...
    def cookie(self, name: str) -> str | None: ...


class InProcessBrowser:
    """Django's test client: the full middleware stack, in this process, from ``address``."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        from django.test import Client

        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))]
        self.client = Client(HTTP_HOST=hosts[0] if hosts else "localhost", REMOTE_ADDR=address)

    def get(self, path: str) -> Page:
        response = self.client.get(path)
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page:
        send = getattr(self.client, method.lower())
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = send(path, data=json.dumps(body), content_type="application/json", **extra)
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def post_form(self, path: str, data: Mapping[str, str]) -> Page:
        response = self.client.post(path, data=dict(data))
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def cookie(self, name: str) -> str | None:
        morsel = self.client.cookies.get(name)
        return morsel.value if morsel is not None else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpBrowser:
    """A cookie jar speaking HTTP to a running site (``--url``); ``address`` goes out as
    ``X-Forwarded-For`` (counted only by a site that trusts that header)."""

    def __init__(self, base_url: str, address: str = "", timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.address = address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.timeout = timeout

    def _open(self, request: urllib.request.Request) -> Page:
        if self.address:
            request.add_header(FORWARDED_FOR, self.address)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Page(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            return Page(error.code, error.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Origin": self.base, **headers},
        )
        return self._open(request)

    def post_form(self, path: str, data: Mapping[str, str]) -> Page:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            method="POST",
            headers={"Referer": self.base + "/contact/"},
        )
        return self._open(request)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


# --- one visitor --------------------------------------------------------------------------


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
        browser, plan, industry, rng, days_back, visitor_id, variant, variant != "generic"
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
) -> VisitorOutcome:
    """The rest of a visit after the contact page: another page, events, the form, a return
    visit; ``personalized`` says whether the planted lift applies."""
    if rng.random() < SECOND_PAGE_SHARE:
        _expect(browser.get("/"), "/")
    converted: list[str] = []
    events: list[dict[str, Any]] = []
    now = datetime.now(UTC).isoformat()
    for metric in ("cta_click", "email_signup"):
        if rng.random() < plan.probability(industry, metric, personalized):
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
    submits = rng.random() < plan.probability(industry, "form_submission", personalized)
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
                    "email": f"sim-{visitor_id[:12] or uuid.uuid4().hex[:12]}@example.com",
                    "company": "Simulated Co",
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
    if days_back >= 1 and rng.random() < plan.probability(industry, "return_visit", personalized):
        gap = rng.randint(1, min(days_back, RETURN_WITHIN_DAYS - 1))
        returned_at = datetime.now(UTC)
        _expect(browser.get("/contact/"), "/contact/ (return visit)")
        converted.append("return_visit")
    return VisitorOutcome(
        visitor_id, industry, variant, tuple(converted), days_back, returned_at, gap
    )


# --- a run --------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_page_logs() -> Iterator[None]:
    """No "personalization served" line per simulated page view (warnings still show)."""
    logger = logging.getLogger("persx.personalization")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    visitors: int
    personalized: int
    conversions: Mapping[tuple[str, bool], int]  # (metric, saw personalized) → visitors
    by_industry: Mapping[str, int]
    events_written: int
    events_backfilled: int
    rollup_events: int
    rollups_rebuilt: bool
    seconds: float
    outcomes: Sequence[VisitorOutcome]
    training: str = ""  # what the inference training between the phases said
    health_since: datetime | None = None  # the health counts were recounted from here

    @property
    def skippers(self) -> int:
        return sum(o.skipped for o in self.outcomes)

    @property
    def inferred(self) -> int:
        """Skippers the site gave an inferred profile (its threshold cleared)."""
        return sum(bool(o.inferred) for o in self.outcomes if o.skipped)

    @property
    def inferred_correct(self) -> int:
        return sum(o.inferred == o.industry for o in self.outcomes if o.skipped and o.inferred)

    @property
    def precision(self) -> float | None:
        """Of the skippers given an industry, the share given their true industry."""
        return self.inferred_correct / self.inferred if self.inferred else None

    @property
    def coverage(self) -> float | None:
        """The share of skippers who got a profile at all."""
        return self.inferred / self.skippers if self.skippers else None


def run(
    plan: Plan,
    progress: Callable[[int, int], None] | None = None,
    browser_factory: Callable[[str], Browser] | None = None,
    say: Callable[[str], None] | None = None,
    train: Callable[[], str] | None = None,
) -> SimulationResult:
    """Drive ``plan.visitors`` visitors through the site, backfill days, update rollups.

    With ``plan.skippers`` > 0 the run has two phases: first the visitors who state their
    industry (after planted browsing, through the start form: labelled inference examples),
    then ``train`` (when given: retrain the inference model on those labels), then the
    form-skippers, whom the experiment ``pli-inferred`` (inferred profiles only) splits
    between generic and personalized content.

    The simulation's experiment runs for the length of the run only: afterwards it is back
    in its prior state (stopped when the run created it), so real visitors are not split
    into its arms. Every simulated visitor is marked (``simulate_traffic --clear``).
    """
    experiment = begin_simulation_experiment()
    inferred = begin_simulation_experiment(INFERRED_EXPERIMENT) if plan.skippers else None
    try:
        return _run(plan, progress, browser_factory, say or (lambda _: None), train)
    finally:
        end_simulation_experiment(experiment)
        if inferred is not None:
            end_simulation_experiment(inferred)


def industry_posts() -> dict[str, list[str]]:
    """Each industry's blog post URLs (the planted landing pages and reads)."""
    posts: dict[str, list[str]] = {}
    for ranked in ranked_entries(None, "post"):
        for industry in ranked.entry.industries:
            posts.setdefault(industry, []).append(ranked.entry.url)
    return posts


def _run(
    plan: Plan,
    progress: Callable[[int, int], None] | None,
    browser_factory: Callable[[str], Browser] | None,
    say: Callable[[str], None],
    train: Callable[[], str] | None = None,
) -> SimulationResult:
    started = time.perf_counter()
    first_id = Event.objects.aggregate(top=Max("id"))["top"] or 0
    rng = random.Random(plan.seed)
    industries = list(plan.industries)
    weights = [plan.industries[i] for i in industries]
    # Each visitor a new browser from its own client address (the module docstring).
    factory = browser_factory or (
        (lambda address: HttpBrowser(plan.url or "", address)) if plan.url else InProcessBrowser
    )
    skippers = round(plan.visitors * plan.skippers)
    posts = industry_posts() if skippers else None
    outcomes: list[VisitorOutcome] = []
    training = ""
    with _quiet_page_logs():
        for i in range(plan.visitors):
            if i == plan.visitors - skippers and posts is not None and train is not None:
                say("Training the inference model on the stated visitors' answers...")
                training = train()
                say(training)
            industry = rng.choices(industries, weights)[0]
            days_back = rng.randrange(plan.days)
            if posts is not None and i >= plan.visitors - skippers:
                outcome = simulate_skipper(
                    factory(visitor_address(i)),
                    plan,
                    industry,
                    rng,
                    posts,
                    days_back,
                    mark_simulated_visitor,
                )
            else:
                outcome = simulate_visitor(
                    factory(visitor_address(i)),
                    plan,
                    industry,
                    rng,
                    days_back,
                    on_visitor=mark_simulated_visitor,
                    posts=posts,
                )
            outcomes.append(outcome)
            if progress:
                progress(i + 1, plan.visitors)
    say("Writing the queued exposures, moving visits into past days, updating the rollups...")
    if plan.url:
        time.sleep(1.0)  # the site's writer thread flushes exposures every 0.5 s
    else:
        exposure_writer.flush()
    written = Event.objects.filter(id__gt=first_id).count()
    backfilled = 0
    if plan.days > 1:
        backfilled = shift_visitor_histories(
            {o.visitor_id: o.days_back for o in outcomes if o.visitor_id},
            {
                o.visitor_id: (o.returned_at, o.return_after_days)
                for o in outcomes
                if o.visitor_id and o.returned_at is not None
            },
        )
    state = RollupState.objects.filter(name=STATE_NAME).first()
    rebuild = backfilled > 0 and state is not None and state.last_event_id > first_id
    rollup = rebuild_rollups() if rebuild else update_rollups()
    # The health dashboard's daily trends and the weekly report read the monitor's hourly
    # counts: recount the hours the run's events now lie in (the monitor's own passes only
    # recount the last hour or two).
    earliest = Event.objects.filter(id__gt=first_id).aggregate(at=Min("occurred_at"))["at"]
    health_since: datetime | None = earliest
    if health_since is not None:
        recount_health_counts(health_since, datetime.now(UTC))
    conversions: Counter[tuple[str, bool]] = Counter()
    for outcome in outcomes:
        for metric in outcome.conversions:
            conversions[(metric, outcome.variant != "generic")] += 1
    return SimulationResult(
        visitors=len(outcomes),
        personalized=sum(o.variant != "generic" for o in outcomes),
        conversions=dict(conversions),
        by_industry=dict(Counter(o.industry for o in outcomes)),
        events_written=written,
        events_backfilled=backfilled,
        rollup_events=rollup.events,
        rollups_rebuilt=rebuild,
        seconds=time.perf_counter() - started,
        outcomes=outcomes,
        training=training,
        health_since=health_since,
    )
