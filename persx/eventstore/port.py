"""The event store port: what any store offers the event writers and the reports.

Writers append raw event batches (:class:`RawEventLog`); reports ask for sufficient
statistics (per cell: visitors, converters, Σ value, Σ value²) grouped three ways
(:class:`StatisticsSource`). The statistics code
(:mod:`persx.analytics.report_maths`) receives the same numbers whichever store ran the
query: ``tests/web/test_event_store_parity.py`` holds SQLite, PostgreSQL and ClickHouse to
the same report to 1e-9.

The counting rules (which event types are conversions, what a bounce is, ...) are data
here, :class:`CountingRules`: they belong to :mod:`persx.events.experiment_metrics` and
the rollup SQL, which sit above this package and hand them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol


class Sums(NamedTuple):
    """Sufficient statistics of one cell: visitors, converters, Σ value, Σ value²."""

    visitors: int = 0
    conversions: int = 0
    value_sum: float = 0.0
    value_sum_sq: float = 0.0


@dataclass(frozen=True, slots=True)
class CountingRules:
    """How metrics are counted from raw events (``persx.events.experiment_metrics``)."""

    exposure: str  # the exposure event type
    page_view: str
    fact_types: tuple[str, ...]  # counted per visitor after exposure (conversions, ...)
    interaction_types: tuple[str, ...]  # any of them, ever, and the visitor did not bounce
    form_start: str  # form_completion's denominator
    form_submission: str
    form_completion: str
    bounce: str
    return_visit: str
    return_window_days: int
    personalized: str  # global holdout only: shown a personalized block
    generic_variant: str
    all_visitor_metrics: tuple[str, ...]  # metrics whose denominator is every visitor
    holdout_experiment: str
    rest_arm: str  # the holdout comparison's arm of every profiled visitor not held out
    counted_consents: tuple[str, ...]  # consent states (at first exposure) that count


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report asks about: one experiment's metrics."""

    experiment: str
    metrics: tuple[str, ...]
    rules: CountingRules


ArmSegmentMetric = tuple[str, str, str]  # (arm, industry, metric)
ArmVariant = tuple[str, str]  # (arm, variant shown or would-be variant)


class RawEventLog(Protocol):
    """Where the event writers append raw events."""

    def append(self, rows: Sequence[Sequence[Any]]) -> int:
        """Store rows in ``persx.events.event_row.EVENT_COLUMNS`` order (driver-ready
        values); the rows accepted, once they are durable."""
        ...

    def forget_visitors(self, visitor_ids: Sequence[str]) -> None:
        """Delete every event of these visitors (an erasure)."""
        ...


class StatisticsSource(Protocol):
    """Where reports get their sufficient statistics."""

    def arm_segment_sums(self, scope: Scope) -> dict[ArmSegmentMetric, Sums]:
        """Sums by (arm, industry, metric) over every day, for the scope's metrics."""
        ...

    def daily_sums(self, scope: Scope) -> Mapping[date, dict[str, Sums]]:
        """Sums by day and arm (the scope holds one metric: the primary)."""
        ...

    def variant_sums(self, scope: Scope) -> dict[ArmVariant, Sums]:
        """Sums by (arm, variant) (the scope holds one metric: the primary)."""
        ...

    def visitors_per_arm(
        self, experiments: Sequence[str], rules: CountingRules
    ) -> dict[str, dict[str, int]]:
        """Counted visitors per arm of each experiment."""
        ...


class EventStore(RawEventLog, StatisticsSource, Protocol):
    """Both sides in one store (the columnar adapter). The relational store's sides live
    where its tables do: ``persx.events`` appends, ``persx.analytics.rollup_statistics``
    reads the rollups."""
