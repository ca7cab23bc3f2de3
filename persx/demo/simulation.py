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
(``simulation_records.shift_visitor_histories`` — a documented backfill that keeps every
event's order and spacing). In-process this always happens for ``days > 1``; against a
running site (``url``) it needs ``backfill=True`` and this process must use the site's
database. Then the rollups are updated and the monitor's hourly health counts are recounted
from the run's oldest event (``persx.monitoring.services.recount_health_counts``), so the health
dashboard's daily trends and the weekly report show the days the run made.

The parts: :mod:`persx.demo.traffic_plan` (the plan and its planted truth),
:mod:`persx.demo.simulated_browser` (a visitor's browser and address),
:mod:`persx.demo.simulated_visitor` (one visit), :mod:`persx.demo.simulation_records` (the
run's experiments, visitor markers and backfill); this module runs them.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db.models import Max, Min

from persx.analytics.models import RollupState
from persx.analytics.services import STATE_NAME, rebuild_rollups, update_rollups
from persx.content.tagged_index import ranked_entries
from persx.demo.planted_accounts import PlantedAccount, account_sizes, plant_accounts
from persx.demo.planted_crm import PlantedCrm, demo_attribution_window, plant_crm_outcomes
from persx.demo.simulated_browser import Browser, HttpBrowser, InProcessBrowser, visitor_address
from persx.demo.simulated_visitor import VisitorOutcome, simulate_skipper, simulate_visitor
from persx.demo.simulation_records import (
    INFERRED_EXPERIMENT,
    SIMULATION_EXPERIMENT,
    begin_simulation_experiment,
    end_simulation_experiment,
    mark_simulated_visitor,
    shift_visitor_histories,
)
from persx.demo.traffic_plan import Plan
from persx.events import exposure_writer
from persx.events.models import Event
from persx.monitoring.services import recount_health_counts


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
    accounts: Mapping[str, int] | None = None  # planted account domain → its visitors
    crm: PlantedCrm | None = None  # the planted CRM outcomes (with planted accounts)

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
    # Planted accounts come from a generator of their own, so a run without them draws
    # exactly what it drew before they existed.
    accounts: list[PlantedAccount] = (
        plant_accounts(
            random.Random(plan.seed * 104_729 + 1),
            plan.visitors - skippers,
            plan.industries,
            plan.account_icc,
            plan.baselines.get("form_submission", 0.0),
        )
        if plan.accounts
        else []
    )
    with _quiet_page_logs():
        for i in range(plan.visitors):
            if i == plan.visitors - skippers and posts is not None and train is not None:
                say("Training the inference model on the stated visitors' answers...")
                training = train()
                say(training)
            industry = rng.choices(industries, weights)[0]
            account = accounts[i] if i < len(accounts) else None
            if account is not None:
                industry = account.industry
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
                    account=account,
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
    crm = None
    if plan.accounts:
        say(
            "Importing the planted CRM's deal export (qualified leads, opportunities, won deals)..."
        )
        crm = replace(
            plant_crm_outcomes(
                [o.visitor_id for o in outcomes if o.visitor_id],
                {o.visitor_id: o.variant != "generic" for o in outcomes if o.visitor_id},
                plan.pipeline_lift,
                plan.seed,
            ),
            attribution_days=demo_attribution_window(SIMULATION_EXPERIMENT),
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
        accounts=account_sizes(accounts) if accounts else None,
        crm=crm,
    )
