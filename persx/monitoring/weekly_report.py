"""The weekly report: what happened to personalization in one week, and what to do next.

Reads only: PLI per industry with intervals and the variant verdicts come from the
analytics reports (:func:`persx.analytics.overview.build_overview`): the global holdout
when it holds anyone out, else the experiments that compared personalized with generic
content that week (running, or stopped with visitors in the week), and the report says
which. Health comes from the hourly rollup, incidents, coverage and stale variants from
this app. Storing and sending
are :mod:`persx.monitoring.services`'s and the command's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Q, Sum
from django.template.loader import render_to_string

from persx.analytics.models import DailyRollup
from persx.analytics.overview import Overview, build_overview
from persx.analytics.report_model import ALL_INDUSTRIES, Design, ExperimentReport, VariantRow
from persx.analytics.report_queries import design_of
from persx.analytics.reports import build_report
from persx.analytics.scorecard import ScoreLine, scorecard
from persx.charts.number_format import percent
from persx.config import config
from persx.engine.alerting.judgement import Interval, wilson_interval
from persx.engine.statistics import VerdictStatus
from persx.experiments.models import Experiment
from persx.monitoring import content_audit
from persx.monitoring.health import SITE
from persx.monitoring.models import HealthCount, Incident
from persx.monitoring.notifications import dashboard_url

UNDERPERFORMING_PLI = 0.10


@dataclass(frozen=True, slots=True)
class PliRow:
    segment: str
    visitors: int
    lift: float | None
    lower: float | None
    upper: float | None
    verdict: str
    pooled: bool


@dataclass(frozen=True, slots=True)
class PliTable:
    name: str
    metric: str
    headline: str
    rows: tuple[PliRow, ...]
    comparison: str = ""  # which visitors against which, said in the report


@dataclass(frozen=True, slots=True)
class HealthLine:
    label: str
    successes: int
    trials: int
    interval: Interval | None


@dataclass(frozen=True, slots=True)
class WeeklyReportContent:
    week_start: date
    week_end: date  # exclusive
    pli_tables: tuple[PliTable, ...]
    pli_note: str  # why the PLI comes from where it comes from ("" when from the holdout)
    underperforming: tuple[VariantRow, ...]
    insufficient: tuple[VariantRow, ...]
    health: tuple[HealthLine, ...]
    incidents: tuple[Incident, ...]
    coverage_share: float | None
    coverage_gaps: tuple[content_audit.CoverageGap, ...]
    stale_variants: tuple[content_audit.StaleVariant, ...]
    next_steps: tuple[str, ...]
    dashboard: str
    scorecard: tuple[ScoreLine, ...] = ()  # the seed's success criteria, with evidence
    site_root: str = ""  # prefix of the scorecard's evidence links

    @property
    def subject(self) -> str:
        return f"PersX weekly report: week of {self.week_start:%b %d, %Y}"


def _personalized_arm(design: Design) -> str:
    """The arm that gets personalized content when the control gets generic, else ""."""
    control = design.arm(design.control)
    if control is None or control.kind != "generic":
        return ""
    return next((a.key for a in design.treatments if a.kind == "personalized"), "")


def _held_out_anyone(report: ExperimentReport) -> bool:
    arm = _personalized_arm(report.design)
    comp = report.comparison(arm, ALL_INDUSTRIES, report.design.primary_metric) if arm else None
    return comp is not None and comp.control.visitors > 0 and comp.treatment.visitors > 0


def _comparison(design: Design, arm: str) -> str:
    if design.is_holdout:
        return (
            "Global holdout: profiled visitors shown personalized content against those held "
            "out with generic content, every visitor since the holdout began."
        )
    state = "running" if design.status == "running" else "stopped"
    return (
        f"Experiment {design.key} ({state}, fixed allocation): its arm '{arm}' (personalized "
        f"content) against its arm '{design.control}' (generic content), every visitor it "
        "has had."
    )


def _pli_table(report: ExperimentReport) -> PliTable | None:
    design = report.design
    if not design.treatments:
        return None
    arm = _personalized_arm(design) or design.treatments[0].key
    rows = []
    for slug, label in report.segments:
        comp = report.comparison(arm, slug, design.primary_metric)
        if comp is None:
            continue
        verdict = report.verdict(arm, slug)
        rows.append(
            PliRow(
                label,
                comp.control.visitors + comp.treatment.visitors,
                comp.lift,
                comp.lower if comp.interval_exists else None,
                comp.upper if comp.interval_exists else None,
                verdict.headline if verdict else "Insufficient data",
                slug == ALL_INDUSTRIES,
            )
        )
    return PliTable(
        design.name, design.primary_metric, report.headline, tuple(rows), _comparison(design, arm)
    )


def _stopped_comparisons(week_start: date, week_end: date) -> tuple[ExperimentReport, ...]:
    """Stopped fixed-allocation experiments of personalized against generic content that had
    visitors in the week, most recently stopped first."""
    with_visitors = set(
        DailyRollup.objects.filter(day__gte=week_start, day__lt=week_end)
        .values_list("experiment", flat=True)
        .distinct()
    )
    stopped = Experiment.objects.filter(
        status=Experiment.Status.STOPPED, key__in=with_visitors
    ).order_by(F("stopped_at").desc(nulls_last=True), "key")
    designs = [design_of(e) for e in stopped]
    return tuple(build_report(d) for d in designs if _personalized_arm(d))


def _pli_sources(
    overview: Overview, week_start: date, week_end: date
) -> tuple[tuple[ExperimentReport, ...], str]:
    """The reports whose PLI the weekly report shows, and a note saying why those.

    The global holdout when it held anyone out; with no holdout (``HOLDOUT_SHARE`` 0, as
    in the demo) or nobody in it, the running experiments and the stopped fixed-allocation
    experiments of personalized against generic content that had visitors in the week.
    """
    running = overview.experiments
    if _held_out_anyone(overview.holdout):
        return (overview.holdout, *running), ""
    stopped = _stopped_comparisons(week_start, week_end)
    share = config().holdout_share
    why = (
        "the global holdout is off (PERSX_HOLDOUT_SHARE is 0)"
        if share <= 0
        else "nobody has been held out yet"
    )
    compared = [r for r in (*running, *stopped) if _personalized_arm(r.design)]
    if not compared:
        return running, (
            f"No PLI of personalization as a whole: {why}, and no experiment of personalized "
            "against generic content had visitors in the week."
        )
    keys = ", ".join(r.design.key for r in compared)
    return (*running, *stopped), (
        f"No global holdout comparison: {why}. The PLI below comes instead from the "
        f"experiments that compare personalized with generic content, running or stopped "
        f"with visitors in the week ({keys})."
    )


def _health(week_start: datetime, week_end: datetime) -> tuple[HealthLine, ...]:
    sums = {
        row["measure"]: int(row["n"] or 0)
        for row in HealthCount.objects.filter(
            industry=SITE, hour__gte=week_start, hour__lt=week_end
        )
        .values("measure")
        .annotate(n=Sum("count"))
        .order_by()
    }

    def line(label: str, numerator: tuple[str, ...], denominator: str) -> HealthLine:
        successes = sum(sums.get(m, 0) for m in numerator)
        trials = sums.get(denominator, 0)
        interval = wilson_interval(min(successes, trials), trials) if trials else None
        return HealthLine(label, successes, trials, interval)

    return (
        line("Personalization rate (page views)", ("personalized_views",), "page_views"),
        line("Fallback rate (blocks)", ("fallbacks",), "eligible_decisions"),
        line("Error rate (blocks)", ("reason:error", "reason:timeout"), "decisions"),
        line("Start form completion", ("start_form_completions",), "start_form_views"),
    )


def _next_steps(
    incidents: tuple[Incident, ...],
    underperforming: tuple[VariantRow, ...],
    gaps: list[content_audit.CoverageGap],
    stale: list[content_audit.StaleVariant],
    insufficient: tuple[VariantRow, ...],
) -> tuple[str, ...]:
    steps: list[str] = []
    still_open = [i for i in incidents if i.resolved_at is None]
    if still_open:
        steps.append(
            f"Look into the {len(still_open)} incident(s) still open on the health dashboard "
            f"({', '.join(i.rule.name for i in still_open[:3])})."
        )
    for row in underperforming[:3]:
        steps.append(
            f"Rewrite or retire the variant {row.label} in {row.experiment}: its PLI is below "
            f"{percent(UNDERPERFORMING_PLI, 0, signed=True)} on the evidence."
        )
    if gaps:
        missing: dict[str, int] = {}
        for gap in gaps:
            for slug in gap.missing_industries:
                missing[slug] = missing.get(slug, 0) + 1
        worst = sorted(missing.items(), key=lambda kv: -kv[1])[:3]
        steps.append(
            "Write variants where visitors still get the generic block: "
            + ", ".join(f"{slug} ({n} block{'s' if n != 1 else ''})" for slug, n in worst)
            + "."
        )
    if stale:
        steps.append(f"Review {len(stale)} stale variant(s) not edited for 90 days.")
    if insufficient:
        steps.append(
            "Keep the experiments running: some variants have too little data for a verdict."
        )
    if not steps:
        steps.append("Nothing needs attention: personalization is healthy and measured.")
    return tuple(steps)


def build_weekly_report(week_start: date) -> WeeklyReportContent:
    start_at = datetime.combine(week_start, time.min, tzinfo=UTC)
    end_at = start_at + timedelta(days=7)
    overview = build_overview()
    sources, pli_note = _pli_sources(overview, week_start, week_start + timedelta(days=7))
    tables = tuple(t for t in (_pli_table(r) for r in sources) if t)
    variants = [v for r in sources for v in r.variants if v.verdict]
    insufficient = tuple(
        v
        for v in variants
        if v.verdict is not None
        and v.verdict.status == VerdictStatus.INSUFFICIENT_DATA
        and v.lift is not None
        and v.lift < UNDERPERFORMING_PLI
    )
    incidents = tuple(
        Incident.objects.filter(started_at__lt=end_at)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start_at))
        .select_related("rule")
        .order_by("started_at")
    )
    blocks = content_audit.personalized_blocks()
    gaps = content_audit.coverage_gaps(blocks)
    stale = content_audit.stale_variants(blocks, end_at)
    steps = _next_steps(incidents, overview.underperforming_variants, gaps, stale, insufficient)
    return WeeklyReportContent(
        week_start=week_start,
        week_end=week_start + timedelta(days=7),
        pli_tables=tables,
        pli_note=pli_note,
        underperforming=overview.underperforming_variants,
        insufficient=insufficient,
        health=_health(start_at, end_at),
        incidents=incidents,
        coverage_share=content_audit.coverage_share(blocks),
        coverage_gaps=tuple(gaps),
        stale_variants=tuple(stale),
        next_steps=steps,
        dashboard=dashboard_url(),
        scorecard=scorecard(overview, end_at),
        site_root=settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
    )


def render_html(content: WeeklyReportContent) -> str:
    return render_to_string("persx_monitoring/weekly_report_email.html", {"r": content})
