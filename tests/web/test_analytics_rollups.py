"""Rollups from raw events: hand-made event sets with known counts."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from persx.analytics.models import DailyRollup, ExperimentVisitor, RollupState, VisitorConversion
from persx.analytics.services import rebuild_rollups, update_rollups
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from tests.web.analytics_events import EventLog, at

pytestmark = pytest.mark.django_db

DAY0, DAY1, DAY3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)


def totals(experiment: str, metric: str) -> dict[str, tuple[int, int, float, float]]:
    """(visitors, conversions, Σvalue, Σvalue²) per arm, over every day and industry."""
    out: dict[str, tuple[int, int, float, float]] = {}
    for row in DailyRollup.objects.filter(experiment=experiment, metric=metric):
        v, c, s, q = out.get(row.arm, (0, 0, 0.0, 0.0))
        out[row.arm] = (
            v + row.visitors,
            c + row.conversions,
            s + row.value_sum,
            q + row.value_sum_sq,
        )
    return out


def snapshot() -> tuple[list[tuple[object, ...]], ...]:
    """Every rollup table's content, without surrogate ids (to compare two builds)."""
    return (
        sorted(
            ExperimentVisitor.objects.values_list(
                "experiment", "visitor_id", "arm", "industry", "variant", "first_day"
            )
        ),
        sorted(
            VisitorConversion.objects.values_list(
                "experiment", "visitor_id", "metric", "day", "events", "value_sum"
            )
        ),
        sorted(
            DailyRollup.objects.values_list(
                "day",
                "experiment",
                "arm",
                "industry",
                "variant",
                "metric",
                "visitors",
                "conversions",
                "value_sum",
                "value_sum_sq",
            )
        ),
    )


def story() -> EventLog:
    """Five visitors of experiment exp-a with every metric's corner cases."""
    log = EventLog()
    # v1: control, saas. A CTA click *before* the exposure must not count; the form
    # submission after it does; 30 s + 20 s of engagement; one page view but converted.
    log.event("cta_click", "v1", at(0, 9))
    log.exposure("v1", at(0, 10), arm="control")
    log.event("page_view", "v1", at(0, 10))
    log.event("form_start", "v1", at(0, 10, 30)).event("form_start", "v1", at(0, 10, 40))
    log.event("form_submission", "v1", at(0, 11))
    log.event("engagement", "v1", at(0, 11), 30).event("engagement", "v1", at(0, 12), 20)
    # v2: personalized, saas. Converts the next day; comes back on day 3 (return visit).
    log.exposure("v2", at(0, 10), arm="personalized")
    log.event("page_view", "v2", at(0, 10)).event("page_view", "v2", at(3, 9))
    log.event("form_start", "v2", at(1, 7))
    log.event("form_submission", "v2", at(1, 8)).event("form_submission", "v2", at(1, 9))
    log.event("engagement", "v2", at(0, 12), 10)
    # v3: personalized, healthcare; a later exposure in another arm changes nothing.
    # One page view, nothing else: a bounce.
    log.exposure("v3", at(1), arm="personalized", industry="healthcare")
    log.event("page_view", "v3", at(1))
    log.exposure("v3", at(2), arm="control", industry="healthcare")
    # v4: control, healthcare. Submitted the form *before* being exposed: no conversion.
    # Came back 9 days later: outside the 7-day return window. Started the form again
    # after the exposure and left it: a start without a completion.
    log.event("form_start", "v4", at(0, 8)).event("form_submission", "v4", at(0, 9))
    log.exposure("v4", at(0, 10), arm="control", industry="healthcare")
    log.event("form_start", "v4", at(0, 10, 5))
    log.event("page_view", "v4", at(0, 10)).event("page_view", "v4", at(9))
    # v5: held out by the global holdout (would have seen the saas variant).
    log.exposure("v5", at(0), experiment=HOLDOUT_EXPERIMENT, arm="holdout", variant="generic")
    log.event("page_view", "v5", at(0))
    log.event("cta_click", "v5", at(0, 11))
    # v6: no profile (no industry): in no experiment and not in the holdout comparison.
    log.natural_exposure("v6", at(0), industry="")
    return log


