"""The relational adapter of the event store's statistics: sums over :class:`DailyRollup`.

On PostgreSQL (and SQLite) the rollup keeps the per-day cells up to date
(:mod:`persx.analytics.services`), so a report's sufficient statistics are three grouped
queries on it, whatever the number of events. The columnar store computes the same cells
from raw events (:mod:`persx.eventstore.clickhouse_store`); :func:`counting_rules` hands it
the rules this app's rollup SQL inlines, so both count the same thing, and
:func:`refresh_columnar_cells` (run by ``persx_rollup`` with the rollup) brings its cells up
to date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum

from persx.analytics.models import DailyRollup
from persx.analytics.rollup_sql import PAGE_VIEW, REST_ARM
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.visitor.audience import GENERIC
from persx.events.event_types import (
    CONVERSION_EVENT_TYPES,
    ENGAGEMENT_EVENT_TYPE,
    INTERACTION_EVENT_TYPES,
    EventType,
)
from persx.events.experiment_metrics import (
    ALL_VISITOR_METRICS,
    FORM_START,
    PERSONALIZED,
    RETURN_WINDOW_DAYS,
)
from persx.eventstore.clickhouse_store import CellsRefresh
from persx.eventstore.port import ArmSegmentMetric, ArmVariant, CountingRules, Scope, Sums
from persx.eventstore.selection import columnar_store
from persx.privacy.consent import counted_states
from persx.privacy.mode import consent_mode

_SUMS = {
    "v": Sum("visitors"),
    "c": Sum("conversions"),
    "s": Sum("value_sum"),
    "q": Sum("value_sum_sq"),
}


def counting_rules() -> CountingRules:
    """How :mod:`persx.analytics.rollup_sql` counts, as data (consent: the current mode)."""
    return CountingRules(
        exposure=EventType.EXPOSURE.value,
        page_view=PAGE_VIEW,
        fact_types=(*CONVERSION_EVENT_TYPES, ENGAGEMENT_EVENT_TYPE, FORM_START),
        interaction_types=(*CONVERSION_EVENT_TYPES, *INTERACTION_EVENT_TYPES),
        form_start=FORM_START,
        form_submission=EventType.FORM_SUBMISSION.value,
        form_completion="form_completion",
        bounce="bounce",
        return_visit="return_visit",
        return_window_days=RETURN_WINDOW_DAYS,
        personalized=PERSONALIZED,
        generic_variant=GENERIC,
        all_visitor_metrics=ALL_VISITOR_METRICS,
        holdout_experiment=HOLDOUT_EXPERIMENT,
        rest_arm=REST_ARM,
        counted_consents=tuple(str(s) for s in counted_states(consent_mode())),
    )


def _sums(row: Mapping[str, Any]) -> Sums:
    return Sums(
        int(row["v"] or 0), int(row["c"] or 0), float(row["s"] or 0.0), float(row["q"] or 0.0)
    )


def _rollups(scope: Scope) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(experiment=scope.experiment, metric__in=scope.metrics)


class RollupStatistics:
    """Statistics from the daily rollups (the relational store)."""

    def arm_segment_sums(self, scope: Scope) -> dict[ArmSegmentMetric, Sums]:
        rows = _rollups(scope).values("arm", "industry", "metric").annotate(**_SUMS).order_by()
        return {(r["arm"], r["industry"], r["metric"]): _sums(r) for r in rows}

    def daily_sums(self, scope: Scope) -> dict[date, dict[str, Sums]]:
        by_day: dict[date, dict[str, Sums]] = defaultdict(dict)
        for row in _rollups(scope).values("day", "arm").annotate(**_SUMS).order_by("day"):
            by_day[row["day"]][row["arm"]] = _sums(row)
        return by_day

    def variant_sums(self, scope: Scope) -> dict[ArmVariant, Sums]:
        rows = _rollups(scope).values("arm", "variant").annotate(**_SUMS).order_by()
        return {(r["arm"], r["variant"]): _sums(r) for r in rows}

    def visitors_per_arm(
        self, experiments: Sequence[str], rules: CountingRules
    ) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(dict)
        if not experiments:
            return out
        rows = (
            DailyRollup.objects.filter(
                experiment__in=experiments, metric=rules.all_visitor_metrics[0]
            )
            .values("experiment", "arm")
            .annotate(v=Sum("visitors"))
            .order_by()
        )
        for row in rows:
            out[row["experiment"]][row["arm"]] = int(row["v"] or 0)
        return out


def refresh_columnar_cells() -> CellsRefresh | None:
    """On the ClickHouse event store, refresh its report cells with these counting rules
    (the visitors changed since its last refresh); ``None`` on the relational store."""
    store = columnar_store()
    return None if store is None else store.refresh_report_cells(counting_rules())
