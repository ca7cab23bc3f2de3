"""Sample size, MDE, visitors still needed, holdout MDE: the tables of docs/statistics.md."""

from __future__ import annotations

import math

import pytest

from persx.engine.statistics import (
    holdout_mde,
    minimum_detectable_effect,
    sample_size_per_arm,
    total_sample_size,
    visitors_still_needed,
)

# docs/statistics.md: n per arm, alpha 0.05 two-sided, 80% power.
TABLE = {
    0.01: {0.10: 163_092, 0.15: 74_191, 0.30: 19_824, 0.50: 7_747},
    0.03: {0.10: 53_208, 0.15: 24_190, 0.30: 6_452, 0.50: 2_515},
    0.05: {0.10: 31_231, 0.15: 14_190, 0.30: 3_778, 0.50: 1_468},
}


@pytest.mark.parametrize(
    ("baseline", "lift", "expected"),
    [(b, lift, n) for b, row in TABLE.items() for lift, n in row.items()],
)
def test_sample_size_table(baseline: float, lift: float, expected: int) -> None:
    assert sample_size_per_arm(baseline, lift) == expected


def test_headline_example() -> None:
    assert sample_size_per_arm(0.03, 0.15, alpha=0.05, power=0.8) == 24_190


def test_total_sample_size_equal_split_is_twice_per_arm() -> None:
    total = total_sample_size(0.03, 0.15)
    assert total in (2 * 24_190 - 1, 2 * 24_190)
    # A 10% control share needs far more traffic for the same lift.
    assert total_sample_size(0.03, 0.15, control_share=0.1) > 2.5 * total


@pytest.mark.parametrize(("baseline", "lift"), [(0.01, 0.1), (0.03, 0.15), (0.05, 0.5)])
def test_mde_inverts_sample_size(baseline: float, lift: float) -> None:
    n = sample_size_per_arm(baseline, lift)
    mde = minimum_detectable_effect(n, n, baseline)
    assert mde <= lift
    assert mde == pytest.approx(lift, rel=1e-4)


def test_mde_variants() -> None:
    exact = minimum_detectable_effect(4_000, 16_000, 0.03)
    quick = minimum_detectable_effect(4_000, 16_000, 0.03, variance="baseline")
    assert quick < exact
    assert minimum_detectable_effect(5, 5, 0.5) == math.inf  # even p_T = 1 is not enough


def test_visitors_still_needed() -> None:
    assert visitors_still_needed(0.03, 0.15, 0, 0) == total_sample_size(0.03, 0.15)
    assert visitors_still_needed(0.03, 0.15, 24_190, 24_190) == 0
    assert visitors_still_needed(0.03, 0.15, 10_000, 10_000) == total_sample_size(0.03, 0.15) - (
        20_000
    )
    # At a 10/90 split the remaining need follows that split.
    uneven = visitors_still_needed(0.03, 0.15, 1_000, 9_000)
    assert uneven == total_sample_size(0.03, 0.15, control_share=0.1) - 10_000


@pytest.mark.parametrize(
    ("share", "months", "printed"),
    [(0.10, 1, 38), (0.10, 3, 22), (0.20, 1, 28), (0.20, 3, 16)],
)
def test_holdout_mde_matches_the_published_figures(share: float, months: int, printed: int) -> None:
    mde = holdout_mde(20_000, 0.03, share, months)
    assert round(100 * mde) == printed
    # The exact (unpooled) inverse of the sample-size formula is within a point.
    exact = holdout_mde(20_000, 0.03, share, months, variance="unpooled")
    assert 0 < exact - mde < 0.01


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0.0, 0.1), "baseline"),
        ((0.03, 0.0), "relative_lift"),
        ((0.6, 1.0), r"baseline \* \(1 \+ lift\)"),
    ],
)
def test_invalid(args: tuple[float, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sample_size_per_arm(*args)


def test_traffic_figures_must_be_positive() -> None:
    with pytest.raises(ValueError, match="both arms need visitors"):
        minimum_detectable_effect(0, 1_000, 0.03)
    with pytest.raises(ValueError, match="non-negative"):
        visitors_still_needed(0.03, 0.15, -1, 10)
    with pytest.raises(ValueError, match="must be positive"):
        holdout_mde(0, 0.03, 0.1)
    with pytest.raises(ValueError, match="must be positive"):
        holdout_mde(20_000, 0.03, 0.1, months=0)
