"""Writes of the demo app: the demo site, and the traffic simulation's experiment and backfill.

``seed_demo`` loads the demo site (catalog, pages, posts, test ideas, admin login). Idempotent.

A demo page that only the seed has ever written (every revision without a user) is brought
up to date with the data file, so a newer demo file reaches an existing site; a page an
editor has saved is never overwritten. A second run with the same file changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Min
from wagtail.models import Page, Site

from persx.catalog.models import Goal, Industry
from persx.catalog.services import import_catalog_file
from persx.content.models import (
    BlogIndexPage,
    BlogPostPage,
    HomePage,
    PersonasPage,
    StandardPage,
    TestIdea,
    TestIdeasPage,
)
from persx.demo.ai_drafts import seed_ai_drafts
from persx.demo.models import SimulatedExperiment, SimulatedVisitor
from persx.engine.visitor.profile import Provenance
from persx.events.models import Event
from persx.experiments.models import Experiment
from persx.experiments.services import create_experiment, start_experiment, stop_experiment
from persx.leads.models import Lead
from persx.profiles.models import VisitorProfileRecord

SITE_FILE = Path(__file__).resolve().parent / "data" / "site.json"
DEMO_ADMIN = ("admin", "persx-demo")


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)


# A variant's schedule as Wagtail stores it when none is set (so a refresh compares alike).
UNSCHEDULED = {"live_from": None, "live_until": None}


def stream_data(blocks: list[dict[str, Any]]) -> str:
    """Demo-file blocks → StreamField raw JSON."""
    raw = []
    for block in blocks:
        if block["type"] == "text":
            raw.append({"type": "text", "value": block["html"]})
        else:
            raw.append(
                {
                    "type": block["type"],
                    "value": {
                        "base": block["base"],
                        "variants": [
                            {**UNSCHEDULED, **variant} for variant in block.get("variants", [])
                        ],
                    },
                }
            )
    return json.dumps(raw)


def _comparable(value: Any) -> Any:
    """StreamField JSON without what Wagtail adds on save (block ids, list item wrappers)."""
    if (
        isinstance(value, dict)
        and value.get("type") == "item"
        and set(value) <= {"type", "value", "id"}
    ):
        return _comparable(value["value"])
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _field_value(page: Page, name: str) -> Any:
    value = getattr(page, name)
    raw = getattr(value, "raw_data", None)
    return _comparable(list(raw)) if raw is not None else value


def _wanted_value(value: Any) -> Any:
    return _comparable(json.loads(value)) if isinstance(value, str) and value[:1] == "[" else value


def _refresh(page: Page, report: SeedReport, **fields: Any) -> Page:
    """Bring a seed-only page up to date with the data file (editors' pages are left alone)."""
    page = page.specific
    if page.revisions.exclude(user=None).exists() or page.has_unpublished_changes:
        return page
    changed = {
        name: value
        for name, value in fields.items()
        if _field_value(page, name) != _wanted_value(value)
    }
    if not changed:
        return page
    for name, value in changed.items():
        setattr(page, name, value)
    page.save_revision().publish()
    report.updated.append(f"page {page.url_path.removeprefix('/home')} ({', '.join(changed)})")
    return page


def _child(parent: Page, model: type[Page], slug: str, report: SeedReport, **fields: Any) -> Page:
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return _refresh(existing, report, **fields)
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    report.add(f"page /{slug}/")
    return page


def _home(site_data: dict[str, Any], report: SeedReport) -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return _refresh(
            home,
            report,
            title=site_data["home"]["title"],
            body=stream_data(site_data["home"]["body"]),
        )
    root = Page.get_first_root_node()
    site = Site.objects.filter(is_default_site=True).first()
    placeholder = site.root_page if site else None
    if placeholder is not None and placeholder.get_children_count() == 0:
        # Wagtail's "Welcome" page: replace it with the demo home page.
        placeholder.delete()
        root.refresh_from_db()
    home = HomePage(
        title=site_data["home"]["title"], slug="home", body=stream_data(site_data["home"]["body"])
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="PersX"
        )
    else:
        site.root_page = home
        site.site_name = "PersX"
        site.save()
    report.add("home page")
    return home


def _test_ideas(ideas: list[dict[str, Any]], report: SeedReport) -> None:
    industries = {i.slug: i for i in Industry.objects.all()}
    goals = {g.slug: g for g in Goal.objects.all()}
    for order, item in enumerate(ideas):
        if TestIdea.objects.filter(slug=item["slug"]).exists():
            continue
        idea = TestIdea(
            slug=item["slug"],
            title=item["title"],
            summary=item["summary"],
            hypothesis=item.get("hypothesis", ""),
            impact=item.get("impact", "medium"),
            effort=item.get("effort", "medium"),
            metric=item.get("metric", ""),
            sort_order=order,
        )
        idea.save()
        idea.industries.set([industries[s] for s in item.get("industries", [])])
        idea.goals.set([goals[s] for s in item.get("goals", [])])
        idea.save()
        report.add(f"test idea {item['slug']}")


def _admin(report: SeedReport) -> None:
    user_model = get_user_model()
    username, password = DEMO_ADMIN
    if not user_model.objects.filter(username=username).exists():
        user_model.objects.create_superuser(username, "admin@example.com", password)
        report.add("demo admin login")


@transaction.atomic
def seed_demo(site_file: Path = SITE_FILE) -> SeedReport:
    report = SeedReport()
    result = import_catalog_file()
    if result.created:
        report.add(f"catalog {result.version} ({result.created} rows)")
    data = json.loads(site_file.read_text(encoding="utf-8"))
    home = _home(data, report)
    for slug, key in (("about", "about"), ("contact", "contact")):
        _child(
            home,
            StandardPage,
            slug,
            report,
            title=data[key]["title"],
            body=stream_data(data[key]["body"]),
        )
    blog = _child(
        home,
        BlogIndexPage,
        "blog",
        report,
        title=data["blog"]["title"],
        intro=data["blog"]["intro"],
    )
    industries = {i.slug: i for i in Industry.objects.all()}
    goals = {g.slug: g for g in Goal.objects.all()}
    for post in data["blog"]["posts"]:
        if blog.get_children().filter(slug=post["slug"]).exists():
            continue
        page = BlogPostPage(
            slug=post["slug"],
            title=post["title"],
            date=date.fromisoformat(post["date"]),
            author=post.get("author", ""),
            intro=post["intro"],
            body=post["body_html"],
            cta=stream_data([post["cta"]]) if post.get("cta") else "[]",
        )
        page.industries = [industries[s] for s in post.get("industries", [])]
        page.goals = [goals[s] for s in post.get("goals", [])]
        blog.add_child(instance=page)
        page.save_revision().publish()
        report.add(f"post /blog/{post['slug']}/")
    ideas = data["test_ideas"]
    _child(home, TestIdeasPage, "test-ideas", report, title=ideas["title"], intro=ideas["intro"])
    _test_ideas(ideas["ideas"], report)
    _child(
        home,
        PersonasPage,
        "personas",
        report,
        title=data["personas"]["title"],
        intro=data["personas"]["intro"],
    )
    _admin(report)
    for created in seed_ai_drafts():
        report.add(created)
    return report


# --- the traffic simulation (persx.demo.simulation): its experiment and backfill ----------

SIMULATION_EXPERIMENT = "pli-contact"
# Form-skippers with an inferred profile: generic vs personalized (simulate_traffic --skippers).
INFERRED_EXPERIMENT = "pli-inferred"
STATED_SOURCES = [Provenance.START_FORM.value, Provenance.URL_PARAM.value, Provenance.MANUAL.value]


@dataclass(frozen=True, slots=True)
class SimulationExperiment:
    """The experiment a simulation runs in, and the status to give it back afterwards."""

    experiment: Experiment
    created: bool
    prior_status: str  # the status before the run ("" when the simulator created it)


def ensure_simulation_experiment(key: str = SIMULATION_EXPERIMENT) -> tuple[Experiment, bool]:
    """The experiment the simulation measures; created (running) when missing.

    Control = generic, treatment = personalized, 50/50, on the contact form block. An
    existing experiment is returned as it is (``created=False``). One the simulator creates
    is marked (:class:`SimulatedExperiment`) so ``simulate_traffic --clear`` can remove it.
    """
    existing = Experiment.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    inferred = key == INFERRED_EXPERIMENT
    with transaction.atomic():
        experiment = create_experiment(
            key=key,
            name=(
                "Inferred personalization vs generic contact form"
                if inferred
                else "Personalized vs generic contact form"
            ),
            hypothesis=(
                "Visitors who skipped the start form but whose industry the site inferred "
                "submit the contact form written for that industry more often than the "
                "generic form (PLI > 15%)."
                if inferred
                else "Visitors who see the contact form written for their industry or "
                "persona submit it more often than visitors who see the generic form "
                "(PLI > 15%)."
            ),
            # The stated and the inferred experiments never share a visitor.
            target_sources=[Provenance.INFERRED.value] if inferred else STATED_SOURCES,
            status=Experiment.Status.RUNNING,
            scope_kind=Experiment.ScopeKind.BLOCK_TYPE,
            scope_value="contact_form",
            arms=[
                {"key": "control", "kind": "generic", "weight": 0.5},
                {"key": "personalized", "kind": "personalized", "weight": 0.5},
            ],
            primary_metric="form_submission",
            secondary_metrics=[
                "cta_click",
                "engagement",
                "form_completion",
                "email_signup",
                "bounce",
                "return_visit",
            ],
        )
        SimulatedExperiment.objects.get_or_create(key=key)
    return experiment, True


def begin_simulation_experiment(key: str = SIMULATION_EXPERIMENT) -> SimulationExperiment:
    """Make the simulation's experiment run for the length of a run (created if missing)."""
    experiment, created = ensure_simulation_experiment(key)
    prior = "" if created else experiment.status
    if experiment.status != Experiment.Status.RUNNING:
        experiment = start_experiment(key)
    return SimulationExperiment(experiment, created, prior)


def end_simulation_experiment(started: SimulationExperiment) -> Experiment:
    """Give the experiment back its state from before the run.

    One that was running keeps running; one the simulator created, or that was stopped or
    a draft, is stopped (an experiment that has run cannot go back to draft), so real
    visitors see the site as before the run.
    """
    key = started.experiment.key
    if started.prior_status == Experiment.Status.RUNNING:
        return Experiment.objects.get(key=key)
    return stop_experiment(key)


def mark_simulated_visitor(visitor_id: str) -> None:
    """Record that ``visitor_id`` is a simulated visitor (its rows are simulated data)."""
    if visitor_id:
        SimulatedVisitor.objects.get_or_create(visitor_id=visitor_id)


@dataclass(frozen=True, slots=True)
class ClearedSimulation:
    visitors: int
    events: int
    leads: int
    profile_records: int
    experiments: tuple[str, ...]  # experiments the simulator created, now deleted
    earliest: datetime | None = None  # the oldest removed event (recount health from here)


def clear_simulated_data(chunk: int = 500) -> ClearedSimulation:
    """Delete what the simulator made: its visitors' events, leads and profile records, and
    the experiments it created that no remaining (real) event refers to. The caller
    rebuilds the rollups and recounts the health counts from ``earliest`` afterwards (both
    are derived from the remaining events)."""
    ids = list(SimulatedVisitor.objects.values_list("visitor_id", flat=True))
    events = leads = records = 0
    earliest: datetime | None = None
    with transaction.atomic():
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            oldest = Event.objects.filter(visitor_id__in=part).aggregate(at=Min("occurred_at"))
            if oldest["at"] is not None and (earliest is None or oldest["at"] < earliest):
                earliest = oldest["at"]
            events += Event.objects.filter(visitor_id__in=part).delete()[0]
            leads += Lead.objects.filter(visitor_id__in=part).delete()[0]
            records += VisitorProfileRecord.objects.filter(visitor_id__in=part).delete()[0]
        SimulatedVisitor.objects.filter(visitor_id__in=ids).delete()
        removed: list[str] = []
        for marker in SimulatedExperiment.objects.all():
            if not Event.objects.filter(experiment=marker.key).exists():
                Experiment.objects.filter(key=marker.key).delete()
                marker.delete()
                removed.append(marker.key)
    return ClearedSimulation(len(ids), events, leads, records, tuple(removed), earliest)


def shift_visitor_histories(
    days_back: Mapping[str, int],
    later_visits: Mapping[str, tuple[datetime, int]] | None = None,
    chunk: int = 500,
) -> int:
    """Backfill: move every event of each visitor ``days_back[visitor]`` days into the past.

    The site stamps server-side events (exposures, page views, form submissions) with the
    time they happen, so a simulated history over past days is made by running the visitors
    now and shifting each visitor's whole history afterwards (their events keep their order
    and spacing). ``later_visits[visitor] = (since, days)`` then moves that visitor's events
    stamped at or after ``since`` (before the shift) ``days`` days later again: a return
    visit on another day. Run the rollups afterwards (``rebuild_rollups()`` if they may
    already hold these events). Returns the number of events moved into the past.
    """
    by_offset: dict[int, list[str]] = {}
    for visitor_id, offset in days_back.items():
        if offset > 0:
            by_offset.setdefault(offset, []).append(visitor_id)
    moved = 0
    with transaction.atomic():
        for offset, visitors in sorted(by_offset.items()):
            delta = timedelta(days=offset)
            for start in range(0, len(visitors), chunk):
                moved += Event.objects.filter(
                    visitor_id__in=visitors[start : start + chunk]
                ).update(occurred_at=F("occurred_at") - delta, received_at=F("received_at") - delta)
        for visitor_id, (since, days) in (later_visits or {}).items():
            shifted_since = since - timedelta(days=days_back.get(visitor_id, 0))
            delta = timedelta(days=days)
            Event.objects.filter(visitor_id=visitor_id, occurred_at__gte=shifted_since).update(
                occurred_at=F("occurred_at") + delta, received_at=F("received_at") + delta
            )
    return moved


def forget_simulation_markers(visitor_ids: frozenset[str]) -> int:
    """Erasure (persx.privacy): drop the markers of these visitor ids."""
    return SimulatedVisitor.objects.filter(visitor_id__in=visitor_ids).delete()[0]
