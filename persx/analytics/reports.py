"""Experiment reports: read :class:`DailyRollup`, compute with :mod:`persx.engine.statistics`.

A report compares each treatment arm with the control arm, pooled over industries and per
industry, on the experiment's primary and secondary metrics:

- visitors, conversions, rate (or mean seconds for time on page);
- PLI = rate_T / rate_C - 1 with its 95% Fieller interval (means: Welch t interval);
- the always-valid (sequential) interval, safe to read every day, tuned with the
  experiment's ``sequential_tuning_n``;
- Bayesian chance to win (P(treatment better); for "lower is better" metrics P(lower));
- the p-value (Welch t-test, as GrowthBook), Benjamini-Hochberg adjusted across
  industries × metrics (× treatment arms);
- the minimum detectable effect now and the visitors still needed to detect +15%;
- per industry, the PLI partially pooled toward the pooled lift (empirical Bayes);
- the sample ratio mismatch check on visitors per arm against the configured weights;
- the "underperforming" verdict (PLI < 10%) on the primary metric, only when the evidence
  supports it;
- cumulative PLI by day on the primary metric, with both intervals;
- the primary metric regression-adjusted (CUPED with a covariate predicted from pre-exposure
  data) beside the unadjusted estimate, at the report's unit (account when visitors share
  accounts), with the balance test and the sign-disagreement flag
  (:mod:`~persx.analytics.report_adjustment`);
- when will we know: per industry, the day +15% becomes detectable at current traffic
  (:mod:`~persx.analytics.forecast`);
- pipeline metrics from CRM outcomes, maturing visitors marked
  (:mod:`~persx.analytics.report_pipeline`).

The global holdout is reported like an experiment (key ``global-holdout``): control = the
held-out visitors, treatment = every other profiled visitor (arm ``rest``).

This module only puts the pieces together: the report's types are in
:mod:`~persx.analytics.report_model`, the queries (three grouped queries on DailyRollup, so
a report costs the same at ten thousand or ten million events) in
:mod:`~persx.analytics.report_queries`, the statistics over counts in
:mod:`~persx.analytics.report_maths` and the sentences in
:mod:`~persx.analytics.report_wording`.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from persx.accounts.contamination import contamination_of
from persx.analytics import forecast
from persx.analytics import report_maths as maths
from persx.analytics import report_queries as queries
from persx.analytics import report_wording as wording
from persx.analytics.report_adjustment import adjusted_estimates, randomization_unit
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    AdjustedEstimate,
    Counts,
    Design,
    ExperimentReport,
    Series,
    VariantRow,
    WhenWeKnow,
    sum_counts,
)
from persx.analytics.report_pipeline import pipeline_section
from persx.events.experiment_metrics import metric


def _variant_rows(design: Design, cells: dict[tuple[str, str], Counts]) -> list[VariantRow]:
    """The primary metric per variant shown (treatment) vs would-be variant (control)."""
    rows = []
    for arm in design.treatments:
        for (cell_arm, variant), treated in sorted(cells.items()):
            if cell_arm != arm.key or not variant or variant == "generic":
                continue
            control = cells.get((design.control, variant), Counts())
            lift = maths.variant_lift(control, treated)
            label = queries.variant_label(variant)
            verdict = (
                wording.verdict_view(
                    arm.key, (variant, label), maths.verdict_numbers(control, treated)
                )
                if control.visitors > 0 and treated.visitors > 0
                else None
            )
            rows.append(
                VariantRow(
                    experiment=design.key,
                    arm=arm.key,
                    variant=variant,
                    label=label,
                    metric=design.primary_metric,
                    control=control,
                    treatment=treated,
                    lift=lift.lift,
                    lower=lift.lower,
                    upper=lift.upper,
                    interval_exists=lift.interval_exists,
                    verdict=verdict,
                )
            )
    return rows


def build_report(
    design: Design, with_variants: bool = True, with_adjustment: bool = True
) -> ExperimentReport:
    """The full report of one experiment (or the global holdout) from the daily rollups;
    ``with_adjustment`` adds the per-visitor analyses (CUPED, account level, forecast)."""
    totals = queries.cell_counts(design)
    segments = [
        (ALL_INDUSTRIES, "All industries"),
        *queries.segment_labels(industry for _, industry, _ in totals),
    ]

    def cell(arm: str, segment: str, metric_key: str) -> Counts:
        if segment == ALL_INDUSTRIES:
            return sum_counts(v for (a, _, m), v in totals.items() if a == arm and m == metric_key)
        return totals.get((arm, segment, metric_key), Counts())

    comparisons = maths.with_fdr(
        maths.with_pooling(
            [
                maths.compare(
                    arm.key,
                    segment,
                    metric(metric_key),
                    cell(design.control, segment[0], metric_key),
                    cell(arm.key, segment[0], metric_key),
                    design.tuning_n,
                )
                for arm in design.treatments
                for metric_key in design.metrics
                for segment in segments
            ]
        )
    )
    primary_metric = metric(design.primary_metric)
    is_rate = primary_metric.kind == "rate"
    verdicts = [
        wording.verdict_view(
            arm.key,
            segment,
            maths.verdict_numbers(
                cell(design.control, segment[0], design.primary_metric),
                cell(arm.key, segment[0], design.primary_metric),
            ),
        )
        for arm in design.treatments
        for segment in segments
        if is_rate and not primary_metric.lower_is_better
    ]
    visitors_by_arm: dict[str, int] = defaultdict(int)
    for (arm_key, _, metric_key), counts in totals.items():
        if metric_key == design.primary_metric:
            visitors_by_arm[arm_key] += counts.visitors
    series: list[Series] = []
    if is_rate:
        by_day = queries.daily_counts(design)
        series = [maths.cumulative_series(design, arm.key, by_day) for arm in design.treatments]
    variants = (
        _variant_rows(design, queries.variant_counts(design)) if with_variants and is_rate else []
    )
    first = design.treatments[0].key if design.treatments else None
    report_primary = next(
        (
            c
            for c in comparisons
            if c.arm == first and c.is_pooled and c.metric == design.primary_metric
        ),
        None,
    )
    updated_at, last_event_id = queries.rollup_state()
    randomised_by = randomization_unit(design)
    unit, adjustment_note = randomised_by, ""
    adjusted: list[AdjustedEstimate] = []
    forecast_rows: list[WhenWeKnow] = []
    traffic_days = forecast.TRAFFIC_DAYS
    if with_adjustment and is_rate:
        unit, adjusted, adjustment_note = adjusted_estimates(design, segments)
        forecast_rows, traffic_days = forecast.when_we_know(
            design, comparisons, adjusted, timezone.now().date()
        )
    pipeline = (
        pipeline_section(design, segments, timezone.now())
        if with_adjustment and not design.is_holdout
        else None
    )
    return ExperimentReport(
        design=design,
        generated_at=timezone.now(),
        rollups_updated_at=updated_at,
        last_event_id=last_event_id,
        segments=tuple(segments),
        visitors=sum(visitors_by_arm.values()),
        srm=wording.srm_view(design, *maths.traffic_split(design, visitors_by_arm)),
        headline=wording.headline(design, report_primary),
        sufficiency=wording.sufficiency(design, report_primary),
        comparisons=tuple(comparisons),
        verdicts=tuple(verdicts),
        series=tuple(series),
        variants=tuple(variants),
        unit=unit,
        randomization_unit=randomised_by,
        adjusted=tuple(adjusted),
        adjustment_note=adjustment_note,
        forecast=tuple(forecast_rows),
        traffic_days=traffic_days,
        pipeline=pipeline,
        contamination=contamination_of(design.key)
        if with_adjustment and randomised_by == "account"
        else None,
    )


def report_for(key: str) -> ExperimentReport | None:
    design = queries.find_design(key)
    return build_report(design) if design is not None else None
