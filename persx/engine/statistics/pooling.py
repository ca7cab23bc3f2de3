"""Partial pooling (empirical Bayes) of per-segment lifts toward the pooled lift.

Per industry, 2,000 visitors a month cannot establish a PLI on its own; pooled across
industries it can. Partial pooling estimates each industry's lift as a precision-weighted
compromise between its own estimate and the pooled one, so a noisy industry is pulled
toward the pool and a well-measured one mostly keeps its own value.

Random-effects model on the log scale: y_i ~ N(θ_i, v_i), θ_i ~ N(μ, τ²), with
y_i = ln(p̂_T/p̂_C) and v_i = (1 - p̂_T)/x_T + (1 - p̂_C)/x_C (Katz).

- τ² by DerSimonian-Laird: w_i = 1/v_i, ȳ = Σw_i y_i/Σw_i, Q = Σw_i(y_i - ȳ)²,
  τ² = max(0, (Q - (k - 1)) / (Σw_i - Σw_i²/Σw_i));
- μ̂ = Σw*_i y_i / Σw*_i with w*_i = 1/(v_i + τ²), Var(μ̂) = 1/Σw*_i;
- shrinkage B_i = v_i/(v_i + τ²); θ̂_i = B_i·μ̂ + (1 - B_i)·y_i;
- Var(θ̂_i) = (1 - B_i)·v_i + B_i²·Var(μ̂) (Morris 1983: the second term accounts for μ
  being estimated); interval θ̂_i ± z·√Var(θ̂_i), mapped to PLI by exp(·) - 1.

Segments with a zero cell (no conversions, or all) get the Haldane-Anscombe correction
(+0.5 conversions and +0.5 non-conversions in both arms) so their log-lift is finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from persx.engine.statistics._checks import as_float_array, check_counts, z_two_sided

__all__ = [
    "PartialPooling",
    "PooledSegment",
    "SegmentCounts",
    "SegmentPooling",
    "ShrunkEstimate",
    "partial_pool",
    "pool_relative_lifts",
]


@dataclass(frozen=True, slots=True)
class SegmentCounts:
    """Conversions and visitors of control and treatment within one segment (industry)."""

    name: str
    conversions_control: int
    visitors_control: int
    conversions_treatment: int
    visitors_treatment: int


@dataclass(frozen=True, slots=True)
class ShrunkEstimate:
    """One estimate before and after shrinkage, on the scale it was given."""

    raw: float
    raw_variance: float
    estimate: float
    variance: float
    lower: float
    upper: float
    shrinkage: float


@dataclass(frozen=True, slots=True)
class PartialPooling:
    """Random-effects summary and the shrunk estimates, on the input scale."""

    mean: float
    mean_variance: float
    mean_lower: float
    mean_upper: float
    tau2: float
    q_statistic: float
    estimates: tuple[ShrunkEstimate, ...]
    alpha: float


@dataclass(frozen=True, slots=True)
class PooledSegment:
    """A segment's PLI on its own (``raw_*``, Katz interval) and partially pooled."""

    name: str
    raw_lift: float
    raw_lower: float
    raw_upper: float
    lift: float
    lower: float
    upper: float
    shrinkage: float


@dataclass(frozen=True, slots=True)
class SegmentPooling:
    """Pooled PLI (random-effects mean), heterogeneity τ² (log scale) and the segments."""

    pooled_lift: float
    pooled_lower: float
    pooled_upper: float
    tau2: float
    q_statistic: float
    segments: tuple[PooledSegment, ...]
    alpha: float


def partial_pool(
    estimates: Sequence[float], variances: Sequence[float], alpha: float = 0.05
) -> PartialPooling:
    """Shrink ``estimates`` (with sampling ``variances``) toward their random-effects mean."""
    y = as_float_array(estimates)
    v = as_float_array(variances)
    if y.ndim != 1 or y.shape != v.shape or y.size == 0:
        raise ValueError("need equally long, non-empty estimates and variances")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("estimates must be finite and variances finite and positive")
    z = z_two_sided(alpha)
    w = 1 / v
    sum_w = float(w.sum())
    fixed_mean = float(np.dot(w, y)) / sum_w
    q = float(np.dot(w, (y - fixed_mean) ** 2))
    k = y.size
    denominator = sum_w - float(np.dot(w, w)) / sum_w
    tau2 = max(0.0, (q - (k - 1)) / denominator) if k > 1 and denominator > 0 else 0.0
    w_star = 1 / (v + tau2)
    mean_variance = 1 / float(w_star.sum())
    mean = float(np.dot(w_star, y)) * mean_variance
    shrinkage = v / (v + tau2)
    shrunk = shrinkage * mean + (1 - shrinkage) * y
    shrunk_variance = (1 - shrinkage) * v + shrinkage**2 * mean_variance
    half = z * np.sqrt(shrunk_variance)
    items = tuple(
        ShrunkEstimate(
            raw=float(y[i]),
            raw_variance=float(v[i]),
            estimate=float(shrunk[i]),
            variance=float(shrunk_variance[i]),
            lower=float(shrunk[i] - half[i]),
            upper=float(shrunk[i] + half[i]),
            shrinkage=float(shrinkage[i]),
        )
        for i in range(k)
    )
    mean_half = z * math.sqrt(mean_variance)
    return PartialPooling(
        mean=mean,
        mean_variance=mean_variance,
        mean_lower=mean - mean_half,
        mean_upper=mean + mean_half,
        tau2=tau2,
        q_statistic=q,
        estimates=items,
        alpha=alpha,
    )


def _log_lift(segment: SegmentCounts) -> tuple[float, float]:
    check_counts(segment.conversions_control, segment.visitors_control, segment.name)
    check_counts(segment.conversions_treatment, segment.visitors_treatment, segment.name)
    x_c, n_c = float(segment.conversions_control), float(segment.visitors_control)
    x_t, n_t = float(segment.conversions_treatment), float(segment.visitors_treatment)
    if min(x_c, x_t, n_c - x_c, n_t - x_t) == 0:
        x_c, n_c, x_t, n_t = x_c + 0.5, n_c + 1, x_t + 0.5, n_t + 1
    p_c, p_t = x_c / n_c, x_t / n_t
    return math.log(p_t / p_c), (1 - p_t) / x_t + (1 - p_c) / x_c


def pool_relative_lifts(segments: Sequence[SegmentCounts], alpha: float = 0.05) -> SegmentPooling:
    """Per-segment PLI partially pooled toward the pooled PLI (see the module docstring)."""
    if not segments:
        raise ValueError("need at least one segment")
    logs = [_log_lift(s) for s in segments]
    pooled = partial_pool([y for y, _ in logs], [v for _, v in logs], alpha)
    z = z_two_sided(alpha)
    out = []
    for segment, (y, v), est in zip(segments, logs, pooled.estimates, strict=True):
        raw_half = z * math.sqrt(v)
        out.append(
            PooledSegment(
                name=segment.name,
                raw_lift=math.expm1(y),
                raw_lower=math.expm1(y - raw_half),
                raw_upper=math.expm1(y + raw_half),
                lift=math.expm1(est.estimate),
                lower=math.expm1(est.lower),
                upper=math.expm1(est.upper),
                shrinkage=est.shrinkage,
            )
        )
    return SegmentPooling(
        pooled_lift=math.expm1(pooled.mean),
        pooled_lower=math.expm1(pooled.mean_lower),
        pooled_upper=math.expm1(pooled.mean_upper),
        tau2=pooled.tau2,
        q_statistic=pooled.q_statistic,
        segments=tuple(out),
        alpha=alpha,
    )
