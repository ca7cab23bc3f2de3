"""What the "Personalization health" admin page shows, read in a few bounded queries.

The live cards use the last hour of events (the rules' default window); the daily trends
read the hourly rollup (:class:`HealthCount`) of the last ``TREND_DAYS`` days; Web Vitals
the last 24 hours. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncDate

from persx.catalog.repository import current_catalog
from persx.charts.daily_rates import DailyRatesChart, Line, daily_rates_chart
from persx.engine.alerting.judgement import Interval, wilson_interval
from persx.monitoring import content_audit, health
from persx.monitoring.health import SITE, ScopeHealth, Window
from persx.monitoring.models import AlertRule, HealthCount, Incident

TREND_DAYS = 14
LIVE_MINUTES = 60
RECENT_INCIDENTS = 15


@dataclass(frozen=True, slots=True)
class RateCard:
    key: str
    label: str
    successes: int
    trials: int
    interval: Interval | None
    threshold: float | None
    below_is_bad: bool
    note: str

    @property
    def status(self) -> str:
        """good / bad / warn / none: bad only on evidence (the interval past the threshold)."""
        if self.interval is None or self.threshold is None:
            return "none"
        if self.below_is_bad:
            if self.interval.upper < self.threshold:
                return "bad"
            return "good" if self.interval.lower >= self.threshold else "warn"
        if self.interval.lower > self.threshold:
            return "bad"
        return "good" if self.interval.upper <= self.threshold else "warn"


def _card(
    key: str, label: str, counts: tuple[int, int], threshold: float | None, below: bool, note: str
) -> RateCard:
    successes, trials = counts
    interval = wilson_interval(successes, trials) if trials else None
    return RateCard(key, label, successes, trials, interval, threshold, below, note)


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    industry: str
    industries: tuple[tuple[str, str], ...]
    cards: tuple[RateCard, ...]
    fallbacks: dict[str, int]
    charts: tuple[DailyRatesChart, ...]
    open_incidents: tuple[Incident, ...]
    recent_incidents: tuple[Incident, ...]
    rules: tuple[AlertRule, ...]
    coverage_share: float | None
    coverage_gaps: tuple[content_audit.CoverageGap, ...]
    stale_variants: tuple[content_audit.StaleVariant, ...]
    vitals: tuple[health.VitalRow, ...]


def _threshold(rules: dict[str, AlertRule], measure: str) -> float | None:
    rule = next((r for r in rules.values() if r.measure == measure and r.enabled), None)
    return rule.threshold if rule is not None and not rule.relative_to_baseline else None


def daily_counts(industry: str, days: list[date]) -> dict[date, dict[str, int]]:
    rows = (
        HealthCount.objects.filter(
            hour__gte=datetime.combine(days[0], time.min, tzinfo=UTC), industry=industry
        )
        .annotate(day=TruncDate("hour"))
        .values("day", "measure")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_day: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_day[row["day"]][row["measure"]] = int(row["n"] or 0)
    return by_day


def _ratio(counts: dict[str, int], numerator: tuple[str, ...], denominator: str) -> float | None:
    den = counts.get(denominator, 0)
    return sum(counts.get(m, 0) for m in numerator) / den if den else None


def build_dashboard(now: datetime, industry: str = "") -> Dashboard:
    catalog = current_catalog()
    industries = tuple((i.slug, i.name) for i in catalog.industries)
    if industry not in {slug for slug, _ in industries}:
        industry = SITE
    rules = {r.key: r for r in AlertRule.objects.order_by("key").select_related("state")}
    scopes = health.window_health(Window.ending(now, LIVE_MINUTES))
    live = scopes.get(industry, ScopeHealth())
    cards = (
        _card(
            "personalization_rate",
            "Personalization rate",
            (live.personalized_views, live.page_views),
            _threshold(rules, "personalization_rate"),
            True,
            "profiled page views with a personalized block (or held back by design)",
        ),
        _card(
            "error_rate",
            "Error rate",
            (live.errors, live.decisions),
            _threshold(rules, "error_rate"),
            False,
            "block decisions that failed or timed out",
        ),
        _card(
            "fallback_rate",
            "Fallback rate",
            (live.fallbacks, live.eligible_decisions),
            None,
            False,
            "profiled blocks served generic (not by design)",
        ),
        _card(
            "start_form_completion",
            "Start form completion",
            (live.start_form_completions, live.start_form_views) if industry == SITE else (0, 0),
            None,
            True,
            "submissions of start-form views" if industry == SITE else "site-wide only",
        ),
        _card(
            "persistence_rate",
            "Profile persistence",
            (live.persisted_visitors, live.returning_visitors),
            _threshold(rules, "persistence_rate"),
            True,
            "returning visitors still with the same profile",
        ),
    )
    today = now.date()
    days = [today - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
    counts = daily_counts(industry, days)
    scope_label = dict(industries).get(industry, "all industries")

    def series(label: str, numerator: tuple[str, ...], denominator: str) -> Line:
        return Line(label, tuple(_ratio(counts.get(d, {}), numerator, denominator) for d in days))

    error_points = series("Errors + timeouts", ("reason:error", "reason:timeout"), "decisions")
    error_ceiling = max([0.02, *(p * 1.25 for p in error_points.points if p is not None)])
    charts = (
        daily_rates_chart(
            days,
            [
                series("Personalization rate", ("personalized_views",), "page_views"),
                series("Fallback rate", ("fallbacks",), "eligible_decisions"),
            ],
            threshold=_threshold(rules, "personalization_rate"),
            title=f"Personalization and fallback rate per day — {scope_label}",
        ),
        daily_rates_chart(
            days,
            [error_points],
            ceiling=min(1.0, error_ceiling),
            threshold=_threshold(rules, "error_rate"),
            title=f"Error rate per day — {scope_label}",
        ),
        daily_rates_chart(
            days,
            [series("Start form completion", ("start_form_completions",), "start_form_views")],
            title="Start form completion per day — whole site",
        )
        if industry == SITE
        else None,
    )
    blocks = content_audit.personalized_blocks()
    gaps = content_audit.coverage_gaps(blocks)
    if industry:
        gaps = [g for g in gaps if industry in g.missing_industries]
    open_incidents = tuple(Incident.objects.filter(resolved_at__isnull=True).select_related("rule"))
    recent = tuple(
        Incident.objects.filter(resolved_at__isnull=False)
        .select_related("rule")
        .order_by("-started_at")[:RECENT_INCIDENTS]
    )
    return Dashboard(
        now=now,
        industry=industry,
        industries=industries,
        cards=cards,
        fallbacks=live.fallbacks_by_reason(),
        charts=tuple(c for c in charts if c),
        open_incidents=open_incidents,
        recent_incidents=recent,
        rules=tuple(rules.values()),
        coverage_share=content_audit.coverage_share(blocks),
        coverage_gaps=tuple(gaps),
        stale_variants=tuple(content_audit.stale_variants(blocks, now)),
        vitals=tuple(health.web_vitals(Window.ending(now, 24 * 60))),
    )
