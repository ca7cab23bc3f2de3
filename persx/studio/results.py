"""What the reports say about live variants, as the studio needs it.

Reads the experiment reports (:mod:`persx.analytics.reports`): for every running
experiment (and the global holdout), each variant row of its report (the variant's PLI on
the primary metric, its interval, and the underperformance verdict) becomes a
:class:`VariantResult`. A result applies to the blocks the experiment covers (its scope:
site, block type or page) whose audience has that variant.

- the cell's inline text, e.g. ``+18% (−2% to +41%), insufficient data: ~3,100 more
  visitors``, is :attr:`VariantResult.text`;
- what the estimate is, as the report pages say it (:attr:`VariantResult.basis`): its unit
  (a variant row's counts are per visitor; when the report's unit is the account, its
  account-level interval is wider), its metric family (conversion: the experiment's primary
  on-site metric) and that it is unadjusted (the CUPED estimates are per industry, in the
  report);
- a variant is *underperforming* only when the verdict says so on evidence;
- a variant is a *winner* when the verdict says, on evidence, that it is at or above the
  target (``not_underperforming``): winners are the drafting prompt's examples.

Building the reports costs about a second, so the results are an in-process snapshot
rebuilt after ``PERSX["CACHE_TTL_SECONDS"]`` (reports change only when the rollups run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from persx.analytics.report_model import UNDERPERFORMING_BELOW, VariantRow
from persx.analytics.report_queries import all_designs
from persx.analytics.reports import build_report
from persx.caching.snapshot import Snapshot
from persx.charts.number_format import count, percent
from persx.engine.statistics import VerdictStatus
from persx.experiments.models import Experiment

UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class VariantResult:
    """One variant's result in one experiment's report."""

    audience: str
    experiment: str
    scope_kind: str  # site | block_type | page
    scope_value: str
    status: str  # a VerdictStatus value, "undecided", or "" (no visitors in both arms)
    lift: float | None
    lower: float | None
    upper: float | None
    visitors: int
    visitors_still_needed: int | None = None
    message: str = ""  # the report's full verdict sentence
    metric: str = ""  # the primary metric the PLI is of
    metric_family: str = "conversion"  # conversion (on-site) | pipeline (CRM outcomes)
    unit: str = "visitor"  # what the interval counts as independent
    report_unit: str = "visitor"  # the report's unit (account: visitors share companies)
    adjusted: bool = False  # regression-adjusted (CUPED) or not

    @property
    def underperforming(self) -> bool:
        return self.status == VerdictStatus.UNDERPERFORMING.value

    @property
    def winner(self) -> bool:
        return self.status == VerdictStatus.NOT_UNDERPERFORMING.value

    def covers(self, block_type: str, page_id: int) -> bool:
        if self.scope_kind == "page":
            return self.scope_value == str(page_id)
        if self.scope_kind == "block_type":
            return self.scope_value == block_type
        return True

    @property
    def verdict_words(self) -> str:
        target = percent(UNDERPERFORMING_BELOW, 0, signed=True)
        if self.status == VerdictStatus.UNDERPERFORMING.value:
            return f"underperforming: below the {target} target on evidence"
        if self.status == VerdictStatus.NOT_UNDERPERFORMING.value:
            return f"on target: at or above {target} on evidence"
        if self.status == UNDECIDED:
            return f"undecided: close to the {target} target"
        if self.status == VerdictStatus.INSUFFICIENT_DATA.value:
            needed = self.visitors_still_needed
            if needed is None:
                return "insufficient data: no conversions in the control arm yet"
            return f"insufficient data: ~{count(needed)} more visitors"
        return "no visitors in both arms yet"

    @property
    def lift_text(self) -> str:
        return percent(self.lift, 0, signed=True)

    @property
    def detail(self) -> str:
        """What follows the PLI: ``(−2% to +41%), insufficient data: ~3,100 more visitors``."""
        if self.lower is not None and self.upper is not None:
            lower, upper = (percent(x, 0, signed=True) for x in (self.lower, self.upper))
            interval = f"{lower} to {upper}"
        else:
            interval = "interval not yet bounded"
        return f"({interval}), {self.verdict_words}"

    @property
    def basis(self) -> str:
        """``visitor-level, conversion (form_submission), unadjusted``: the unit, the metric
        family and whether the estimate is adjusted, as the report pages say them."""
        unit = f"{self.unit}-level"
        if self.report_unit != self.unit:
            unit += f" (the report's {self.report_unit}-level interval is wider)"
        family = f"{self.metric_family} ({self.metric})" if self.metric else self.metric_family
        return f"{unit}, {family}, {'adjusted' if self.adjusted else 'unadjusted'}"

    @property
    def text(self) -> str:
        """``+18% (−2% to +41%), insufficient data: ~3,100 more visitors``."""
        if self.lift is None:
            return self.verdict_words
        return f"{self.lift_text} {self.detail}"


@dataclass(frozen=True, slots=True)
class Underperforming:
    """A reports' flag as the coverage matrix takes it (tests pass these directly)."""

    audience: str
    experiment: str
    scope_kind: str  # site | block_type | page
    scope_value: str
    message: str


def result_of(
    row: VariantRow, scope_kind: str, scope_value: str, report_unit: str = "visitor"
) -> VariantResult:
    """A variant row of a report (visitor counts of the primary metric, unadjusted)."""
    verdict = row.verdict
    return VariantResult(
        audience=row.variant,
        experiment=row.experiment,
        scope_kind=scope_kind,
        scope_value=scope_value,
        status=verdict.status if verdict is not None else "",
        lift=row.lift,
        lower=row.lower if row.interval_exists else None,
        upper=row.upper if row.interval_exists else None,
        visitors=row.control.visitors + row.treatment.visitors,
        visitors_still_needed=verdict.visitors_still_needed if verdict is not None else None,
        message=verdict.message if verdict is not None else "",
        metric=row.metric,
        metric_family="conversion",
        unit="visitor",
        report_unit=report_unit,
        adjusted=False,
    )


def variant_results() -> tuple[VariantResult, ...]:
    """The current results (from the snapshot)."""
    return _results.get()


def invalidate_results() -> None:
    _results.invalidate()


def build_results() -> tuple[VariantResult, ...]:
    """Every running experiment's variant rows, the best-measured first."""
    designs = [d for d in all_designs() if d.status == "running"]
    scopes = {
        key: (kind, value)
        for key, kind, value in Experiment.objects.filter(
            key__in=[d.key for d in designs]
        ).values_list("key", "scope_kind", "scope_value")
    }
    found: list[VariantResult] = []
    for design in designs:
        report = build_report(design, with_variants=True)
        kind, value = scopes.get(design.key, ("site", ""))
        found.extend(result_of(row, kind, value, report.unit) for row in report.variants)
    found.sort(key=lambda r: -r.visitors)
    return tuple(found)


def underperforming_variants() -> tuple[Underperforming, ...]:
    return flags_of(variant_results())


def flags_of(results: Iterable[VariantResult]) -> tuple[Underperforming, ...]:
    return tuple(
        Underperforming(r.audience, r.experiment, r.scope_kind, r.scope_value, r.message)
        for r in results
        if r.underperforming
    )


_results: Snapshot[tuple[VariantResult, ...]] = Snapshot("studio-variant-results", build_results)
