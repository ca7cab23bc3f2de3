"""Monitoring figures: metrics overhead on a personalized page, and the monitor pass and
health dashboard at scale.

1. Metrics overhead: the contact page (personalized, industry cookie) rendered in-process
   with and without the page's live metrics (``PersonalizationMiddleware`` times the page
   and records the page and every block decision through ``record_page_metrics``; the
   "without" rounds replace that function with one that records nothing), interleaved
   rounds, medians; plus the cost of the recording calls alone per page, as a share of the
   page. Goal ≤ 2%.
2. Scale: raw events generated in the database by ``bench/reporting.py``'s generator (90
   days), then ``persx_monitor`` passes (``run_monitor_pass``) "now" on the last simulated
   day: the first pass (which counts 14 days of hourly history) and the steady-state pass
   (recounts the last two hours), and the health dashboard (``build_dashboard``), each a
   median. Goals: pass < 2 s, dashboard < 1 s.

Size: ``PERSX_BENCH_MONITOR_EVENTS`` (default 1,000,000; 10,000,000 takes minutes to
generate on a 2-core machine). Run alone: ``.venv/bin/python bench/monitoring.py``.
Everything generated is deleted at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_EVENTS = 1_000_000
PASS_GOAL_S = 2.0
DASHBOARD_GOAL_S = 1.0
OVERHEAD_GOAL = 0.02


def bench_metrics_overhead() -> None:
    from django.test import Client

    from bench.timing import per_call_ms
    from persx.config import config
    from persx.observability import metrics
    from persx.personalization import middleware
    from tests.web.conftest import profile_cookie

    client = Client()
    client.cookies[config().profile_cookie_name] = profile_cookie("healthcare")
    recording = middleware.record_page_metrics

    def not_recording(*args: object) -> None:
        return None

    def get() -> None:
        response = client.get("/contact/")
        assert response.status_code == 200

    blocks = []
    original = metrics.record_block_decision

    def counting(*args: str) -> None:
        blocks.append(args)
        original(*args)

    metrics.record_block_decision = counting  # type: ignore[assignment]
    try:
        get()
        blocks.clear()
        get()
    finally:
        metrics.record_block_decision = original
    per_page = list(blocks)

    on_ms: list[float] = []
    off_ms: list[float] = []
    try:
        for _ in range(15):
            middleware.record_page_metrics = recording
            on_ms += per_call_ms(get, 1, 40)
            middleware.record_page_metrics = not_recording  # type: ignore[assignment]
            off_ms += per_call_ms(get, 1, 40)
    finally:
        middleware.record_page_metrics = recording
    med_on, med_off = statistics.median(on_ms), statistics.median(off_ms)

    def record_page() -> None:
        for args in per_page:
            metrics.record_block_decision(*args)
        metrics.record_page(0.004, "cookie", True)

    record_ms = statistics.median(per_call_ms(record_page, 7, 20_000))
    print("\n== Metrics overhead on the personalized contact page ==")
    print(f"  with the page metrics         : {med_on:7.3f} ms/request")
    print(f"  without                       : {med_off:7.3f} ms/request")
    print(f"  ratio with / without          : {med_on / med_off:7.3f}   (noise ~±2%)")
    print(
        f"  recording calls per page      : {record_ms * 1000:7.2f} µs for {len(per_page)} "
        f"block decisions + 1 page = {record_ms / med_off:.3%} of the page "
        f"(goal <= {OVERHEAD_GOAL:.0%}: {'ok' if record_ms / med_off <= OVERHEAD_GOAL else 'OVER'})"
    )


def _median(fn: object, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_monitor_at_scale() -> None:
    from django.db import connection

    from bench.planted_journey import DAYS
    from bench.reporting import generate_events
    from persx.events.models import Event
    from persx.monitoring.dashboard import build_dashboard
    from persx.monitoring.models import HealthCount, Incident, Notification, RuleState
    from persx.monitoring.services import run_monitor_pass

    total = int(os.environ.get("PERSX_BENCH_MONITOR_EVENTS", DEFAULT_EVENTS))
    print(f"\n== Monitor pass and health dashboard at {total:,} raw events (SQLite) ==")
    if Event.objects.exists():
        print("  the events table is not empty: skipped (run on a fresh database)")
        return
    try:
        events = generate_events(total)
        # "Now" is noon on the last simulated day (the generator starts 2026-01-01).
        now = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=DAYS - 1)
        in_window = Event.objects.filter(
            occurred_at__gte=now - timedelta(hours=1), occurred_at__lt=now
        ).count()
        start = time.perf_counter()
        first = run_monitor_pass(now)
        first_s = time.perf_counter() - start
        passes = [now + timedelta(minutes=m) for m in range(1, 6)]
        pass_s = statistics.median([_timed(lambda at=at: run_monitor_pass(at)) for at in passes])
        start = time.perf_counter()
        run_monitor_pass(now, timedelta(days=14))
        backfill_s = time.perf_counter() - start
        dashboard_s = _median(lambda: build_dashboard(now), 5)
        industry_s = _median(lambda: build_dashboard(now, "saas"), 3)
        hourly = HealthCount.objects.count()
        print(f"  events in the table           : {events:12,}  ({in_window:,} in the last hour)")
        print(
            f"  first persx_monitor pass      : {first_s * 1000:9.0f} ms  (counts the last day "
            f"hourly: {hourly:,} rows; {len(first.opened)} incidents opened)"
        )
        print(
            f"  steady persx_monitor pass     : {pass_s * 1000:9.0f} ms median "
            f"(goal < {PASS_GOAL_S:.0f} s: {'ok' if pass_s < PASS_GOAL_S else 'SLOWER THAN GOAL'})"
        )
        print(f"  --backfill-days 14 (once)     : {backfill_s * 1000:9.0f} ms")
        print(
            f"  health dashboard (all / saas) : {dashboard_s * 1000:9.0f} ms / "
            f"{industry_s * 1000:.0f} ms median (goal < {DASHBOARD_GOAL_S:.0f} s: "
            f"{'ok' if max(dashboard_s, industry_s) < DASHBOARD_GOAL_S else 'SLOWER THAN GOAL'})"
        )
    finally:
        with connection.cursor() as cursor:
            for model in (Notification, Incident, RuleState, HealthCount, Event):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def bench_monitoring() -> None:
    bench_metrics_overhead()
    bench_monitor_at_scale()


if __name__ == "__main__":
    from bench.django_setup import setup_django

    setup_django()
    bench_monitoring()
