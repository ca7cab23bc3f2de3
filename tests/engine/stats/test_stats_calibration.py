"""Calibration: simulate experiments with known truth through the real analysis code.

docs/statistics.md, "Calibration". Each check uses >= 10,000 simulated experiments,
so the Monte Carlo SE of a 95% coverage is about 0.22% and the 94-96% band is more than
4 SEs wide on each side; a fixed seed keeps every run identical. The interval functions
are the vectorised cores the scalar API itself calls.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from persx.engine.stats import (
    always_valid_p_values,
    fieller_interval_arrays,
    katz_interval_arrays,
    msprt_log_likelihood_ratio_arrays,
    sequential_relative_lift_arrays,
    srm_chi2_arrays,
    srm_test,
)

pytestmark = pytest.mark.slow

RUNS = 10_000
SEED = 20240601

# (baseline rate, visitors per arm): a mid-size test and a small B2B one.
SCENARIOS = [(0.03, 20_000), (0.05, 2_000)]


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *key])


def _coverage(
    lower: npt.NDArray[np.float64], upper: npt.NDArray[np.float64], truth: float
) -> float:
    return float(np.mean((lower <= truth) & (truth <= upper)))


@pytest.mark.parametrize(("rate", "n"), SCENARIOS)
def test_aa_intervals_cover_zero_95_percent_of_the_time(rate: float, n: int) -> None:
    rng = _rng(1, n)
    x_c = rng.binomial(n, rate, RUNS)
    x_t = rng.binomial(n, rate, RUNS)
    for interval in (fieller_interval_arrays, katz_interval_arrays):
        result = interval(x_c, n, x_t, n, 0.05)
        assert 0.94 <= _coverage(result.lower, result.upper, 0.0) <= 0.96, interval.__name__


@pytest.mark.parametrize(("rate", "n"), SCENARIOS)
@pytest.mark.parametrize("true_lift", [0.15, 0.30])
def test_ab_intervals_cover_the_planted_lift(rate: float, n: int, true_lift: float) -> None:
    rng = _rng(2, n, int(100 * true_lift))
    x_c = rng.binomial(n, rate, RUNS)
    x_t = rng.binomial(n, rate * (1 + true_lift), RUNS)
    for interval in (fieller_interval_arrays, katz_interval_arrays):
        result = interval(x_c, n, x_t, n, 0.05)
        assert 0.94 <= _coverage(result.lower, result.upper, true_lift) <= 0.96, interval.__name__


def _daily_aa(
    rate: float, per_day: int, days: int, key: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    rng = _rng(3, key)
    x_c = rng.binomial(per_day, rate, (RUNS, days)).cumsum(axis=1)
    x_t = rng.binomial(per_day, rate, (RUNS, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    return x_c, x_t, np.broadcast_to(n, x_c.shape)


def test_daily_peeking_at_the_confidence_sequence_keeps_false_positives_under_5_percent() -> None:
    # A B2B site: 3% conversion, 300 visitors per arm per day, read every day for 60 days.
    x_c, x_t, n = _daily_aa(0.03, 300, 60, key=1)
    seq = sequential_relative_lift_arrays(x_c, n, x_t, n, alpha=0.05)
    excludes_zero = seq.exists & ((seq.lower > 0) | (seq.upper < 0))
    false_positive_rate = float(np.mean(excludes_zero.any(axis=1)))
    assert false_positive_rate <= 0.05
    # The fixed-horizon interval read the same way is wrong far more often than 5%:
    # this is why the headline interval is the sequence.
    fixed_excludes_zero = (seq.fixed_lower > 0) | (seq.fixed_upper < 0)
    assert float(np.mean(fixed_excludes_zero.any(axis=1))) > 0.15


def test_daily_peeking_at_the_msprt_p_value_keeps_false_positives_under_5_percent() -> None:
    x_c, x_t, n = _daily_aa(0.03, 300, 60, key=2)
    p_c = x_c / n
    p_t = x_t / n
    variance = p_c * (1 - p_c) / n + p_t * (1 - p_t) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr = msprt_log_likelihood_ratio_arrays(p_t - p_c, variance, tau2=0.003**2)
    log_lr = np.where(np.isfinite(log_lr), log_lr, 0.0)  # days with no conversions at all
    always_valid_p = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr)), axis=1)
    assert float(np.mean(always_valid_p[:, -1] < 0.05)) <= 0.05
    # Same numbers through the scalar API for one simulated experiment.
    row = 7
    scalar_p = always_valid_p_values(
        [float(v) for v in (p_t - p_c)[row]], [float(v) for v in variance[row]], tau2=0.003**2
    )
    assert scalar_p == pytest.approx(tuple(always_valid_p[row]))


def test_srm_flags_about_one_in_a_thousand_healthy_experiments() -> None:
    runs = 20_000
    rng = _rng(4)
    control = rng.binomial(100_000, 0.5, runs)
    _, p_value = srm_chi2_arrays(np.stack([control, 100_000 - control], axis=1), [0.5, 0.5])
    assert float(np.mean(p_value < 0.001)) <= 0.005


def test_srm_catches_three_percent_of_one_arm_dropped_at_100k_visitors() -> None:
    # Expected counts: 50,000 vs 48,500 exposures logged.
    assert srm_test([50_000, 48_500]).flagged
    runs = 10_000
    rng = _rng(5)
    control = rng.binomial(100_000, 0.5, runs)
    treatment_logged = rng.binomial(100_000 - control, 0.97)
    _, p_value = srm_chi2_arrays(np.stack([control, treatment_logged], axis=1))
    assert float(np.mean(p_value < 0.001)) >= 0.9
