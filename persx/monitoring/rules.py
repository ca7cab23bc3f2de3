"""How each measure of an alert rule is observed, per scope, from the health model.

A rule's measure becomes one
:class:`~persx.engine.alerting.judgement.Observation` per scope (the site
``""``, each industry, each running experiment or each metric × variant), and its
threshold one :class:`~persx.engine.alerting.judgement.Threshold`, which the engine judges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum

from persx.engine.alerting.judgement import Observation, Threshold
from persx.monitoring import content_audit, health
from persx.monitoring.health import SITE, ScopeHealth, Window
from persx.monitoring.models import AlertRule, Direction, HealthCount, Measure

BASELINE_DAYS = 7
# A relative "above" rule never fires below this absolute rate (a 0% baseline doubled is 0%).
RELATIVE_FLOOR = 0.01

# (successes, trials) of each rate measure.
RATE_MEASURES: dict[Measure, Callable[[ScopeHealth], tuple[int, int]]] = {
    Measure.PERSONALIZATION_RATE: lambda h: (h.personalized_views, h.page_views),
    Measure.ERROR_RATE: lambda h: (h.errors, h.decisions),
    Measure.FALLBACK_RATE: lambda h: (h.fallbacks, h.eligible_decisions),
    Measure.START_FORM_COMPLETION: lambda h: (h.start_form_completions, h.start_form_views),
    Measure.PERSISTENCE_RATE: lambda h: (h.persisted_visitors, h.returning_visitors),
}


@dataclass
class PassContext:
    """What one monitor pass has read so far (each window is queried once)."""

    now: datetime
    windows: dict[int, dict[str, ScopeHealth]] = field(default_factory=dict)
    blocks: list[content_audit.PersonalizedBlockInfo] | None = None

    def health(self, minutes: int) -> dict[str, ScopeHealth]:
        if minutes not in self.windows:
            self.windows[minutes] = health.window_health(Window.ending(self.now, minutes))
        return self.windows[minutes]

    def personalized_blocks(self) -> list[content_audit.PersonalizedBlockInfo]:
        if self.blocks is None:
            self.blocks = content_audit.personalized_blocks()
        return self.blocks


@dataclass(frozen=True, slots=True)
class ScopeObservation:
    observation: Observation
    threshold: Threshold
    details: dict[str, Any]


def _threshold(rule: AlertRule, baseline: float | None = None) -> Threshold | None:
    level, clear = rule.threshold, rule.clear_level
    if rule.relative_to_baseline:
        if baseline is None:
            return None
        level, clear = baseline * level, baseline * clear
        if rule.direction == Direction.ABOVE:
            level, clear = max(level, RELATIVE_FLOOR), max(clear, RELATIVE_FLOOR * 0.5)
    return Threshold(rule.direction == Direction.BELOW, level, clear, rule.min_sample)


def _baseline_rates(measure: str, now: datetime) -> dict[str, float]:
    """Each scope's rate over the 7 days before today's window, from the hourly rollup."""
    numerator, denominator = _rollup_measures(measure)
    if numerator is None:
        return {}
    rows = (
        HealthCount.objects.filter(
            hour__gte=now - timedelta(days=BASELINE_DAYS), hour__lt=now - timedelta(hours=1)
        )
        .filter(measure__in=[*numerator, *denominator])
        .values("industry", "measure")
        .annotate(n=Sum("count"))
        .order_by()
    )
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        sums.setdefault(row["industry"], {})[row["measure"]] = int(row["n"] or 0)
    rates = {}
    for scope, counts in sums.items():
        num = sum(counts.get(m, 0) for m in numerator)
        den = sum(counts.get(m, 0) for m in denominator)
        if den > 0:
            rates[scope] = num / den
    return rates


def _rollup_measures(measure: str) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if measure == Measure.PERSONALIZATION_RATE:
        return ("personalized_views",), ("page_views",)
    if measure == Measure.START_FORM_COMPLETION:
        return ("start_form_completions",), ("start_form_views",)
    if measure == Measure.ERROR_RATE:
        return ("reason:error", "reason:timeout"), ("decisions",)
    if measure == Measure.FALLBACK_RATE:
        return ("fallbacks",), ("eligible_decisions",)
    return None, ()


def observe(rule: AlertRule, context: PassContext) -> dict[str, ScopeObservation]:
    """The rule's measure in every scope it watches."""
    measure = Measure(rule.measure)
    if measure in RATE_MEASURES:
        return _observe_rate(rule, measure, context)
    if measure == Measure.SRM:
        return _observe_srm(rule)
    if measure == Measure.STALE_VARIANTS:
        stale = content_audit.stale_variants(context.personalized_blocks(), context.now)
        threshold = _threshold(rule)
        assert threshold is not None
        details = {
            "stale": [f"{s.block.page_title} / {s.block.block_type} / {s.audience}" for s in stale][
                :20
            ]
        }
        n = 1 if context.personalized_blocks() else 0
        return {SITE: ScopeObservation(Observation.value(len(stale), n), threshold, details)}
    return _observe_web_vitals(rule, context)


def _observe_rate(
    rule: AlertRule, measure: Measure, context: PassContext
) -> dict[str, ScopeObservation]:
    counts_of = RATE_MEASURES[measure]
    by_scope = context.health(rule.window_minutes)
    baselines = _baseline_rates(measure, context.now) if rule.relative_to_baseline else {}
    scopes = [SITE]
    if rule.per_industry and measure != Measure.START_FORM_COMPLETION:
        scopes += sorted(s for s in by_scope if s != SITE)
    observed = {}
    for scope in scopes:
        successes, trials = counts_of(by_scope.get(scope, ScopeHealth()))
        threshold = _threshold(rule, baselines.get(scope))
        if threshold is None:
            continue
        details: dict[str, Any] = {"successes": successes, "trials": trials}
        if rule.relative_to_baseline:
            details["baseline"] = baselines.get(scope)
        if measure == Measure.FALLBACK_RATE:
            details["by_reason"] = by_scope.get(scope, ScopeHealth()).fallbacks_by_reason()
        observed[scope] = ScopeObservation(Observation.rate(successes, trials), threshold, details)
    return observed


def _observe_srm(rule: AlertRule) -> dict[str, ScopeObservation]:
    from persx.analytics.report_queries import all_designs
    from persx.analytics.reports import build_report

    threshold = _threshold(rule)
    assert threshold is not None
    observed = {}
    for design in all_designs():
        if design.is_holdout or design.status != "running":
            continue
        report = build_report(design, with_variants=False)
        if report.srm.p_value is None:
            continue
        observed[design.key] = ScopeObservation(
            Observation.value(report.srm.p_value, report.visitors),
            threshold,
            {"message": report.srm.message},
        )
    return observed


def _observe_web_vitals(rule: AlertRule, context: PassContext) -> dict[str, ScopeObservation]:
    threshold = _threshold(rule)
    assert threshold is not None
    rows = health.web_vitals(Window.ending(context.now, rule.window_minutes))
    generic_samples = {r.metric: r.samples for r in rows if r.variant == "generic"}
    observed = {}
    for row in rows:
        if row.variant == "generic" or row.ratio is None:
            continue
        n = min(row.samples, generic_samples.get(row.metric, 0))
        observed[f"{row.metric}:{row.variant}"] = ScopeObservation(
            Observation.value(row.ratio, n),
            threshold,
            {"p75": row.p75, "generic_p75": row.generic_p75, "samples": row.samples},
        )
    return observed
