"""When will we know: days to power and the MDE at a horizon, against the power table of
docs/statistics.md (3% → +15% needs 24,190 per arm; 5% needs 14,190; 1% needs 74,191)."""

from __future__ import annotations

import math

import pytest

from persx.engine.statistics import (
    minimum_detectable_effect,
    sample_size_per_arm,
    time_to_power,
    total_sample_size,
)


@pytest.mark.parametrize(("baseline", "per_arm"), [(0.01, 74_191), (0.03, 24_190), (0.05, 14_190)])
def test_days_to_power_follow_the_published_sample_sizes(baseline: float, per_arm: int) -> None:
    t = time_to_power(baseline, 0.15, 0, 0, daily_visitors=500, horizon_days=0)
    # Both arms together, 50/50: twice the table's per-arm figure, within the rounding up.
    assert 2 * per_arm - 2 <= t.visitors_needed <= 2 * per_arm
    assert t.days == pytest.approx(t.visitors_needed / 500)
    assert sample_size_per_arm(baseline, 0.15) == per_arm


def test_visitors_already_seen_count_and_the_split_is_kept() -> None:
    # A 10% holdout: 1,000 control and 9,000 treated visitors so far, 2,000 a day.
    t = time_to_power(0.03, 0.15, 1_000, 9_000, daily_visitors=2_000, horizon_days=30)
    needed = total_sample_size(0.03, 0.15, control_share=0.1)
    assert t.visitors_needed == needed
    assert t.visitors_missing == needed - 10_000
    assert t.days == pytest.approx((needed - 10_000) / 2_000)
    later = 10_000 + 30 * 2_000
    assert t.mde_at_horizon == pytest.approx(
        minimum_detectable_effect(0.1 * later, 0.9 * later, 0.03)
    )


def test_at_the_day_of_power_the_detectable_lift_is_the_target() -> None:
    t = time_to_power(0.03, 0.15, 0, 0, daily_visitors=1_000, horizon_days=48.38)
    assert t.mde_at_horizon == pytest.approx(0.15, abs=1e-4)


def test_a_variance_reduction_shortens_the_wait_in_proportion() -> None:
    plain = time_to_power(0.03, 0.15, 0, 0, 1_000, 30)
    adjusted = time_to_power(0.03, 0.15, 0, 0, 1_000, 30, variance_factor=0.6)
    assert adjusted.visitors_needed == math.ceil(plain.visitors_needed * 0.6)
    assert adjusted.days == pytest.approx(plain.days * 0.6, abs=1e-3)
    # Halving the variance at the day of power of the halved design detects +15%.
    half = time_to_power(0.03, 0.15, 0, 0, 1_000, 24.19, variance_factor=0.5)
    assert half.mde_at_horizon == pytest.approx(0.15, abs=1e-4)
    assert adjusted.mde_at_horizon < plain.mde_at_horizon


def test_enough_visitors_means_no_wait() -> None:
    t = time_to_power(0.05, 0.15, 20_000, 20_000, daily_visitors=0, horizon_days=0)
    assert t.visitors_missing == 0
    assert t.days == 0.0


def test_without_traffic_the_answer_never_comes() -> None:
    t = time_to_power(0.03, 0.15, 0, 0, daily_visitors=0, horizon_days=90)
    assert t.days == math.inf
    assert t.mde_at_horizon == math.inf


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"visitors_control": -1}, "visitors_control"),
        ({"visitors_treatment": math.nan}, "visitors_treatment"),
        ({"daily_visitors": -5}, "daily_visitors"),
        ({"horizon_days": math.inf}, "horizon_days"),
        ({"variance_factor": 0.0}, "variance_factor"),
        ({"variance_factor": 1.5}, "variance_factor"),
    ],
)
def test_bad_input_is_refused_naming_it(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {
        "visitors_control": 0,
        "visitors_treatment": 0,
        "daily_visitors": 100,
        "horizon_days": 10,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        time_to_power(0.03, 0.15, **args)  # type: ignore[arg-type]
