"""What the traffic simulation (:mod:`persx.demo.simulation`) keeps in the database besides
the events its visitors cause: its experiments (``pli-contact``; ``pli-inferred`` for
form-skippers), run for the length of a run; the markers of its visitors and experiments,
so ``simulate_traffic --clear`` removes exactly what it made; and the backfill that moves
each visitor's history into the past day the plan gave it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Min

from persx.accounts.models import VisitorAccountLink
from persx.accounts.services import erase_links
from persx.demo.models import SimulatedExperiment, SimulatedVisitor
from persx.demo.planted_crm import clear_crm_outcomes
from persx.engine.visitor.profile import Provenance
from persx.events.models import Event
from persx.experiments.models import Experiment
from persx.experiments.services import create_experiment, start_experiment, stop_experiment
from persx.leads.models import Lead
from persx.profiles.models import VisitorProfileRecord

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
    outcomes: int = 0  # the planted CRM's outcomes


def clear_simulated_data(chunk: int = 500) -> ClearedSimulation:
    """Delete what the simulator made: its visitors' events, leads and profile records, and
    the experiments it created that no remaining (real) event refers to. The caller
    rebuilds the rollups and recounts the health counts from ``earliest`` afterwards (both
    are derived from the remaining events)."""
    ids = list(SimulatedVisitor.objects.values_list("visitor_id", flat=True))
    events = leads = records = 0
    earliest: datetime | None = None
    with transaction.atomic():
        # The planted CRM's outcomes first: an account an outcome refers to is kept.
        outcomes = clear_crm_outcomes()
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            oldest = Event.objects.filter(visitor_id__in=part).aggregate(at=Min("occurred_at"))
            if oldest["at"] is not None and (earliest is None or oldest["at"] < earliest):
                earliest = oldest["at"]
            events += Event.objects.filter(visitor_id__in=part).delete()[0]
            leads += Lead.objects.filter(visitor_id__in=part).delete()[0]
            erase_links(frozenset(part))
            records += VisitorProfileRecord.objects.filter(visitor_id__in=part).delete()[0]
        SimulatedVisitor.objects.filter(visitor_id__in=ids).delete()
        removed: list[str] = []
        for marker in SimulatedExperiment.objects.all():
            if not Event.objects.filter(experiment=marker.key).exists():
                Experiment.objects.filter(key=marker.key).delete()
                marker.delete()
                removed.append(marker.key)
    return ClearedSimulation(len(ids), events, leads, records, tuple(removed), earliest, outcomes)


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
                part = visitors[start : start + chunk]
                moved += Event.objects.filter(visitor_id__in=part).update(
                    occurred_at=F("occurred_at") - delta, received_at=F("received_at") - delta
                )
                # The visitor's leads and account links move with the visit that made them.
                Lead.objects.filter(visitor_id__in=part).update(created_at=F("created_at") - delta)
                VisitorAccountLink.objects.filter(visitor_id__in=part).update(
                    linked_at=F("linked_at") - delta
                )
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
