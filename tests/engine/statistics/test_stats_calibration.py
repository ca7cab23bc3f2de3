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
from scipy import stats

from persx.engine.statistics import (
    DEFAULT_TUNING_N,
    SRM_THRESHOLD,
    fieller_interval_arrays,
    katz_interval_arrays,
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


def _daily(
    rate: float, per_day: int, days: int, key: int, true_lift: float = 0.0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Cumulative conversions per arm after each day, and the visitors per arm so far."""
    rng = _rng(3, key)
    x_c = rng.binomial(per_day, rate, (RUNS, days)).cumsum(axis=1)
    x_t = rng.binomial(per_day, rate * (1 + true_lift), (RUNS, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    return x_c, x_t, np.broadcast_to(n, x_c.shape)


def test_daily_peeking_at_the_confidence_sequence_keeps_false_positives_under_5_percent() -> None:
    # A B2B site: 3% conversion, 300 visitors per arm per day, read every day for 60 days.
    x_c, x_t, n = _daily(0.03, 300, 60, key=1)
    seq = sequential_relative_lift_arrays(x_c, n, x_t, n, alpha=0.05)
    excludes_zero = seq.exists & ((seq.lower > 0) | (seq.upper < 0))
    false_positive_rate = float(np.mean(excludes_zero.any(axis=1)))
    assert false_positive_rate <= 0.05
    # The fixed-horizon interval read the same way is wrong far more often than 5%:
    # this is why the headline interval is the sequence.
    fixed_excludes_zero = (seq.fixed_lower > 0) | (seq.fixed_upper < 0)
    assert float(np.mean(fixed_excludes_zero.any(axis=1))) > 0.15


def _design_power_of_the_sequence_at_the_last_look(
    rate: float, true_lift: float, visitors_per_arm: int, alpha: float, tuning_n: float
) -> float:
    """P(the sequence's lower bound > 0) on the last day, from the design alone.

    docs/statistics.md, written out here rather than taken from the module: the delta-method
    SE of the relative lift at the true rates; the sequence's half-width is
    c(N)·SE with c(N) = √(2(Nρ² + 1)·ln(√(Nρ² + 1)/α) / (Nρ²)); the estimate is about
    normal, so the power is Φ(lift/SE - c(N)).
    """
    p_c, p_t, n = rate, rate * (1 + true_lift), visitors_per_arm
    se = np.sqrt(p_t * (1 - p_t) / n / p_c**2 + p_c * (1 - p_c) / n * p_t**2 / p_c**4)
    rho2 = (-2 * np.log(alpha) + np.log(1 - 2 * np.log(alpha))) / tuning_n
    n_rho2 = 2 * n * rho2
    c = np.sqrt(2 * (n_rho2 + 1) * np.log(np.sqrt(n_rho2 + 1) / alpha) / n_rho2)
    return float(stats.norm.cdf(true_lift / se - c))


def test_daily_reading_of_the_confidence_sequence_detects_a_planted_lift() -> None:
    # The other side of the peeking test: the same B2B design (3%, 300 visitors per arm per
    # day, read daily for 60 days) with a true PLI of +30%, the lift the design can promise
    # to find. On the last day (18,000 visitors per arm) the sequence's half-width is
    # 3.20 SE, so the design power there is Φ(0.30/0.0731 - 3.20) = 81.7%. Reading every
    # day can only add detections (a sequence that excludes 0 on the last day has detected),
    # so the simulated power of daily reading must be at least that, less 3 Monte Carlo
    # SEs. A sequence too wide, or withheld for good, fails here; one too narrow fails the
    # peeking test above.
    rate, per_day, days, true_lift, alpha = 0.03, 300, 60, 0.30, 0.05
    design = _design_power_of_the_sequence_at_the_last_look(
        rate, true_lift, per_day * days, alpha, DEFAULT_TUNING_N
    )
    assert round(design, 3) == 0.817
    allowance = 3 * np.sqrt(design * (1 - design) / RUNS)  # 3 Monte Carlo SEs: 1.2 points
    x_c, x_t, n = _daily(rate, per_day, days, key=3, true_lift=true_lift)
    seq = sequential_relative_lift_arrays(x_c, n, x_t, n, alpha=alpha)
    detects = seq.exists & (seq.lower > 0)
    assert float(np.mean(detects[:, -1])) >= design - allowance
    assert float(np.mean(detects.any(axis=1))) >= design - allowance
    # Detecting the effect with the wrong sign stays within the one-sided alpha / 2.
    wrong_sign = seq.exists & (seq.upper < 0)
    assert float(np.mean(wrong_sign.any(axis=1))) <= alpha / 2


def test_srm_flags_one_in_a_thousand_healthy_experiments_no_more_and_no_fewer() -> None:
    # The threshold is alpha = 0.001, so the flag rate of healthy experiments must sit in
    # the 99.9% binomial band around 0.001 at this many runs: with 1,000,000 runs that is
    # 0.0009 to 0.0011 (about +-10% of alpha, where 20,000 runs only allowed 0.35x to 1.8x).
    # The exact size of the chi-squared test here (100,000 exposures, 50/50) is 0.000995,
    # well inside. A check that never flags fails this test as surely as one that flags
    # too often.
    runs = 1_000_000
    rng = _rng(4)
    control = rng.binomial(100_000, 0.5, runs)
    _, p_value = srm_chi2_arrays(np.stack([control, 100_000 - control], axis=1), [0.5, 0.5])
    low, high = (bound / runs for bound in stats.binom.interval(0.999, runs, SRM_THRESHOLD))
    assert (round(low, 6), round(high, 6)) == (0.000898, 0.001106)
    assert low <= float(np.mean(p_value < SRM_THRESHOLD)) <= high
    # The exact size, over every possible split of the 100,000 exposures.
    every_split = np.arange(100_001)
    _, p_exact = srm_chi2_arrays(np.stack([every_split, 100_000 - every_split], axis=1))
    size = float(stats.binom.pmf(every_split, 100_000, 0.5)[p_exact < SRM_THRESHOLD].sum())
    assert round(size, 6) == 0.000995


def test_srm_catches_three_percent_of_one_arm_dropped_at_100k_visitors() -> None:
    # Expected counts: 50,000 vs 48,500 exposures logged.
    assert srm_test([50_000, 48_500]).flagged
    runs = 10_000
    rng = _rng(5)
    control = rng.binomial(100_000, 0.5, runs)
    treatment_logged = rng.binomial(100_000 - control, 0.97)
    _, p_value = srm_chi2_arrays(np.stack([control, treatment_logged], axis=1))
    assert float(np.mean(p_value < 0.001)) >= 0.9