def test_experiment_visitors_take_arm_and_industry_from_the_first_exposure() -> None:
    story().save()
    update_rollups()
    rows = {(r.experiment, r.visitor_id): r for r in ExperimentVisitor.objects.all()}
    assert rows[("exp-a", "v3")].arm == "personalized"
    assert rows[("exp-a", "v3")].industry == "healthcare"
    assert rows[("exp-a", "v3")].first_day == DAY1
    assert rows[("exp-a", "v1")].variant == "industry:saas"  # control: what it would have seen
    assert {k for k in rows if k[0] == "exp-a"} == {("exp-a", v) for v in ("v1", "v2", "v3", "v4")}
    holdout = {k[1]: r.arm for k, r in rows.items() if k[0] == HOLDOUT_EXPERIMENT}
    assert holdout == {"v1": "rest", "v2": "rest", "v3": "rest", "v4": "rest", "v5": "holdout"}


def test_daily_rollup_counts_match_the_story() -> None:
    story().save()
    update_rollups()
    # Visitors per arm: control v1, v4; personalized v2, v3. Conversions after exposure only.
    assert totals("exp-a", "form_submission") == {
        "control": (2, 1, 0.0, 0.0),  # v1 (v4 submitted before its exposure)
        "personalized": (2, 1, 0.0, 0.0),  # v2 (two submissions, one visitor)
    }
    assert totals("exp-a", "cta_click") == {
        "control": (2, 0, 0.0, 0.0),  # v1's click was before the exposure
        "personalized": (2, 0, 0.0, 0.0),
    }
    # Engagement: per-visitor totals 50 (v1) and 10 (v2); Σy² = 2500 and 100.
    assert totals("exp-a", "engagement") == {
        "control": (2, 1, 50.0, 2500.0),
        "personalized": (2, 1, 10.0, 100.0),
    }
    assert totals("exp-a", "bounce") == {
        "control": (2, 0, 0.0, 0.0),
        "personalized": (2, 1, 0.0, 0.0),  # v3
    }
    assert totals("exp-a", "return_visit") == {
        "control": (2, 0, 0.0, 0.0),  # v4 came back after 9 days
        "personalized": (2, 1, 0.0, 0.0),  # v2 on day 3
    }
    # Form completion: of those who started the form after exposure, who submitted it.
    # control: v1 (started, submitted) and v4 (started, left); personalized: v2 started
    # and submitted, v3 never started it (not in the denominator).
    assert totals("exp-a", "form_completion") == {
        "control": (2, 1, 0.0, 0.0),
        "personalized": (1, 1, 0.0, 0.0),
    }
    assert totals(HOLDOUT_EXPERIMENT, "cta_click") == {
        "holdout": (1, 1, 0.0, 0.0),
        "rest": (4, 0, 0.0, 0.0),
    }
    assert not DailyRollup.objects.filter(industry="", experiment="exp-a").exists()


def test_days_are_exposure_days_for_visitors_and_conversion_days_for_conversions() -> None:
    story().save()
    update_rollups()
    cells: dict[tuple[date, str], tuple[int, int]] = {}
    for day, arm, visitors, conversions in DailyRollup.objects.filter(
        experiment="exp-a", metric="form_submission"
    ).values_list("day", "arm", "visitors", "conversions"):
        v, c = cells.get((day, arm), (0, 0))
        cells[(day, arm)] = (v + visitors, c + conversions)
    assert cells[(DAY0, "personalized")] == (1, 0)  # v2 exposed on day 0 ...
    assert cells[(DAY1, "personalized")] == (1, 1)  # ... converted on day 1 (and v3 exposed)
    returned = DailyRollup.objects.get(
        experiment="exp-a", metric="return_visit", arm="personalized", day=DAY3
    )
    assert (returned.visitors, returned.conversions) == (0, 1)


