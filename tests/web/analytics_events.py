"""A small factory of raw events for the analytics tests (rows as the site would store them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from persx.engine.deciding.decision import Reason
from persx.engine.visitor.audience import INDUSTRY_PREFIX, PERSONA_PREFIX
from persx.events.models import Event
from persx.experiments.models import Experiment

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` days after DAY0 at ``hour:minute`` UTC."""
    return DAY0 + timedelta(days=day, hours=hour, minutes=minute)


class EventLog:
    """Collects events and stores them in one ``bulk_create`` (ids in insertion order)."""

    def __init__(self) -> None:
        self.rows: list[Event] = []

    def add(self, type_: str, visitor: str, when: datetime, **fields: Any) -> EventLog:
        self.rows.append(
            Event(
                event_id=uuid.uuid4(),
                type=type_,
                visitor_id=visitor,
                occurred_at=when,
                received_at=when,
                page=fields.pop("page", "/contact/"),
                **fields,
            )
        )
        return self

    def exposure(
        self,
        visitor: str,
        when: datetime,
        *,
        experiment: str = "exp-a",
        arm: str = "control",
        industry: str = "saas",
        persona: str = "",
        block: str = "contact_form",
        variant: str | None = None,
        would_be: str | None = None,
        consent: str = "unknown",
    ) -> EventLog:
        personalized_arm = arm not in {"control", "holdout"}
        natural = f"industry:{industry}" if industry else "generic"
        served = variant if variant is not None else (natural if personalized_arm else "generic")
        return self.add(
            "exposure",
            visitor,
            when,
            experiment=experiment,
            arm=arm,
            industry=industry,
            persona=persona,
            block=block,
            variant=served,
            would_be=would_be if would_be is not None else natural,
            reason=_reason(arm, served),
            consent=consent,
        )

    def natural_exposure(
        self, visitor: str, when: datetime, industry: str = "saas", block: str = "hero"
    ) -> EventLog:
        """A decision outside any experiment (counts for the holdout comparison as 'rest')."""
        variant = f"industry:{industry}" if industry else "generic"
        return self.add(
            "exposure",
            visitor,
            when,
            industry=industry,
            block=block,
            variant=variant,
            reason=Reason.INDUSTRY_MATCH if industry else Reason.NO_PROFILE,
        )

    def event(
        self, type_: str, visitor: str, when: datetime, value: float | None = None
    ) -> EventLog:
        return self.add(type_, visitor, when, value=value)

    def save(self) -> list[Event]:
        saved = Event.objects.bulk_create(self.rows)
        self.rows = []
        return saved


def _reason(arm: str, served: str) -> Reason:
    """The engine's reason code for what an arm served (as the request path records it)."""
    if arm == "holdout":
        return Reason.HOLDOUT
    if arm == "control":
        return Reason.EXPERIMENT_CONTROL
    if served.startswith(PERSONA_PREFIX):
        return Reason.PERSONA_MATCH
    if served.startswith(INDUSTRY_PREFIX):
        return Reason.INDUSTRY_MATCH
    return Reason.VARIANT_MISSING


def measured_experiment(key: str, name: str, **fields: Any) -> Experiment:
    """A running 50/50 experiment, generic control vs personalized, on no page of the site
    (``scope_value`` 999999 matches none, so it changes nothing other tests render): the
    experiment the analytics tests plant histories for. ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "key": key,
        "name": name,
        "status": Experiment.Status.RUNNING,
        "scope_kind": Experiment.ScopeKind.PAGE,
        "scope_value": "999999",
        "arms": [
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        "primary_metric": "form_submission",
        **fields,
    }
    return Experiment.objects.create(**values)
