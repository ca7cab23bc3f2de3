"""The statistics of a report from counts alone: no database, known values by hand."""

from __future__ import annotations

from datetime import date

import pytest

from persx.analytics import report_maths as maths
from persx.analytics.report_model import ALL_INDUSTRIES, ArmSpec, Counts, Design
from persx.engine.statistics import VerdictStatus
from persx.events.experiment_metrics import metric

ALL = (ALL_INDUSTRIES, "All industries")


def design(weights: tuple[float, float] = (0.5, 0.5), **changes: object) -> Design:
    values: dict[str, object] = {
        "key": "exp",
        "name": "Experiment",
        "hypothesis": "",
        "status": "running",
        "arms": (
            ArmSpec("control", "generic", weights[0]),
            ArmSpec("p", "personalized", weights[1]),
        ),
        "control": "control",
        "primary_metric": "form_submission",
        "metrics": ("form_submission",),
        "tuning_n": 5000,
    }
    values.update(changes)
    return Design(**values)  # type: ignore[arg-type]


def test_counts_add_up_and_give_rates_and_means() -> None:
    total = Counts(100, 10, 250.0, 900.0) + Counts(300, 50, 150.0, 100.0)
    assert total == Counts(400, 60, 400.0, 1000.0)
    assert total.rate == 0.15
    assert total.mean == 1.0
    assert total.value("rate") == 0.15
    assert total.value("mean") == 1.0
    assert Counts().rate is None
    assert Counts().mean is None


def test_a_rate_comparison_reports_the_relative_lift_with_an_interval_around_it() -> None:
    c, t = Counts(1000, 100), Counts(1000, 150)  # 10% vs 15%: PLI exactly +50%
    comp = maths.compare("p", ALL, metric("form_submission"), c, t, 5000)
    assert comp.lift == pytest.approx(0.5)
    assert comp.interval_exists
    assert comp.interval_method == "fieller"
    assert comp.lower is not None
    assert comp.upper is not None
    assert comp.lower < 0.5 < comp.upper
    assert comp.control_value == 0.10
    assert comp.treatment_value == 0.15
    assert comp.chance_to_win is not None
    assert comp.chance_to_win > 0.99
    assert comp.p_value is not None
    assert comp.p_value < 0.01
    assert comp.sequential_ready
    assert comp.sequential_lower is not None
    assert comp.sequential_lower <= comp.lower
    assert comp.mde is not None
    assert 0 < comp.mde < 0.5


def test_without_visitors_in_both_arms_nothing_is_computed() -> None:
    comp = maths.compare("p", ALL, metric("form_submission"), Counts(), Counts(50, 5), 5000)
    assert comp.lift is None
    assert comp.lower is None
    assert comp.p_value is None
    assert comp.chance_to_win is None
    assert not comp.interval_exists
    assert maths.verdict_numbers(Counts(), Counts(50, 5)) is None


def test_no_conversions_at_all_gives_no_lift_and_no_p_value() -> None:
    comp = maths.compare("p", ALL, metric("cta_click"), Counts(200, 0), Counts(200, 0), 5000)
    assert comp.lift is None
    assert comp.p_value is None  # a rate of exactly 0 has no variance


def test_lower_is_better_turns_the_chance_to_win_around() -> None:
    c, t = Counts(500, 300), Counts(500, 260)
    plain = maths.compare("p", ALL, metric("cta_click"), c, t, 5000)
    bounce = maths.compare("p", ALL, metric("bounce"), c, t, 5000)
    assert plain.chance_to_win is not None
    assert bounce.chance_to_win is not None
    assert bounce.chance_to_win == pytest.approx(1 - plain.chance_to_win)
    assert plain.chance_to_win < 0.05  # fewer "conversions" in treatment


def test_a_mean_is_compared_as_a_relative_difference_of_means() -> None:
    # control 1,2,3,4 (mean 2.5), treatment 2,3,4,5 (mean 3.5): +40%
    c = Counts(4, 0, 10.0, 30.0)
    t = Counts(4, 0, 14.0, 54.0)
    comp = maths.compare("p", ALL, metric("engagement"), c, t, 5000)
    assert comp.kind == "mean"
    assert comp.interval_method == "welch"
    assert comp.lift == pytest.approx(0.4)
    assert comp.control_value == 2.5
    assert comp.treatment_value == 3.5
    assert comp.lower is not None
    assert comp.upper is not None
    assert comp.lower < 0.4 < comp.upper


