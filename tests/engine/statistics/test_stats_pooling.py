"""Partial pooling of per-segment lifts (DerSimonian-Laird + empirical-Bayes shrinkage)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics import SegmentCounts, partial_pool, pool_relative_lifts

# BCG vaccine trials (Colditz et al. 1994), the classic meta-analysis data set:
# (vaccinated TB+, vaccinated TB-, control TB+, control TB-).
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def _bcg_segments() -> list[SegmentCounts]:
    return [
        SegmentCounts(f"trial {i}", cp, cp + cn, tp, tp + tn)
        for i, (tp, tn, cp, cn) in enumerate(BCG, start=1)
    ]


def test_dersimonian_laird_reference_on_bcg() -> None:
    # Published DL random-effects results for the log risk ratio (as in R metafor,
    # rma(measure="RR", method="DL")): tau² 0.3088, Q 152.2330, estimate -0.7141,
    # 95% CI [-1.0644, -0.3638].
    r = pool_relative_lifts(_bcg_segments())
    assert round(r.tau2, 4) == 0.3088
    assert round(r.q_statistic, 4) == 152.2330
    assert round(math.log1p(r.pooled_lift), 4) == -0.7141
    assert round(math.log1p(r.pooled_lower), 4) == -1.0644
    assert round(math.log1p(r.pooled_upper), 4) == -0.3638


def test_shrinkage_moves_each_segment_toward_the_pool() -> None:
    r = pool_relative_lifts(_bcg_segments())
    mean = math.log1p(r.pooled_lift)
    for s in r.segments:
        raw, shrunk = math.log1p(s.raw_lift), math.log1p(s.lift)
        assert 0 <= s.shrinkage <= 1
        assert min(raw, mean) - 1e-12 <= shrunk <= max(raw, mean) + 1e-12
        # Narrower than the segment's own interval (compared on the log scale).
        width = math.log1p(s.upper) - math.log1p(s.lower)
        assert width < math.log1p(s.raw_upper) - math.log1p(s.raw_lower)
    by_name = {s.name: s for s in r.segments}
    # The biggest trial (8) barely moves; a tiny one (1) moves a lot.
    assert by_name["trial 8"].shrinkage < 0.05 < 0.5 < by_name["trial 1"].shrinkage


def test_homogeneous_segments_pool_completely() -> None:
    r = partial_pool([0.10, 0.11, 0.09, 0.10], [0.01, 0.02, 0.01, 0.03])
    assert r.tau2 == 0.0
    for est in r.estimates:
        assert est.shrinkage == 1.0
        assert est.estimate == pytest.approx(r.mean)


def test_single_segment_keeps_its_estimate() -> None:
    r = partial_pool([0.2], [0.01])
    assert r.tau2 == 0.0
    assert r.estimates[0].estimate == pytest.approx(0.2)
    assert r.mean_lower == pytest.approx(0.2 - 1.959964 * 0.1, abs=1e-6)


def test_zero_cells_get_a_continuity_correction() -> None:
    segments = [
        SegmentCounts("saas", 20, 2000, 26, 2000),
        SegmentCounts("fintech", 0, 300, 3, 310),
        SegmentCounts("health", 15, 1500, 0, 1500),
    ]
    r = pool_relative_lifts(segments)
    assert all(math.isfinite(s.lift) and math.isfinite(s.upper) for s in r.segments)


def test_pooling_beats_separate_estimates_in_simulation() -> None:
    rng = np.random.default_rng(2024)
    raw_error = pooled_error = 0.0
    for _ in range(200):
        true_log_lift = rng.normal(math.log(1.15), 0.05, 8)
        x_c = rng.binomial(2000, 0.03, 8)
        x_t = rng.binomial(2000, 0.03 * np.exp(true_log_lift))
        segments = [SegmentCounts(str(i), int(x_c[i]), 2000, int(x_t[i]), 2000) for i in range(8)]
        r = pool_relative_lifts(segments)
        raw = np.log1p([s.raw_lift for s in r.segments])
        pooled = np.log1p([s.lift for s in r.segments])
        raw_error += float(np.mean((raw - true_log_lift) ** 2))
        pooled_error += float(np.mean((pooled - true_log_lift) ** 2))
    assert pooled_error < 0.5 * raw_error


@pytest.mark.parametrize(
    ("estimates", "variances"),
    [([], []), ([0.1], [0.0]), ([0.1, 0.2], [0.01]), ([math.nan], [0.1])],
)
def test_invalid(estimates: list[float], variances: list[float]) -> None:
    with pytest.raises(ValueError, match="estimates"):
        partial_pool(estimates, variances)
    with pytest.raises(ValueError, match="segment"):
        pool_relative_lifts([])
