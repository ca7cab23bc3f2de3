"""Experiment reports: read :class:`DailyRollup`, compute with :mod:`persx.engine.stats`.

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
- cumulative PLI by day on the primary metric, with both intervals.

The global holdout is reported like an experiment (key ``global-holdout``): control = the
held-out visitors, treatment = every other profiled visitor (arm ``rest``).

Only three grouped queries touch the database, all on DailyRollup; the rest is arithmetic,
so a report costs the same at ten thousand or ten million events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db.models import Sum
from django.utils import timezone

from persx.analytics.models import DailyRollup, RollupState
from persx.analytics.rollup_sql import HOLDOUT_ARM, REST_ARM
from persx.analytics.services import STATE_NAME
from persx.analytics.wording import (
    count,
    finite,
    joined,
    lift_interval,
    p_value,
    percent,
    probability,
    split,
)
from persx.catalog.repository import current_catalog
from persx.config import config
from persx.engine.experiments import HOLDOUT_EXPERIMENT
from persx.engine.stats import (
    DEFAULT_TUNING_N,
    SRM_THRESHOLD,
    SegmentCounts,
    VerdictStatus,
    benjamini_hochberg,
    chance_to_win,
    confidence_sequence,
    fieller_interval_arrays,
    minimum_detectable_effect,
    pool_relative_lifts,
    proportion_ttest,
    relative_lift,
    sequential_relative_lift,
    sequential_relative_lift_arrays,
    srm_test,
    underperformance_verdict,
    visitors_still_needed,
    welch_ttest,
)
from persx.events.metrics import METRICS, Metric, metric
from persx.experiments.models import Experiment

ALPHA = 0.05
TARGET_PLI = 0.15  # the north star: PLI above 15% per industry
UNDERPERFORMING_BELOW = 0.10
ALL_INDUSTRIES = "all"
DEFAULT_SECONDARY = ("engagement", "form_completion", "email_signup", "bounce", "return_visit")


# --- what is compared ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmSpec:
    key: str
    kind: str  # generic | personalized | variant
    weight: float

    @property
    def label(self) -> str:
        return f"{self.key} ({self.kind})" if self.kind and self.kind != self.key else self.key


@dataclass(frozen=True, slots=True)
class Design:
    key: str
    name: str
    hypothesis: str
    status: str
    arms: tuple[ArmSpec, ...]
    control: str
    primary_metric: str
    metrics: tuple[str, ...]  # primary first
    tuning_n: int
    is_holdout: bool = False
    started_at: datetime | None = None

    @property
    def treatments(self) -> tuple[ArmSpec, ...]:
        return tuple(a for a in self.arms if a.key != self.control)

    def arm(self, key: str) -> ArmSpec | None:
        return next((a for a in self.arms if a.key == key), None)


def _metrics(primary: str, secondary: Sequence[str]) -> tuple[str, ...]:
    ordered = [primary, *(secondary or DEFAULT_SECONDARY)]
    return tuple(dict.fromkeys(m for m in ordered if m))


def design_of(experiment: Experiment) -> Design:
    raw_arms = experiment.arms if isinstance(experiment.arms, list) else []
    arms = []
    for item in raw_arms:
        if not isinstance(item, dict) or not item.get("key"):
            continue
        try:
            weight = float(item.get("weight", 0.0))
        except (TypeError, ValueError):
            weight = 0.0
        arms.append(ArmSpec(str(item["key"]), str(item.get("kind", "")), max(weight, 0.0)))
    if arms and sum(a.weight for a in arms) <= 0:
        arms = [replace(a, weight=1.0) for a in arms]
    control = next((a.key for a in arms if a.kind == "generic"), arms[0].key if arms else "")
    secondary = (
        experiment.secondary_metrics if isinstance(experiment.secondary_metrics, list) else []
    )
    return Design(
        key=experiment.key,
        name=experiment.name,
        hypothesis=experiment.hypothesis,
        status=experiment.status,
        arms=tuple(arms),
        control=control,
        primary_metric=experiment.primary_metric or "form_submission",
        metrics=_metrics(
            experiment.primary_metric or "form_submission", [str(m) for m in secondary]
        ),
        tuning_n=experiment.sequential_tuning_n or DEFAULT_TUNING_N,
        started_at=experiment.started_at,
    )


def holdout_design() -> Design:
    share = config().holdout_share
    return Design(
        key=HOLDOUT_EXPERIMENT,
        name="Global holdout: personalization vs none",
        hypothesis=(
            f"Profiled visitors who get personalized content ({percent(1 - share, 0)} of them) "
            f"convert more than the {percent(share, 0)} held out with generic content."
        ),
        status="running" if share > 0 else "off",
        arms=(ArmSpec(HOLDOUT_ARM, "generic", share), ArmSpec(REST_ARM, "personalized", 1 - share)),
        control=HOLDOUT_ARM,
        primary_metric="form_submission",
        metrics=_metrics("form_submission", ("cta_click", *DEFAULT_SECONDARY)),
        tuning_n=DEFAULT_TUNING_N,
        is_holdout=True,
    )


def find_design(key: str) -> Design | None:
    if key == HOLDOUT_EXPERIMENT:
        return holdout_design()
    experiment = Experiment.objects.filter(key=key).first()
    return design_of(experiment) if experiment is not None else None


def all_designs() -> list[Design]:
    """The global holdout, then running, stopped and draft experiments (newest first)."""
    order = {"running": 0, "stopped": 1, "draft": 2}
    designs = [design_of(e) for e in Experiment.objects.all()]
    designs.sort(key=lambda d: order.get(d.status, 3))
    return [holdout_design(), *designs]


# --- counts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    visitors: int = 0
    conversions: int = 0
    value_sum: float = 0.0
    value_sum_sq: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.visitors + other.visitors,
            self.conversions + other.conversions,
            self.value_sum + other.value_sum,
            self.value_sum_sq + other.value_sum_sq,
        )

    @property
    def rate(self) -> float | None:
        return self.conversions / self.visitors if self.visitors else None

    @property
    def mean(self) -> float | None:
        return self.value_sum / self.visitors if self.visitors else None

    def value(self, kind: str) -> float | None:
        return self.mean if kind == "mean" else self.rate


def _sum_counts(rows: Iterable[Counts]) -> Counts:
    total = Counts()
    for row in rows:
        total = total + row
    return total


def _counts(row: Mapping[str, Any]) -> Counts:
    return Counts(
        int(row["v"] or 0), int(row["c"] or 0), float(row["s"] or 0.0), float(row["q"] or 0.0)
    )


_SUMS = {
    "v": Sum("visitors"),
    "c": Sum("conversions"),
    "s": Sum("value_sum"),
    "q": Sum("value_sum_sq"),
}


# --- report pieces ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """One treatment arm vs the control, in one segment, on one metric."""

    arm: str
    segment: str  # ALL_INDUSTRIES or an industry slug
    segment_label: str
    metric: str
    metric_label: str
    kind: str
    lower_is_better: bool
    control: Counts
    treatment: Counts
    control_value: float | None
    treatment_value: float | None
    lift: float | None = None
    lower: float | None = None
    upper: float | None = None
    interval_exists: bool = False
    interval_method: str = ""
    sequential_lower: float | None = None
    sequential_upper: float | None = None
    sequential_ready: bool = False
    chance_to_win: float | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    significant: bool | None = None
    mde: float | None = None
    visitors_still_needed: int | None = None
    pooled_lift: float | None = None
    pooled_lower: float | None = None
    pooled_upper: float | None = None
    shrinkage: float | None = None

    @property
    def is_pooled(self) -> bool:
        return self.segment == ALL_INDUSTRIES


@dataclass(frozen=True, slots=True)
class VerdictView:
    arm: str
    segment: str
    segment_label: str
    status: str  # VerdictStatus value, or "undecided"
    headline: str
    message: str
    lift: float | None
    lower: float | None
    upper: float | None
    prob_below_target: float | None
    visitors_still_needed: int | None


@dataclass(frozen=True, slots=True)
class ArmTraffic:
    arm: str
    weight: float
    visitors: int
    expected: float


@dataclass(frozen=True, slots=True)
class SrmView:
    arms: tuple[ArmTraffic, ...]
    p_value: float | None
    flagged: bool
    checked: bool
    message: str


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    day: date
    control_visitors: int
    control_conversions: int
    treatment_visitors: int
    treatment_conversions: int
    lift: float | None
    lower: float | None
    upper: float | None
    sequential_lower: float | None
    sequential_upper: float | None


@dataclass(frozen=True, slots=True)
class Series:
    arm: str
    metric: str
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True, slots=True)
class VariantRow:
    experiment: str
    arm: str
    variant: str
    label: str
    metric: str
    control: Counts
    treatment: Counts
    lift: float | None
    lower: float | None
    upper: float | None
    interval_exists: bool
    verdict: VerdictView | None


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    design: Design
    generated_at: datetime
    rollups_updated_at: datetime | None
    last_event_id: int
    segments: tuple[tuple[str, str], ...]  # (slug, label), pooled first
    visitors: int
    srm: SrmView
    headline: str
    sufficiency: str
    comparisons: tuple[Comparison, ...]
    verdicts: tuple[VerdictView, ...]
    series: tuple[Series, ...]
    variants: tuple[VariantRow, ...] = field(default=())

    def comparison(self, arm: str, segment: str, metric_key: str) -> Comparison | None:
        return next(
            (
                c
                for c in self.comparisons
                if c.arm == arm and c.segment == segment and c.metric == metric_key
            ),
            None,
        )

    def primary(self, arm: str | None = None) -> Comparison | None:
        treatments = self.design.treatments
        if not treatments:
            return None
        return self.comparison(arm or treatments[0].key, ALL_INDUSTRIES, self.design.primary_metric)

    def verdict(self, arm: str, segment: str) -> VerdictView | None:
        return next((v for v in self.verdicts if v.arm == arm and v.segment == segment), None)


# --- statistics on counts (engine calls) --------------------------------------------------


def _clean(value: float | None) -> float | None:
    return value if value is not None and not math.isnan(value) else None


def _chance_to_win(xc: int, nc: int, xt: int, nt: int) -> float:
    """``chance_to_win``, summed over whichever is rarer: conversions or non-conversions.

    The exact sum costs one term per conversion of the arm with fewer; for a common outcome
    (a bounce rate of 80%) the same probability is 1 - P(the non-conversion rate is higher).
    """
    if min(xc, xt) > min(nc - xc, nt - xt):
        return 1.0 - chance_to_win(nc - xc, nc, nt - xt, nt)
    return chance_to_win(xc, nc, xt, nt)


def _rate_stats(c: Counts, t: Counts, tuning_n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.visitors <= 0 or t.visitors <= 0:
        return out
    xc, nc, xt, nt = c.conversions, c.visitors, t.conversions, t.visitors
    interval = relative_lift(xc, nc, xt, nt, alpha=ALPHA)
    out |= {
        "lift": _clean(interval.lift),
        "lower": interval.lower if interval.interval_exists else None,
        "upper": interval.upper if interval.interval_exists else None,
        "interval_exists": interval.interval_exists,
        "interval_method": "fieller",
        "chance_to_win": _chance_to_win(xc, nc, xt, nt),
    }
    if nc >= 2 and nt >= 2:
        sequential = sequential_relative_lift(xc, nc, xt, nt, alpha=ALPHA, tuning_n=tuning_n)
        if sequential.interval_exists:
            out |= {
                "sequential_lower": max(sequential.lower, -1.0),
                "sequential_upper": sequential.upper,
                "sequential_ready": True,
            }
        if 0 < xc < nc and 0 < xt < nt:  # a rate of exactly 0 or 1 has no variance
            out["p_value"] = _clean(proportion_ttest(xc, nc, xt, nt, alpha=ALPHA).p_value)
    baseline = xc / nc
    if 0 < baseline < 1:
        out["mde"] = minimum_detectable_effect(nc, nt, baseline, alpha=ALPHA)
        if baseline * (1 + TARGET_PLI) < 1:
            out["visitors_still_needed"] = visitors_still_needed(
                baseline, TARGET_PLI, nc, nt, alpha=ALPHA
            )
    return out


def _mean_stats(c: Counts, t: Counts, tuning_n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.visitors < 2 or t.visitors < 2:
        return out
    test = welch_ttest(
        c.value_sum, c.value_sum_sq, c.visitors, t.value_sum, t.value_sum_sq, t.visitors, ALPHA
    )
    if not finite(test.estimate) or not finite(test.se):
        return out
    out |= {
        "lift": test.estimate,
        "lower": test.lower,
        "upper": test.upper,
        "interval_exists": finite(test.lower) and finite(test.upper),
        "interval_method": "welch",
        "p_value": _clean(test.p_value),
    }
    if test.se > 0:
        sequence = confidence_sequence(
            test.estimate, test.se, c.visitors + t.visitors, alpha=ALPHA, tuning_n=tuning_n
        )
        out |= {
            "sequential_lower": sequence.lower,
            "sequential_upper": sequence.upper,
            "sequential_ready": True,
        }
    return out


def _compare(
    arm: str,
    segment: tuple[str, str],
    m: Metric,
    c: Counts,
    t: Counts,
    tuning_n: int,
) -> Comparison:
    stats = _mean_stats(c, t, tuning_n) if m.kind == "mean" else _rate_stats(c, t, tuning_n)
    if m.lower_is_better and stats.get("chance_to_win") is not None:
        stats["chance_to_win"] = 1.0 - stats["chance_to_win"]
    return Comparison(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=m.key,
        metric_label=m.label,
        kind=m.kind,
        lower_is_better=m.lower_is_better,
        control=c,
        treatment=t,
        control_value=c.value(m.kind),
        treatment_value=t.value(m.kind),
        **stats,
    )


def _verdict(arm: str, segment: tuple[str, str], c: Counts, t: Counts) -> VerdictView:
    def view(status: str, headline: str, message: str, **numbers: Any) -> VerdictView:
        return VerdictView(
            arm=arm,
            segment=segment[0],
            segment_label=segment[1],
            status=status,
            headline=headline,
            message=message,
            lift=numbers.get("lift"),
            lower=numbers.get("lower"),
            upper=numbers.get("upper"),
            prob_below_target=numbers.get("prob"),
            visitors_still_needed=numbers.get("needed"),
        )

    target = percent(UNDERPERFORMING_BELOW, 0, signed=True)
    if c.visitors <= 0 or t.visitors <= 0:
        return view(
            VerdictStatus.INSUFFICIENT_DATA.value,
            "Insufficient data",
            "No visitors in both arms yet.",
        )
    v = underperformance_verdict(
        c.conversions,
        c.visitors,
        t.conversions,
        t.visitors,
        target=UNDERPERFORMING_BELOW,
        alpha=ALPHA,
    )
    numbers = {
        "lift": _clean(v.lift),
        "lower": v.lower if finite(v.lower) else None,
        "upper": v.upper if finite(v.upper) else None,
        "prob": v.prob_below_target,
        "needed": v.visitors_still_needed,
    }
    interval = lift_interval(numbers["lower"], numbers["upper"])
    if v.status is VerdictStatus.UNDERPERFORMING:
        return view(
            v.status.value,
            "Underperforming",
            f"PLI {percent(v.lift, signed=True)} (90% interval {interval}): the evidence says "
            f"personalization here is below the {target} target "
            f"({probability(v.prob_below_target)} probability).",
            **numbers,
        )
    if v.status is VerdictStatus.NOT_UNDERPERFORMING:
        return view(
            v.status.value,
            "On target",
            f"PLI {percent(v.lift, signed=True)} (90% interval {interval}): at or above the "
            f"{target} target.",
            **numbers,
        )
    if v.visitors_still_needed is None:
        message = "Insufficient data: no conversions in the control arm yet, so there is no "
        message += "baseline to measure the lift against."
    elif v.visitors_still_needed > 0:
        message = (
            f"Insufficient data — {count(v.visitors_still_needed)} more visitors needed "
            f"to tell whether PLI is below {target}."
        )
    else:
        return view(
            "undecided",
            "Undecided",
            f"PLI {percent(v.lift, signed=True)} (90% interval {interval}) is close to the "
            f"{target} target; more data will change little.",
            **numbers,
        )
    return view(v.status.value, "Insufficient data", message, **numbers)


def _srm(design: Design, visitors_by_arm: dict[str, int]) -> SrmView:
    arms = list(design.arms) + [
        ArmSpec(key, "", 0.0) for key in visitors_by_arm if design.arm(key) is None
    ]
    observed = [visitors_by_arm.get(a.key, 0) for a in arms]
    total = sum(observed)
    weights = [a.weight for a in arms]
    if design.is_holdout and design.status == "off":
        traffic = tuple(
            ArmTraffic(a.key, a.weight, o, 0.0) for a, o in zip(arms, observed, strict=True)
        )
        return SrmView(
            traffic,
            None,
            False,
            False,
            "The global holdout is switched off (PERSX HOLDOUT_SHARE is 0): every profiled "
            "visitor gets personalized content, so there is nothing to compare with.",
        )
    if len(arms) < 2 or total == 0 or sum(weights) <= 0:
        traffic = tuple(
            ArmTraffic(a.key, a.weight, o, 0.0) for a, o in zip(arms, observed, strict=True)
        )
        return SrmView(traffic, None, False, False, "No visitors counted yet.")
    result = srm_test(observed, weights, threshold=SRM_THRESHOLD)
    traffic = tuple(
        ArmTraffic(a.key, a.weight, o, e)
        for a, o, e in zip(arms, observed, result.expected, strict=True)
    )
    counts_text = joined([f"{count(t.visitors)} in {t.arm}" for t in traffic])
    configured = split([a.weight for a in design.arms])
    if result.flagged:
        expected_text = joined([f"about {count(t.expected)} in {t.arm}" for t in traffic])
        message = (
            f"Traffic split problem: the arms got {counts_text}, but the configured "
            f"{configured} split expects {expected_text}. A gap this large happens by chance "
            f"less than once in 1,000 experiments (p = {p_value(result.p_value)}), so visitors "
            f"are probably being lost or mis-assigned in one arm. Don't trust the results "
            f"until the cause is found."
        )
    else:
        message = (
            f"Traffic split looks healthy: {counts_text}, in line with the configured "
            f"{configured} split (p = {p_value(result.p_value)})."
        )
    return SrmView(traffic, result.p_value, result.flagged, True, message)


def _series(design: Design, arm: str, rows: Sequence[Mapping[str, Any]]) -> Series:
    by_day: dict[date, dict[str, Counts]] = defaultdict(dict)
    for row in rows:
        by_day[row["day"]][row["arm"]] = _counts(row)
    days = sorted(by_day)
    if not days:
        return Series(arm, design.primary_metric, ())
    xc = np.cumsum([by_day[d].get(design.control, Counts()).conversions for d in days])
    nc = np.cumsum([by_day[d].get(design.control, Counts()).visitors for d in days])
    xt = np.cumsum([by_day[d].get(arm, Counts()).conversions for d in days])
    nt = np.cumsum([by_day[d].get(arm, Counts()).visitors for d in days])
    fixed = fieller_interval_arrays(xc, nc, xt, nt, alpha=ALPHA)
    with np.errstate(divide="ignore", invalid="ignore"):
        sequential = sequential_relative_lift_arrays(
            xc, nc, xt, nt, alpha=ALPHA, tuning_n=design.tuning_n
        )
    points = []
    for i, day in enumerate(days):
        exists = bool(fixed.exists[i])
        ready = bool(sequential.exists[i])
        lift = float(fixed.lift[i])
        points.append(
            SeriesPoint(
                day=day,
                control_visitors=int(nc[i]),
                control_conversions=int(xc[i]),
                treatment_visitors=int(nt[i]),
                treatment_conversions=int(xt[i]),
                lift=lift if math.isfinite(lift) else None,
                lower=float(fixed.lower[i]) if exists else None,
                upper=float(fixed.upper[i]) if exists else None,
                sequential_lower=max(float(sequential.lower[i]), -1.0) if ready else None,
                sequential_upper=float(sequential.upper[i]) if ready else None,
            )
        )
    return Series(arm, design.primary_metric, tuple(points))


def _segment_labels(slugs: Iterable[str]) -> list[tuple[str, str]]:
    catalog = current_catalog()
    order = {industry.slug: i for i, industry in enumerate(catalog.industries)}

    def label(slug: str) -> str:
        if not slug:
            return "No industry"
        industry = catalog.industry(slug)
        return industry.name if industry is not None else slug

    ordered = sorted(set(slugs), key=lambda s: (order.get(s, len(order)), s == "", s))
    return [(s, label(s)) for s in ordered]


def variant_label(variant: str) -> str:
    kind, _, slug = variant.partition(":")
    if not slug:
        return variant or "generic"
    catalog = current_catalog()
    if kind == "industry":
        industry = catalog.industry(slug)
        return f"Industry: {industry.name if industry else slug}"
    if kind == "persona":
        persona = catalog.persona(slug)
        return f"Persona: {persona.name if persona else slug}"
    return variant


def _variant_rows(design: Design, rows: Sequence[Mapping[str, Any]]) -> list[VariantRow]:
    cells: dict[tuple[str, str], Counts] = {}
    for row in rows:
        cells[(row["arm"], row["variant"])] = _counts(row)
    out = []
    for arm in design.treatments:
        for (cell_arm, variant), treated in sorted(cells.items()):
            if cell_arm != arm.key or not variant or variant == "generic":
                continue
            control = cells.get((design.control, variant), Counts())
            lift = lower = upper = None
            exists = False
            verdict = None
            if control.visitors > 0 and treated.visitors > 0:
                interval = relative_lift(
                    control.conversions,
                    control.visitors,
                    treated.conversions,
                    treated.visitors,
                    alpha=ALPHA,
                )
                lift, exists = _clean(interval.lift), interval.interval_exists
                lower = interval.lower if exists else None
                upper = interval.upper if exists else None
                verdict = _verdict(arm.key, (variant, variant_label(variant)), control, treated)
            out.append(
                VariantRow(
                    experiment=design.key,
                    arm=arm.key,
                    variant=variant,
                    label=variant_label(variant),
                    metric=design.primary_metric,
                    control=control,
                    treatment=treated,
                    lift=lift,
                    lower=lower,
                    upper=upper,
                    interval_exists=exists,
                    verdict=verdict,
                )
            )
    return out


def _with_pooling(comparisons: list[Comparison], design: Design) -> list[Comparison]:
    """Attach the partially pooled PLI to each industry's rate comparison."""
    out = list(comparisons)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, comp in enumerate(out):
        if comp.is_pooled or comp.kind != "rate":
            continue
        if comp.control.visitors > 0 and comp.treatment.visitors > 0:
            groups[(comp.arm, comp.metric)].append(i)
    for indexes in groups.values():
        segments = [
            SegmentCounts(
                out[i].segment,
                out[i].control.conversions,
                out[i].control.visitors,
                out[i].treatment.conversions,
                out[i].treatment.visitors,
            )
            for i in indexes
        ]
        if not any(s.conversions_control + s.conversions_treatment for s in segments):
            continue
        pooling = pool_relative_lifts(segments, alpha=ALPHA)
        for i, pooled in zip(indexes, pooling.segments, strict=True):
            out[i] = replace(
                out[i],
                pooled_lift=pooled.lift,
                pooled_lower=pooled.lower,
                pooled_upper=pooled.upper,
                shrinkage=pooled.shrinkage,
            )
    return out