def test_incremental_updates_equal_a_rebuild() -> None:
    events = story().rows
    first, second, third = events[:7], events[7:15], events[15:]
    for part in (first, second, third):
        log = EventLog()
        log.rows = part
        log.save()
        update_rollups(batch_size=3)
    incremental = snapshot()
    rebuild_rollups(batch_size=1000)
    assert snapshot() == incremental
    exp_a = [r for r in incremental[2] if r[1] == "exp-a" and r[5] == "form_submission"]
    assert sum(int(str(r[7])) for r in exp_a) == 2


def test_a_conversion_stored_before_its_exposure_counts_once_the_exposure_arrives() -> None:
    # The exposure writer flushes a moment after the request: the conversion row can land
    # first, even in an earlier rollup run.
    EventLog().event("form_submission", "late", at(0, 11)).save()
    update_rollups()
    assert not VisitorConversion.objects.filter(visitor_id="late").exists()
    EventLog().exposure("late", at(0, 10), arm="personalized").save()
    update_rollups()
    assert totals("exp-a", "form_submission")["personalized"][:2] == (1, 1)


def test_a_late_earlier_exposure_replaces_the_first_one_seen() -> None:
    EventLog().exposure("v", at(1), arm="control").save()
    update_rollups()
    EventLog().exposure("v", at(0), arm="personalized").save()
    update_rollups()
    row = ExperimentVisitor.objects.get(experiment="exp-a", visitor_id="v")
    assert (row.arm, row.first_day) == ("personalized", DAY0)
    assert totals("exp-a", "form_submission") == {"personalized": (1, 0, 0.0, 0.0)}


def test_watermark_reads_only_new_events_and_a_rerun_changes_nothing() -> None:
    story().save()
    first = update_rollups()
    assert first.events > 0
    before = snapshot()
    again = update_rollups()
    if connection.vendor == "sqlite":
        assert again.events == 0
    assert snapshot() == before
    state = RollupState.objects.get()
    assert state.last_event_id == first.last_id


def test_visitors_who_declined_consent_are_not_counted() -> None:
    log = EventLog()
    log.exposure("yes", at(0), arm="control")
    log.exposure("no", at(0), arm="control", consent="denied")
    log.save()
    update_rollups()
    assert totals("exp-a", "form_submission") == {"control": (1, 0, 0.0, 0.0)}


def test_personalization_rate_counts_visitors_shown_a_personalized_block() -> None:
    log = EventLog()
    log.natural_exposure("a", at(0), industry="saas")  # industry:saas variant
    log.add("exposure", "b", at(0), industry="travel", block="hero", variant="generic")
    log.save()
    update_rollups()
    assert totals(HOLDOUT_EXPERIMENT, "personalized") == {"rest": (2, 1, 0.0, 0.0)}


def test_persx_rollup_command_updates_and_rebuilds_with_progress() -> None:
    story().save()
    out = StringIO()
    call_command("persx_rollup", stdout=out)
    text = out.getvalue()
    assert "Updating rollups [" in text
    assert "100.0%" in text
    assert "Updated rollups:" in text
    before = snapshot()
    out = StringIO()
    call_command("persx_rollup", "--rebuild", "--batch-size", "4", stdout=out)
    assert "Rebuilt rollups:" in out.getvalue()
    assert snapshot() == before


@pytest.mark.postgresql
def test_many_small_steps_in_one_transaction_hold_a_bounded_number_of_locks() -> None:
    """PostgreSQL: temp tables are reused per step, so a long rebuild (or a test) inside one
    transaction does not pile up a lock per dropped table until max_locks_per_transaction
    runs out. Each step runs here inside the test's transaction."""
    assert connection.vendor == "postgresql"  # lock accounting is PostgreSQL's
    log = EventLog()
    for i in range(40):
        log.exposure(f"visitor-{i}", at(0, i % 20), arm="personalized" if i % 2 else "control")
    log.save()

    def locks_held() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()")
            return int(cursor.fetchone()[0])

    update_rollups(batch_size=4)
    rebuild_rollups(batch_size=2)  # a rebuild's TRUNCATE locks its three tables, once
    after_first_run = locks_held()
    for _ in range(3):
        rebuild_rollups(batch_size=2)
    assert locks_held() <= after_first_run + 5
