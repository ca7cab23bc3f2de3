"""The seed's success criteria as one scorecard, each line with its evidence.

1. Personalized share ≥ 80%: profiled visitors shown at least one personalized block.
2. PLI > 15% in every industry: the global holdout's comparison (else the first running
   experiment's), primary metric, each industry's PLI (point estimate; its 95% interval is
   in the evidence).
3. Zero personalization errors: exposures that fell back to generic content because of an
   error or a timeout, over the last ``ERROR_DAYS`` days.
4. Variants refreshed each quarter: every live page with personalized blocks published
   within the last ``REFRESH_DAYS`` days.
5. PLI month over month: the same comparison per calendar month, the last three months.

A line is ``met``, ``not met`` or ``unknown`` (no data to judge). Evidence is a figure, the
period it covers and a link to where it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse

from persx.analytics.models import DailyRollup
from persx.analytics.overview import Overview
from persx.analytics.report_model import ALL_INDUSTRIES, TARGET_PLI, ExperimentReport
from persx.charts.number_format import count, percent
from persx.content.inventory import live_pages, stored_blocks
from persx.engine.deciding.decision import Reason
from persx.engine.statistics import relative_lift
from persx.events.event_types import EventType
from persx.events.models import Event

SHARE_TARGET = 0.8
ERROR_DAYS = 30
REFRESH_DAYS = 90
MONTHS = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    figure: str
    period: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class ScoreLine:
    key: str
    criterion: str
    status: str  # met | not met | unknown
    summary: str
    evidence: tuple[Evidence, ...]


def _status(ok: bool | None) -> str:
    return "unknown" if ok is None else "met" if ok else "not met"


def _compared(report: ExperimentReport) -> bool:
    """Visitors in both arms of the primary comparison."""
    primary = report.primary()
    return primary is not None and primary.control.visitors > 0 < primary.treatment.visitors


def _source(overview: Overview) -> ExperimentReport | None:
    """The global holdout when it holds anyone out, else the first running experiment with
    visitors in both arms."""
    return next((r for r in (overview.holdout, *overview.experiments) if _compared(r)), None)


NO_SOURCE = (
    "No comparison yet: the global holdout holds no one out and no running experiment has "
    "visitors in both arms."
)


def _report_url(report: ExperimentReport) -> str:
    return reverse("persx_analytics_report", args=[report.design.key])


def _period(report: ExperimentReport) -> str:
    days = [p.day for s in report.series for p in s.points]
    return f"{min(days)} to {max(days)}" if days else "all data"


def share_line(overview: Overview) -> ScoreLine:
    rate = overview.rate
    ok = None if rate.rate is None else rate.rate >= SHARE_TARGET
    return ScoreLine(
        "share",
        f"Personalized share ≥ {percent(SHARE_TARGET, 0)}",
        _status(ok),
        f"{percent(rate.rate, 1)} of profiled visitors saw personalized content.",
        (
            Evidence(
                f"{count(rate.personalized_visitors)} of {count(rate.profiled_visitors)} "
                "profiled visitors",
                _period(overview.holdout),
                reverse("persx_analytics_overview"),
            ),
        ),
    )


def _lift_figure(lift: float | None, lower: float | None, upper: float | None) -> str:
    if lift is None or not math.isfinite(lift):
        return "no estimate yet"
    if lower is None or upper is None:
        return f"{percent(lift, 0, signed=True)} (interval not yet bounded)"
    return (
        f"{percent(lift, 0, signed=True)} (95% {percent(lower, 0, signed=True)} to "
        f"{percent(upper, 0, signed=True)})"
    )


def pli_line(overview: Overview) -> ScoreLine:
    report = _source(overview)
    criterion = f"PLI > {percent(TARGET_PLI, 0, signed=True)} in every industry"
    if report is None or not report.design.treatments:
        return ScoreLine("pli", criterion, "unknown", NO_SOURCE, ())
    arm = report.design.treatments[0].key
    rows = [
        c
        for c in report.comparisons
        if c.arm == arm and c.metric == report.design.primary_metric and not c.is_pooled
    ]
    known = [c for c in rows if c.lift is not None and math.isfinite(c.lift)]
    above = [c for c in known if (c.lift or 0) > TARGET_PLI]
    ok = None if not rows or len(known) < len(rows) else len(above) == len(rows)
    evidence = tuple(
        Evidence(
            f"{c.segment_label}: {_lift_figure(c.lift, c.lower, c.upper)}, "
            f"{count(c.control.visitors + c.treatment.visitors)} visitors",
            _period(report),
            _report_url(report),
        )
        for c in rows
    )
    return ScoreLine(
        "pli",
        criterion,
        _status(ok),
        (
            f"{len(above)} of {len(rows)} industries above the target in {report.design.name}"
            if known
            else f"No industry has an estimate yet in {report.design.name}"
        )
        + " (unadjusted, visitor level).",
        evidence,
    )


def errors_line(now: datetime) -> ScoreLine:
    since = now - timedelta(days=ERROR_DAYS)
    exposures = Event.objects.filter(
        type=EventType.EXPOSURE.value, occurred_at__gte=since, occurred_at__lte=now
    )
    errors = exposures.filter(reason__in=(Reason.ERROR.value, Reason.TIMEOUT.value)).count()
    return ScoreLine(
        "errors",
        "Zero personalization errors",
        "met" if errors == 0 else "not met",
        f"{count(errors)} decisions fell back to generic content on an error or a timeout.",
        (
            Evidence(
                f"{count(errors)} error or timeout exposures",
                f"last {ERROR_DAYS} days",
                reverse("persx_analytics_overview"),
            ),
        ),
    )


def refresh_line(now: datetime) -> ScoreLine:
    pages = live_pages()
    personalized = {b.page.pk: b.page for b in stored_blocks(pages) if b.audiences}
    limit = now - timedelta(days=REFRESH_DAYS)
    stale = [
        p
        for p in personalized.values()
        if p.last_published_at is None or p.last_published_at < limit
    ]
    ok = None if not personalized else not stale
    evidence = tuple(
        Evidence(
            f"{p.title}: last published "
            f"{p.last_published_at.date() if p.last_published_at else 'never'}",
            f"older than {REFRESH_DAYS} days",
            reverse("wagtailadmin_pages:edit", args=[p.pk]),
        )
        for p in stale[:10]
    ) or (Evidence(f"{len(personalized)} pages with variants", f"last {REFRESH_DAYS} days"),)
    return ScoreLine(
        "refresh",
        "Variants refreshed each quarter",
        _status(ok),
        f"{len(stale)} of {len(personalized)} pages with variants not published in "
        f"{REFRESH_DAYS} days.",
        evidence,
    )


def _month_label(day: date) -> str:
    return day.strftime("%Y-%m")


def _month_figure(lift: float | None) -> str:
    return "no estimate yet" if lift is None else percent(lift, 0, signed=True)


def monthly_line(overview: Overview) -> ScoreLine:
    report = _source(overview)
    criterion = "PLI month over month"
    if report is None or not report.design.treatments:
        return ScoreLine("monthly", criterion, "unknown", NO_SOURCE, ())
    design = report.design
    arm = design.treatments[0].key
    rows = (
        DailyRollup.objects.filter(
            experiment=design.key, metric=design.primary_metric, arm__in=(design.control, arm)
        )
        .annotate(month=TruncMonth("day"))
        .values("month", "arm")
        .annotate(v=Sum("visitors"), c=Sum("conversions"))
        .order_by("month")
    )
    months: dict[date, dict[str, tuple[int, int]]] = {}
    for r in rows:
        months.setdefault(r["month"], {})[r["arm"]] = (int(r["v"] or 0), int(r["c"] or 0))
    lifts: list[tuple[date, float | None, int]] = []
    for month in sorted(months)[-MONTHS:]:
        (nc, xc), (nt, xt) = (
            months[month].get(design.control, (0, 0)),
            months[month].get(arm, (0, 0)),
        )
        lift = relative_lift(xc, nc, xt, nt).lift if nc and nt and xc else None
        lifts.append((month, lift if lift is not None and math.isfinite(lift) else None, nc + nt))
    latest = lifts[-1][1] if lifts else None
    ok = None if latest is None else latest > TARGET_PLI
    trend = " → ".join(f"{_month_label(m)} {_month_figure(v)}" for m, v, _ in lifts)
    return ScoreLine(
        "monthly",
        criterion,
        _status(ok),
        f"{trend or 'No months yet'} ({design.name}, all industries; met when the latest "
        f"month is above {percent(TARGET_PLI, 0, signed=True)}).",
        tuple(
            Evidence(
                f"{_month_label(m)}: {_month_figure(v)} ({count(n)} visitors)",
                _month_label(m),
                _report_url(report),
            )
            for m, v, n in lifts
        ),
    )


def scorecard(overview: Overview, now: datetime) -> tuple[ScoreLine, ...]:
    """The five lines, in the seed's order."""
    return (
        share_line(overview),
        pli_line(overview),
        errors_line(now),
        refresh_line(now),
        monthly_line(overview),
    )


__all__ = ["ALL_INDUSTRIES", "Evidence", "ScoreLine", "scorecard"]