def _with_fdr(comparisons: list[Comparison]) -> list[Comparison]:
    """Benjamini-Hochberg over every industry × metric (× arm) test; pooled tests use p < α."""
    out = list(comparisons)
    family = [i for i, c in enumerate(out) if not c.is_pooled and c.p_value is not None]
    if family:
        result = benjamini_hochberg([out[i].p_value or 0.0 for i in family], q=ALPHA)
        for i, adjusted, rejected in zip(family, result.adjusted, result.rejected, strict=True):
            out[i] = replace(out[i], adjusted_p_value=adjusted, significant=rejected)
    for i, comp in enumerate(out):
        if comp.is_pooled and comp.p_value is not None:
            out[i] = replace(comp, significant=comp.p_value < ALPHA)
    return out


def _headline(design: Design, primary: Comparison | None) -> str:
    if primary is None or not design.treatments:
        return "This experiment has no treatment arm to compare."
    if primary.control.visitors == 0 or primary.treatment.visitors == 0:
        return "No visitors in both arms yet."
    arm = design.treatments[0]
    control = design.arm(design.control)
    text = (
        f"{primary.metric_label}: {percent(primary.treatment_value, 2)} with {arm.label} vs "
        f"{percent(primary.control_value, 2)} with {control.label if control else 'control'}"
    )
    if primary.lift is None:
        return text + " — no conversions yet to compare."
    text += f" — PLI {percent(primary.lift, signed=True)}"
    if primary.interval_exists:
        text += f" (95% interval {lift_interval(primary.lower, primary.upper)})"
    else:
        text += " (too few conversions to bound it yet)"
    if primary.chance_to_win is not None:
        text += f"; {probability(primary.chance_to_win)} chance {arm.key} is better"
    return text + "."


