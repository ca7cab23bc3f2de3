"""What an experiment report is made of: typed, immutable values, no database, no maths.

:mod:`persx.analytics.reports` builds an :class:`ExperimentReport` from the rollups
(queries in :mod:`~persx.analytics.report_queries`, numbers in
:mod:`~persx.analytics.report_maths`, sentences in :mod:`~persx.analytics.report_wording`);
views, templates, exports and charts only read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from persx.accounts.contamination import Contamination

ALPHA = 0.05
TARGET_PLI = 0.15  # the north star: PLI above 15% per industry
UNDERPERFORMING_BELOW = 0.10
ALL_INDUSTRIES = "all"


# --- what is compared ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmSpec:
    key: str
    kind: str  # generic | personalized | variant ("" for an arm seen only in the data)
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


# --- counts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """Sufficient statistics of one cell: visitors, converters, Σ value, Σ value²."""

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


def sum_counts(rows: Iterable[Counts]) -> Counts:
    total = Counts()
    for row in rows:
        total = total + row
    return total


# --- report pieces ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiftStats:
    """The statistics of one treatment-vs-control comparison (all None when not computable)."""

    lift: float | None = None
    lower: float | None = None
    upper: float | None = None
    interval_exists: bool = False
    interval_method: str = ""  # fieller | welch
    sequential_lower: float | None = None
    sequential_upper: float | None = None
    sequential_ready: bool = False
    chance_to_win: float | None = None
    p_value: float | None = None
    mde: float | None = None
    visitors_still_needed: int | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """One treatment arm vs the control, in one segment, on one metric (flat: the JSON
    export is this dataclass as it is)."""

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
    unit: str = "visitor"  # the independent unit of the interval: visitor | account
    metric_family: str = "conversion"  # conversion (on-site) | pipeline (CRM outcomes)
    adjusted: bool = False  # regression-adjusted (CUPED) or not

    @property
    def is_pooled(self) -> bool:
        return self.segment == ALL_INDUSTRIES


@dataclass(frozen=True, slots=True)
class VerdictNumbers:
    """The underperformance verdict's numbers (the engine's, cleaned of NaN/∞)."""

    status: str  # VerdictStatus value
    lift: float | None = None
    lower: float | None = None
    upper: float | None = None
    prob_below_target: float | None = None
    visitors_still_needed: int | None = None


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
class EstimateInterval:
    """A PLI with its 95% Fieller interval (bounds None when unbounded)."""

    lift: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class AdjustedEstimate:
    """The primary metric's PLI in one segment, unadjusted and CUPED-adjusted side by side,
    at the report's unit, with the trust checks (docs/statistics.md)."""

    arm: str
    segment: str
    segment_label: str
    metric: str
    metric_family: str
    unit: str  # visitor | account
    visitors: int
    units: int  # accounts (or visitors) across both arms
    returning_share: float  # visitors with page views before their first exposure
    covariate: str  # what the covariate is, in words
    unadjusted: EstimateInterval
    adjusted: EstimateInterval
    variance_reduction: float | None  # of the lift's variance, 1 - Var_adj / Var_unadj
    theta: float | None
    signs_disagree: bool
    balance_p_value: float | None
    imbalanced: bool
    visitor_level: EstimateInterval | None = None  # when unit = account: the naive interval


@dataclass(frozen=True, slots=True)
class WhenWeKnow:
    """Per industry: traffic over the last days, the date +15% becomes detectable with 80%
    power at that traffic, and the smallest lift detectable by ``horizon``."""

    segment: str
    segment_label: str
    daily_visitors: float
    visitors: int
    baseline: float | None
    variance_factor: float  # 1 - variance reduction used (1: unadjusted)
    visitors_needed: int | None
    visitors_missing: int | None
    ready_on: date | None  # None: not at current traffic
    already: bool
    horizon: date
    mde_at_horizon: float | None
    note: str


@dataclass(frozen=True, slots=True)
class PipelineRow:
    """One pipeline metric of one treatment arm vs the control in one segment."""

    arm: str
    segment: str
    segment_label: str
    metric: str
    metric_label: str
    metric_family: str  # always "pipeline"
    unit: str  # visitor | account
    adjusted: bool  # True: the CUPED-adjusted row beside the unadjusted one
    control_visitors: int  # matured visitors, in the sums
    treatment_visitors: int
    control_maturing: int  # window still open: in no sum
    treatment_maturing: int
    control_value: float | None  # mean per visitor (a rate for the 0/1 metrics)
    treatment_value: float | None
    lift: float | None
    lower: float | None
    upper: float | None
    note: str = ""
    variance_reduction: float | None = None  # adjusted rows: 1 - Var_adj / Var_unadj
    signs_disagree: bool = False  # adjusted rows: adjusted and unadjusted lifts differ in sign


@dataclass(frozen=True, slots=True)
class PipelineSection:
    window_days: int
    currency: str
    cap_percentile: float
    visitor_cap: float
    account_cap: float
    maturing: int
    other_currency_outcomes: int
    rows: tuple[PipelineRow, ...]


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
    unit: str = "visitor"  # the unit of the account-aware analysis: visitor | account
    randomization_unit: str = "visitor"  # what the experiment randomises: visitor | account
    adjusted: tuple[AdjustedEstimate, ...] = field(default=())
    adjustment_note: str = ""  # why there is no adjusted estimate, when there is none
    forecast: tuple[WhenWeKnow, ...] = field(default=())
    traffic_days: int = 14
    pipeline: PipelineSection | None = None  # CRM outcomes (None: no visitors, or off)
    contamination: Contamination | None = None  # account-randomised experiments only

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