def test_the_verdict_says_underperforming_only_on_strong_evidence() -> None:
    worse = maths.verdict_numbers(Counts(20_000, 2_000), Counts(20_000, 1_600))  # PLI −20%
    assert worse is not None
    assert worse.status == VerdictStatus.UNDERPERFORMING.value
    assert worse.lift == pytest.approx(-0.2)
    better = maths.verdict_numbers(Counts(20_000, 2_000), Counts(20_000, 3_000))  # +50%
    assert better is not None
    assert better.status == VerdictStatus.NOT_UNDERPERFORMING.value
    few = maths.verdict_numbers(Counts(30, 3), Counts(30, 3))
    assert few is not None
    assert few.status == VerdictStatus.INSUFFICIENT_DATA.value


def test_pooled_comparisons_are_significant_below_alpha_and_industries_get_bh() -> None:
    segments = [ALL, ("saas", "SaaS"), ("retail", "Retail")]
    counts = {
        ALL_INDUSTRIES: (Counts(2000, 200), Counts(2000, 300)),
        "saas": (Counts(1000, 100), Counts(1000, 160)),
        "retail": (Counts(1000, 100), Counts(1000, 140)),
    }
    comparisons = [
        maths.compare("p", s, metric("form_submission"), *counts[s[0]], 5000) for s in segments
    ]
    result = maths.with_fdr(maths.with_pooling(comparisons))
    pooled, saas, retail = result
    assert pooled.significant is True
    assert pooled.adjusted_p_value is None
    assert pooled.pooled_lift is None  # only industries are pooled toward the whole
    for industry in (saas, retail):
        assert industry.adjusted_p_value is not None
        assert industry.p_value is not None
        assert industry.adjusted_p_value >= industry.p_value
        assert industry.pooled_lift is not None
        assert industry.shrinkage is not None
    # Shrinkage pulls the two industries' lifts toward each other.
    assert saas.pooled_lift is not None
    assert retail.pooled_lift is not None
    assert abs(saas.pooled_lift - retail.pooled_lift) < abs((saas.lift or 0) - (retail.lift or 0))


def test_the_traffic_split_compares_visitors_with_the_configured_weights() -> None:
    healthy, result = maths.traffic_split(design(), {"control": 5000, "p": 5030})
    assert result is not None
    assert not result.flagged
    assert [(t.arm, t.visitors, t.expected) for t in healthy] == [
        ("control", 5000, 5015.0),
        ("p", 5030, 5015.0),
    ]
    _, skewed = maths.traffic_split(design(), {"control": 5000, "p": 5600})
    assert skewed is not None
    assert skewed.flagged
    _, weighted = maths.traffic_split(design((0.2, 0.8)), {"control": 2000, "p": 8000})
    assert weighted is not None
    assert not weighted.flagged


def test_no_split_test_without_visitors_or_with_the_holdout_off() -> None:
    traffic, result = maths.traffic_split(design(), {})
    assert result is None
    assert [t.visitors for t in traffic] == [0, 0]
    off = design(is_holdout=True, status="off")
    _, result = maths.traffic_split(off, {"control": 10, "p": 90})
    assert result is None


def test_an_arm_seen_only_in_the_data_is_listed_with_weight_zero() -> None:
    traffic, _ = maths.traffic_split(design(), {"control": 10, "p": 10, "ghost": 3})
    assert [(t.arm, t.weight, t.visitors) for t in traffic][-1] == ("ghost", 0.0, 3)


def test_the_cumulative_series_uses_running_totals_per_day() -> None:
    by_day = {
        date(2026, 3, 3): {"control": Counts(100, 10), "p": Counts(100, 18)},
        date(2026, 3, 2): {"control": Counts(100, 10), "p": Counts(100, 12)},
    }
    series = maths.cumulative_series(design(), "p", by_day)
    first, second = series.points
    assert first.day == date(2026, 3, 2)
    assert second.day == date(2026, 3, 3)
    assert (second.control_visitors, second.control_conversions) == (200, 20)
    assert (second.treatment_visitors, second.treatment_conversions) == (200, 30)
    assert first.lift == pytest.approx(0.2)
    assert second.lift == pytest.approx(0.5)
    assert maths.cumulative_series(design(), "p", {}).points == ()
