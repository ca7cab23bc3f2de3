"""The health model: how personalization is doing, read from the events table.

Every query is an aggregate over a bounded time window on the ``(type, occurred_at)``
index, so its cost follows the traffic of the window, not the size of the table (the
dashboard's day-by-day trends read :class:`~persx.monitoring.models.HealthCount`, the
hourly rollup, instead). Scope ``""`` is the whole site; other scopes are industry slugs.

Definitions (exposures are recorded for profiled visitors only, one per block of a page):

- **personalization rate** — profiled page views (the exposures of one render share
  visitor, page and time) with at least one block personalized *or deliberately held back*
  (``holdout``, ``experiment_control``: generic by design, not a failure).
- **fallback rate** — block decisions for profiled visitors served generic for another
  reason (``variant_missing``, ``error``, ``timeout``, ``disabled``), of all decisions
  that were not held back by design; also by reason.
- **error rate** — ``error`` + ``timeout`` decisions of all decisions.
- **start-form completion rate** — ``start_form_submitted`` events of start-form views
  (``page_view`` events of ``/start/``).
- **persistence rate** — of the profiled visitors of the window also seen in the 7 days
  before it, the share whose industry and persona are still the same.
- **Web Vitals** — ``web_vital`` events (``value`` = the measurement, ``properties`` =
  ``{"metric": "LCP"|"CLS"|"INP", "variant": "generic"|<audience key>}``): the 75th
  percentile per metric × variant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Max, Value, When
from django.db.models.functions import TruncHour

from persx.events.models import Event

SITE = ""
PERSONALIZED_REASONS = ("persona_match", "industry_match")
HELD_BACK_REASONS = ("holdout", "experiment_control")
ERROR_REASONS = ("error", "timeout")
START_FORM_PATH = "/start/"
WEB_VITAL = "web_vital"
WEB_VITAL_METRICS = ("LCP", "CLS", "INP")
PERSISTENCE_LOOKBACK = timedelta(days=7)
VISITOR_CHUNK = 500


@dataclass
class ScopeHealth:
    """Counts of one scope in one window; rates are derived from them."""

    page_views: int = 0
    personalized_views: int = 0
    decisions: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    start_form_views: int = 0
    start_form_completions: int = 0
    returning_visitors: int = 0
    persisted_visitors: int = 0

    @property
    def errors(self) -> int:
        return sum(self.by_reason.get(r, 0) for r in ERROR_REASONS)

    @property
    def held_back(self) -> int:
        return sum(self.by_reason.get(r, 0) for r in HELD_BACK_REASONS)

    @property
    def eligible_decisions(self) -> int:
        return self.decisions - self.held_back

    @property
    def fallbacks(self) -> int:
        personalized = sum(self.by_reason.get(r, 0) for r in PERSONALIZED_REASONS)
        return self.eligible_decisions - personalized

    def fallbacks_by_reason(self) -> dict[str, int]:
        skip = {*PERSONALIZED_REASONS, *HELD_BACK_REASONS}
        return {r: n for r, n in sorted(self.by_reason.items()) if r not in skip and n}


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime

    @classmethod
    def ending(cls, until: datetime, minutes: int) -> Window:
        return cls(until - timedelta(minutes=minutes), until)


def _in(window: Window, event_type: str) -> Any:
    return Event.objects.filter(
        type=event_type, occurred_at__gte=window.since, occurred_at__lt=window.until
    )


def _page_view_sql(window: Window, by_hour: bool) -> tuple[str, tuple[Any, ...]]:
    personalized = Case(
        When(reason__in=(*PERSONALIZED_REASONS, *HELD_BACK_REASONS), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    inner = _in(window, "exposure").exclude(industry="")
    keys = ["visitor_id", "page", "occurred_at", "industry"]
    if by_hour:
        inner = inner.annotate(hour=TruncHour("occurred_at"))
        keys.append("hour")
    inner = inner.values(*keys).annotate(p=Max(personalized)).order_by()
    sql, params = inner.query.sql_with_params()
    if by_hour:
        select, group = "t.hour, t.industry", "t.hour, t.industry"
    else:
        select, group = "NULL, t.industry", "t.industry"
    return (
        f"SELECT {select}, COUNT(*), SUM(t.p) FROM ({sql}) t GROUP BY {group}",
        tuple(params),
    )


HourScope = tuple[datetime | None, str]


def _collect(window: Window, by_hour: bool) -> dict[HourScope, ScopeHealth]:
    """Counts per (hour or None, scope) of the window, in four grouped queries."""
    scopes: dict[HourScope, ScopeHealth] = defaultdict(ScopeHealth)

    def grouped(event_type: str, *fields: str, **filters: str) -> Any:
        query = _in(window, event_type).filter(**filters)
        if by_hour:
            query = query.annotate(hour=TruncHour("occurred_at"))
            fields = ("hour", *fields)
        if not fields:
            # One total (grouping by every column would group by the primary key, which
            # the partitioned PostgreSQL table does not have alone).
            return [query.aggregate(n=Count("id"))]
        return query.values(*fields).annotate(n=Count("id")).order_by()

    def targets(row: dict[str, Any], industry: str) -> tuple[ScopeHealth, ...]:
        hour = _as_hour(row.get("hour")) if by_hour else None
        site = scopes[(hour, SITE)]
        return (scopes[(hour, industry)], site) if industry else (site,)

    for row in grouped("exposure", "industry", "reason"):
        n = int(row["n"])
        for scope in targets(row, row["industry"]):
            scope.decisions += n
            scope.by_reason[row["reason"]] = scope.by_reason.get(row["reason"], 0) + n
    sql, params = _page_view_sql(window, by_hour)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for hour, industry, views, personalized in cursor.fetchall():
            for scope in targets({"hour": hour}, industry):
                scope.page_views += int(views)
                scope.personalized_views += int(personalized or 0)
    for row in grouped("page_view", page=START_FORM_PATH):
        targets(row, "")[0].start_form_views += int(row["n"])
    for row in grouped("start_form_submitted", "industry"):
        for scope in targets(row, row["industry"]):
            scope.start_form_completions += int(row["n"])
    return scopes


def _as_hour(value: Any) -> datetime | None:
    """An hour from the ORM (aware datetime) or from raw SQL (text on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def window_health(window: Window, *, with_persistence: bool = True) -> dict[str, ScopeHealth]:
    """Health counts of the site (scope ``""``) and of each industry seen in the window."""
    scopes = {scope: h for (_, scope), h in _collect(window, by_hour=False).items()}
    scopes.setdefault(SITE, ScopeHealth())
    if with_persistence:
        _add_persistence(window, scopes)
    return scopes


def hourly_health(window: Window) -> dict[HourScope, ScopeHealth]:
    """Health counts per hour × scope (the hourly rollup; no persistence)."""
    return dict(_collect(window, by_hour=True))


def _add_persistence(window: Window, scopes: dict[str, ScopeHealth]) -> None:
    if SITE not in scopes:
        scopes[SITE] = ScopeHealth()
    now_profile: dict[str, tuple[str, str]] = {}
    for visitor, industry, persona in (
        _in(window, "page_view")
        .exclude(visitor_id="")
        .exclude(industry="")
        .values_list("visitor_id", "industry", "persona")
        .distinct()
    ):
        now_profile.setdefault(visitor, (industry, persona))
    before = Window(window.since - PERSISTENCE_LOOKBACK, window.since)
    visitors = list(now_profile)
    earlier: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for start in range(0, len(visitors), VISITOR_CHUNK):
        chunk = visitors[start : start + VISITOR_CHUNK]
        for visitor, industry, persona in (
            Event.objects.filter(
                visitor_id__in=chunk,
                occurred_at__gte=before.since,
                occurred_at__lt=before.until,
                type="page_view",
            )
            .values_list("visitor_id", "industry", "persona")
            .distinct()
        ):
            earlier[visitor].add((industry, persona))
    for visitor, profiles in earlier.items():
        industry, _ = now_profile[visitor]
        kept = profiles == {now_profile[visitor]}
        for scope in (scopes.setdefault(industry, ScopeHealth()), scopes[SITE]):
            scope.returning_visitors += 1
            scope.persisted_visitors += int(kept)


def error_blocks(window: Window, industries: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Blocks with error/timeout decisions in the window (optionally for some industries)."""
    query = _in(window, "exposure").filter(reason__in=ERROR_REASONS)
    wanted = [i for i in industries if i]
    if wanted:
        query = query.filter(industry__in=wanted)
    rows = query.values("block", "industry").annotate(n=Count("id")).order_by("-n")[:20]
    return [{"block": r["block"], "industry": r["industry"], "decisions": r["n"]} for r in rows]


def _p75(values: list[float]) -> float:
    ordered = sorted(values)
    index = max(0, int(0.75 * len(ordered) + 0.5) - 1)
    return ordered[min(index, len(ordered) - 1)]


@dataclass(frozen=True, slots=True)
class VitalRow:
    metric: str
    variant: str
    p75: float
    samples: int
    generic_p75: float | None

    @property
    def ratio(self) -> float | None:
        """p75 of this variant over generic's (CLS offset by 0.05 so a 0 never divides)."""
        if self.generic_p75 is None:
            return None
        offset = 0.05 if self.metric == "CLS" else 0.0
        base = self.generic_p75 + offset
        return (self.p75 + offset) / base if base > 0 else None


def web_vitals(window: Window) -> list[VitalRow]:
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for value, properties in _in(window, WEB_VITAL).values_list("value", "properties"):
        if value is None or not isinstance(properties, dict):
            continue
        metric = properties.get("metric")
        if metric in WEB_VITAL_METRICS:
            samples[(metric, str(properties.get("variant") or "generic"))].append(float(value))
    rows = []
    for (metric, variant), values in sorted(samples.items()):
        generic = samples.get((metric, "generic"))
        rows.append(
            VitalRow(metric, variant, _p75(values), len(values), _p75(generic) if generic else None)
        )
    return rows
