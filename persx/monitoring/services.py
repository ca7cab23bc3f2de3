"""Every write of the monitoring app: the hourly health rollup, one monitor pass (rules →
incidents → notifications) and the stored weekly reports.

A monitor pass (:func:`run_monitor_pass`, ``manage.py persx_monitor``):

1. refreshes :class:`HealthCount` for the hours since the last pass (the current and the
   previous hour are recounted each time, so late events are included);
2. evaluates every enabled rule (:mod:`persx.monitoring.rules` observes,
   :mod:`persx.engine.alerting.judgement` judges) and opens, updates or resolves its incident in one
   transaction per rule — an incident opens once and resolves once;
3. delivers the due notifications. A failing channel is recorded and retried on a later
   pass; it never raises, and the incidents were saved before any delivery was tried.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from persx.charts.number_format import percent
from persx.engine.alerting.judgement import Action, Judgement, Observation, judge, step
from persx.monitoring import health, notifications
from persx.monitoring.health import Window
from persx.monitoring.models import (
    AlertRule,
    HealthCount,
    Incident,
    Measure,
    Notification,
    NotificationKind,
    RuleState,
    WeeklyReport,
)
from persx.monitoring.rules import PassContext, ScopeObservation, observe

logger = logging.getLogger("persx.monitoring")

# A pass that finds no hourly counts (the first one) counts this much history; older days
# of the dashboard's trends: ``persx_monitor --backfill-days 14`` once (the traffic
# simulation recounts the days it made itself: ``recount_health_counts``).
ROLLUP_BACKFILL = timedelta(days=1)
MAX_NOTIFICATION_ATTEMPTS = 8
BLOCK_MEASURES = {Measure.ERROR_RATE, Measure.FALLBACK_RATE, Measure.PERSONALIZATION_RATE}


# --- hourly rollup -------------------------------------------------------------------------


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _counts(scope: health.ScopeHealth) -> dict[str, int]:
    counts = {
        "page_views": scope.page_views,
        "personalized_views": scope.personalized_views,
        "decisions": scope.decisions,
        "eligible_decisions": scope.eligible_decisions,
        "fallbacks": scope.fallbacks,
        "start_form_views": scope.start_form_views,
        "start_form_completions": scope.start_form_completions,
    }
    counts |= {f"reason:{r}": n for r, n in scope.by_reason.items()}
    return {k: v for k, v in counts.items() if v}


def refresh_health_counts(now: datetime, backfill: timedelta = ROLLUP_BACKFILL) -> int:
    """Recount the hours from the last counted one (at most ``backfill`` back) up to ``now``.

    Grouped by hour in SQL: a handful of queries whatever the number of hours.
    """
    last = HealthCount.objects.aggregate(last=Max("hour"))["last"]
    floor = _hour(now) - backfill
    if last is not None and backfill > ROLLUP_BACKFILL:
        last = None  # an explicit backfill recounts the whole period
    start = floor if last is None else max(floor, min(last, _hour(now) - timedelta(hours=1)))
    return recount_health_counts(start, now)


def recount_health_counts(since: datetime, now: datetime) -> int:
    """Recount every hour from ``since``'s hour up to ``now``, whatever was counted before:
    the backfill after events were moved into past hours or removed (the traffic
    simulation and ``simulate_traffic --clear`` run it). Returns the rows written."""
    start = _hour(since)
    rows = [
        HealthCount(hour=hour, industry=industry, measure=m, count=n)
        for (hour, industry), scope in health.hourly_health(Window(start, now)).items()
        if hour is not None
        for m, n in _counts(scope).items()
    ]
    with transaction.atomic():
        HealthCount.objects.filter(hour__gte=start).delete()
        HealthCount.objects.bulk_create(rows, batch_size=500)
    return len(rows)


# --- rules and incidents -------------------------------------------------------------------


def _as_json(observed: dict[str, ScopeObservation], judged: dict[str, Judgement]) -> dict[str, Any]:
    def number(value: float) -> float | None:
        return None if value != value else round(value, 6)  # NaN → null

    return {
        scope: {
            "estimate": number(o.observation.estimate),
            "lower": number(o.observation.lower),
            "upper": number(o.observation.upper),
            "n": o.observation.n,
            "threshold": round(o.threshold.level, 6),
            "judgement": judged[scope].value,
            **o.details,
        }
        for scope, o in observed.items()
    }


def _summary(rule: AlertRule, observed: dict[str, ScopeObservation], firing: list[str]) -> str:
    parts = []
    for scope in firing[:4]:
        o: Observation = observed[scope].observation
        label = scope or "all industries"
        if rule.measure in {Measure.SRM, Measure.STALE_VARIANTS, Measure.WEB_VITALS}:
            parts.append(f"{label}: {o.estimate:.4g}")
        else:
            parts.append(
                f"{label}: {percent(o.estimate)} (95% interval "
                f"{percent(o.lower)}–{percent(o.upper)}, n={o.n})"
            )
    verb = "below" if observed[firing[0]].threshold.below else "above"
    level = observed[firing[0]].threshold.level
    shown = (
        f"{level:.4g}"
        if rule.measure in {Measure.SRM, Measure.STALE_VARIANTS, Measure.WEB_VITALS}
        else percent(level)
    )
    return f"{rule.name}: {verb} {shown} — " + "; ".join(parts)


def _queue(incident: Incident, kind: str, now: datetime) -> None:
    for channel in notifications.channels():
        Notification.objects.get_or_create(
            incident=incident,
            channel=channel,
            kind=kind,
            defaults={"created_at": now, "next_attempt_at": now},
        )


@dataclass
class PassResult:
    opened: list[Incident] = field(default_factory=list)
    updated: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    delivered: int = 0
    delivery_failures: int = 0
    seconds: float = 0.0


def evaluate_rule(rule: AlertRule, context: PassContext, result: PassResult) -> None:
    now = context.now
    observed = observe(rule, context)
    judged = {scope: judge(o.observation, o.threshold) for scope, o in observed.items()}
    firing = sorted(s for s, j in judged.items() if j is Judgement.FIRING)
    values = _as_json(observed, judged)
    with transaction.atomic():
        state, _ = RuleState.objects.select_for_update().get_or_create(rule=rule)
        incident = (
            Incident.objects.select_for_update().filter(rule=rule, resolved_at__isnull=True).first()
        )
        decided = step(
            incident_open=incident is not None,
            condition_since=state.condition_since,
            judgements=judged,
            affected=frozenset(incident.affected) if incident else frozenset(),
            now=now,
            hold_for=timedelta(minutes=rule.for_minutes),
        )
        blocks: list[dict[str, Any]] = []
        if firing and rule.measure in BLOCK_MEASURES:
            blocks = health.error_blocks(Window.ending(now, rule.window_minutes), firing)
        if decided.action is Action.OPEN:
            incident = Incident.objects.create(
                rule=rule,
                started_at=now,
                last_seen_at=now,
                summary=_summary(rule, observed, firing)[:300],
                values=values,
                latest_values=values,
                affected=firing,
                affected_blocks=blocks,
            )
            _queue(incident, NotificationKind.FIRED, now)
            result.opened.append(incident)
        elif decided.action is Action.UPDATE and incident is not None:
            incident.last_seen_at = now
            incident.latest_values = values
            incident.affected = sorted(set(incident.affected) | set(firing))
            known = {(b["block"], b["industry"]) for b in incident.affected_blocks}
            incident.affected_blocks = incident.affected_blocks + [
                b for b in blocks if (b["block"], b["industry"]) not in known
            ]
            incident.save(
                update_fields=["last_seen_at", "latest_values", "affected", "affected_blocks"]
            )
            result.updated.append(incident)
        elif decided.action is Action.RESOLVE and incident is not None:
            incident.resolved_at = now
            incident.last_seen_at = now
            incident.latest_values = values
            incident.save(update_fields=["resolved_at", "last_seen_at", "latest_values"])
            _queue(incident, NotificationKind.RESOLVED, now)
            result.resolved.append(incident)
        elif decided.action is Action.PENDING:
            result.pending.append(rule.key)
        state.condition_since = decided.condition_since
        state.last_evaluated_at = now
        state.last_values = values
        state.save()


def deliver_notifications(now: datetime) -> tuple[int, int]:
    """Try every due notification once; returns (delivered, failed). Never raises."""
    delivered = failed = 0
    due = Notification.objects.filter(
        delivered_at__isnull=True, gave_up=False, next_attempt_at__lte=now
    ).select_related("incident__rule")
    for note in list(due.order_by("id")):
        note.attempts += 1
        try:
            notifications.send(note.channel, note.incident, note.kind)
        except Exception as exc:  # a failing channel is recorded and retried, never raised
            failed += 1
            note.last_error = f"{type(exc).__name__}: {exc}"[:300]
            note.gave_up = note.attempts >= MAX_NOTIFICATION_ATTEMPTS
            note.next_attempt_at = now + timedelta(minutes=2 ** (note.attempts - 1))
            logger.warning(
                "notification failed",
                extra={
                    "channel": note.channel,
                    "incident": note.incident_id,
                    "error": note.last_error,
                },
            )
        else:
            delivered += 1
            note.delivered_at = now
            note.last_error = ""
        note.save(
            update_fields=["attempts", "last_error", "gave_up", "next_attempt_at", "delivered_at"]
        )
    return delivered, failed


def run_monitor_pass(now: datetime, backfill: timedelta = ROLLUP_BACKFILL) -> PassResult:
    """One pass: refresh the hourly counts, evaluate every enabled rule, deliver."""
    started = time.perf_counter()
    result = PassResult()
    refresh_health_counts(now, backfill)
    context = PassContext(now)
    for rule in AlertRule.objects.filter(enabled=True).order_by("key"):
        try:
            with transaction.atomic():  # a failed query must not poison the next rule
                evaluate_rule(rule, context, result)
        except Exception:  # one broken rule must not stop the others
            logger.exception("alert rule failed", extra={"rule": rule.key})
    result.delivered, result.delivery_failures = deliver_notifications(now)
    result.seconds = time.perf_counter() - started
    return result


# --- weekly report -------------------------------------------------------------------------


def store_weekly_report(
    week_start: Any, now: datetime, subject: str, html: str, recipients: list[str]
) -> WeeklyReport:
    return WeeklyReport.objects.create(
        week_start=week_start, created_at=now, subject=subject, html=html, recipients=recipients
    )


def mark_weekly_report_sent(report: WeeklyReport, now: datetime, error: str = "") -> None:
    report.sent_at = None if error else now
    report.send_error = error[:300]
    report.save(update_fields=["sent_at", "send_error"])


DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "key": "personalization-rate",
        "name": "Personalization rate below 70%",
        "measure": Measure.PERSONALIZATION_RATE,
        "direction": "below",
        "threshold": 0.70,
        "clear_level": 0.75,
        "min_sample": 200,
        "description": "Profiled page views with at least one personalized block (or held "
        "back by design). Fires when the upper 95% bound is below 70%.",
    },
    {
        "key": "error-rate",
        "name": "Decision error rate above 0.5%",
        "measure": Measure.ERROR_RATE,
        "direction": "above",
        "threshold": 0.005,
        "clear_level": 0.0025,
        "min_sample": 400,
        "description": "error + timeout decisions of all block decisions. Fires when the lower "
        "95% bound is above 0.5%.",
    },
    {
        "key": "fallback-jump",
        "name": "Fallback rate jumped (2× the previous week)",
        "measure": Measure.FALLBACK_RATE,
        "direction": "above",
        "threshold": 2.0,
        "clear_level": 1.5,
        "relative_to_baseline": True,
        "min_sample": 400,
        "for_minutes": 15,
        "description": "Profiled blocks served generic (not by design), against the previous "
        "7 days' rate of the same scope.",
    },
    {
        "key": "start-form-drop",
        "name": "Start form completion dropped 30%",
        "measure": Measure.START_FORM_COMPLETION,
        "direction": "below",
        "threshold": 0.7,
        "clear_level": 0.85,
        "relative_to_baseline": True,
        "per_industry": False,
        "window_minutes": 240,
        "min_sample": 100,
        "for_minutes": 30,
        "description": "Start-form completions of views, against the previous 7 days.",
    },
    {
        "key": "persistence-drop",
        "name": "Profile persistence below 80%",
        "measure": Measure.PERSISTENCE_RATE,
        "direction": "below",
        "threshold": 0.8,
        "clear_level": 0.9,
        "window_minutes": 240,
        "min_sample": 100,
        "for_minutes": 30,
        "description": "Returning profiled visitors (seen in the 7 days before) still with the "
        "same industry and persona.",
    },
    {
        "key": "srm",
        "name": "Sample ratio mismatch (p < 0.001)",
        "measure": Measure.SRM,
        "direction": "below",
        "threshold": 0.001,
        "clear_level": 0.01,
        "per_industry": False,
        "min_sample": 100,
        "description": "Chi-square test of each running experiment's traffic split.",
    },
    {
        "key": "stale-variants",
        "name": "Stale variants (not edited for 90 days)",
        "measure": Measure.STALE_VARIANTS,
        "direction": "above",
        "threshold": 0,
        "clear_level": 0,
        "per_industry": False,
        "min_sample": 1,
        "description": "Variants on pages without a new revision for 90 days.",
    },
    {
        "key": "web-vitals",
        "name": "Web Vitals regression of a variant (p75 20% worse than generic)",
        "measure": Measure.WEB_VITALS,
        "direction": "above",
        "threshold": 1.2,
        "clear_level": 1.1,
        "per_industry": False,
        "window_minutes": 1440,
        "min_sample": 100,
        "description": "75th percentile of LCP, INP (and CLS + 0.05) of a variant over generic's.",
    },
)