def _sufficiency(design: Design, primary: Comparison | None) -> str:
    if primary is None or primary.control.visitors == 0 or primary.treatment.visitors == 0:
        return (
            "No visitors counted yet. Visitors appear after the next rollup "
            "(manage.py persx_rollup) once the experiment is running."
        )
    target = percent(TARGET_PLI, 0, signed=True)
    name = primary.metric_label
    if primary.kind != "rate":
        return f"{count(primary.control.visitors + primary.treatment.visitors)} visitors so far."
    if primary.control.conversions == 0:
        return (
            f"No {name.lower()} in the control arm yet, so there is no baseline to measure "
            f"the lift against."
        )
    mde = f"the smallest lift it can reliably detect is {percent(primary.mde, 0, signed=True)}"
    needed = primary.visitors_still_needed
    if needed is None:
        return f"With today's traffic {mde}."
    if needed > 0:
        return (
            f"Not enough data yet to detect a {target} lift in {name.lower()}: about "
            f"{count(needed)} more visitors are needed (80% power, current split). "
            f"With today's traffic {mde}."
        )
    return f"Enough visitors to detect a {target} lift in {name.lower()}; {mde}."


def _state() -> tuple[datetime | None, int]:
    state = RollupState.objects.filter(name=STATE_NAME).first()
    return (state.updated_at, state.last_event_id) if state else (None, 0)


