"""The underperforming / insufficient-data verdict."""

from __future__ import annotations

from persx.engine.statistics import (
    VerdictStatus,
    prob_relative_lift_below,
    relative_lift,
    total_sample_size,
    underperformance_verdict,
)


def test_flat_result_with_enough_data_is_underperforming() -> None:
    v = underperformance_verdict(300, 10_000, 290, 10_000)
    assert v.status is VerdictStatus.UNDERPERFORMING
    assert v.sample_met
    assert v.visitors_still_needed == 0
    assert v.prob_below_target > 0.8


def test_flag_by_upper_bound() -> None:
    v = underperformance_verdict(3_000, 100_000, 2_950, 100_000)
    assert v.upper < 0.10
    assert v.status is VerdictStatus.UNDERPERFORMING
    assert v.upper == relative_lift(3_000, 100_000, 2_950, 100_000, alpha=0.10).upper


def test_clear_winner_is_not_underperforming() -> None:
    v = underperformance_verdict(300, 10_000, 400, 10_000)
    assert v.status is VerdictStatus.NOT_UNDERPERFORMING
    assert v.lower >= 0.10


def test_small_sample_is_insufficient_with_visitors_needed() -> None:
    # A bad-looking point estimate is not enough below the minimum sample.
    v = underperformance_verdict(30, 500, 20, 500)
    assert v.status is VerdictStatus.INSUFFICIENT_DATA
    assert not v.sample_met
    assert v.visitors_still_needed == total_sample_size(0.06, 0.10) - 1_000


def test_ambiguous_result_is_insufficient() -> None:
    v = underperformance_verdict(30, 1_000, 31, 1_000)
    assert v.sample_met
    assert v.status is VerdictStatus.INSUFFICIENT_DATA
    assert v.prob_below_target == prob_relative_lift_below(30, 1_000, 31, 1_000, 0.10)
    assert v.visitors_still_needed is not None
    assert v.visitors_still_needed > 100_000


def test_minimum_sample_drives_need_when_power_is_already_met() -> None:
    v = underperformance_verdict(40, 200, 42, 200, min_visitors_per_arm=1_000)
    assert v.status is VerdictStatus.INSUFFICIENT_DATA
    assert v.visitors_still_needed is not None
    assert v.visitors_still_needed >= 1_600


def test_no_control_conversions_needs_a_planning_baseline() -> None:
    assert underperformance_verdict(0, 2_000, 5, 2_000).visitors_still_needed is None
    planned = underperformance_verdict(0, 2_000, 5, 2_000, baseline=0.03)
    assert planned.status is VerdictStatus.INSUFFICIENT_DATA
    assert planned.visitors_still_needed == total_sample_size(0.03, 0.10) - 4_000