def build_report(design: Design, with_variants: bool = True) -> ExperimentReport:
    """The full report of one experiment (or the global holdout) from the daily rollups."""
    rollups = DailyRollup.objects.filter(experiment=design.key)
    totals: dict[tuple[str, str, str], Counts] = {}
    for row in (
        rollups.filter(metric__in=design.metrics)
        .values("arm", "industry", "metric")
        .annotate(**_SUMS)
        .order_by()
    ):
        totals[(row["arm"], row["industry"], row["metric"])] = _counts(row)
    industries = {industry for _, industry, _ in totals}
    segments = [(ALL_INDUSTRIES, "All industries"), *_segment_labels(industries)]

    def cell(arm: str, segment: str, metric_key: str) -> Counts:
        if segment == ALL_INDUSTRIES:
            return _sum_counts(v for (a, _, m), v in totals.items() if a == arm and m == metric_key)
        return totals.get((arm, segment, metric_key), Counts())

    comparisons = [
        _compare(
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
    comparisons = _with_fdr(_with_pooling(comparisons, design))
    primary_metric = metric(design.primary_metric)
    verdicts = (
        [
            _verdict(
                arm.key,
                segment,
                cell(design.control, segment[0], design.primary_metric),
                cell(arm.key, segment[0], design.primary_metric),
            )
            for arm in design.treatments
            for segment in segments
        ]
        if primary_metric.kind == "rate" and not primary_metric.lower_is_better
        else []
    )
    visitors_by_arm: dict[str, int] = defaultdict(int)
    for (arm_key, _, metric_key), counts in totals.items():
        if metric_key == design.primary_metric:
            visitors_by_arm[arm_key] += counts.visitors
    series: list[Series] = []
    if primary_metric.kind == "rate":
        daily = list(
            rollups.filter(metric=design.primary_metric)
            .values("day", "arm")
            .annotate(**_SUMS)
            .order_by("day")
        )
        series = [_series(design, arm.key, daily) for arm in design.treatments]
    variants: list[VariantRow] = []
    if with_variants and primary_metric.kind == "rate":
        variant_cells = list(
            rollups.filter(metric=design.primary_metric)
            .values("arm", "variant")
            .annotate(**_SUMS)
            .order_by()
        )
        variants = _variant_rows(design, variant_cells)
    report_primary = next(
        (
            c
            for c in comparisons
            if design.treatments
            and c.arm == design.treatments[0].key
            and c.is_pooled
            and c.metric == design.primary_metric
        ),
        None,
    )
    updated_at, last_event_id = _state()
    return ExperimentReport(
        design=design,
        generated_at=timezone.now(),
        rollups_updated_at=updated_at,
        last_event_id=last_event_id,
        segments=tuple(segments),
        visitors=sum(visitors_by_arm.values()),
        srm=_srm(design, dict(visitors_by_arm)),
        headline=_headline(design, report_primary),
        sufficiency=_sufficiency(design, report_primary),
        comparisons=tuple(comparisons),
        verdicts=tuple(verdicts),
        series=tuple(series),
        variants=tuple(variants),
    )


def report_for(key: str) -> ExperimentReport | None:
    design = find_design(key)
    return build_report(design) if design is not None else None


def visitors_per_experiment(keys: Sequence[str]) -> dict[str, dict[str, int]]:
    """Visitors per arm of each experiment (one grouped query), for listings."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if not keys:
        return out
    rows = (
        DailyRollup.objects.filter(experiment__in=keys, metric=METRICS[0].key)
        .values("experiment", "arm")
        .annotate(v=Sum("visitors"))
        .order_by()
    )
    for row in rows:
        out[row["experiment"]][row["arm"]] = int(row["v"] or 0)
    return out
