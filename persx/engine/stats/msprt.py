"""mSPRT: the mixture sequential probability ratio test and its always-valid p-value.

Johari, Pekelis, Koomen & Walsh, "Peeking at A/B tests" (KDD 2017). For an estimate θ̂
with variance V (e.g. a difference of proportions) and a normal mixing distribution
N(0, τ²) over the effect under the alternative:

    Λ = √(V / (V + τ²)) · exp(τ²·θ̂² / (2V(V + τ²)))

and the always-valid p-value is the running minimum over looks of min(1, 1/Λ). Rejecting
when it falls below alpha controls the type I error however often the test is read. Λ is
computed on the log scale, so very strong evidence gives ``inf``, never an overflow error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.stats._checks import FloatArray, as_float_array, check_counts, scalar

__all__ = [
    "MSPRTResult",
    "always_valid_p_values",
    "msprt",
    "msprt_difference_of_proportions",
    "msprt_log_likelihood_ratio_arrays",
]


@dataclass(frozen=True, slots=True)
class MSPRTResult:
    """The mixture likelihood ratio at one look and the p-value 1/Λ (capped at 1).

    The always-valid p-value of a running experiment is the minimum of ``p_value`` over all
    looks so far (see :func:`always_valid_p_values`).
    """

    likelihood_ratio: float
    p_value: float
    estimate: float
    variance: float
    tau2: float


def msprt_log_likelihood_ratio_arrays(
    estimate: npt.ArrayLike, variance: npt.ArrayLike, tau2: float
) -> FloatArray:
    """ln Λ, element-wise."""
    if tau2 <= 0:
        raise ValueError(f"tau2 must be positive, got {tau2}")
    theta, v = np.broadcast_arrays(as_float_array(estimate), as_float_array(variance))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr: FloatArray = 0.5 * np.log(v / (v + tau2)) + tau2 * theta * theta / (
            2 * v * (v + tau2)
        )
    return log_lr


def _result(log_lr: float, estimate: float, variance: float, tau2: float) -> MSPRTResult:
    likelihood_ratio = math.exp(log_lr) if log_lr < 709 else math.inf
    p_value = min(1.0, math.exp(-log_lr)) if log_lr > -709 else 1.0
    return MSPRTResult(likelihood_ratio, p_value, estimate, variance, tau2)


def msprt(estimate: float, variance: float, tau2: float) -> MSPRTResult:
    """Λ and 1/Λ for one look at an estimate ``estimate`` with variance ``variance``."""
    if variance <= 0:
        raise ValueError(f"variance must be positive, got {variance}")
    log_lr = scalar(msprt_log_likelihood_ratio_arrays(estimate, variance, tau2))
    return _result(log_lr, estimate, variance, tau2)


def msprt_difference_of_proportions(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    tau2: float,
) -> MSPRTResult:
    """mSPRT on θ̂ = p̂_T - p̂_C with V = p̂_C(1-p̂_C)/n_C + p̂_T(1-p̂_T)/n_T.

    Reference (docs/statistics.md): 300/10000 vs 400/10000, τ² = 1e-4 → Λ ≈ 259.4, p ≈ 0.00385.
    """
    check_counts(conversions_control, visitors_control, "control")
    check_counts(conversions_treatment, visitors_treatment, "treatment")
    pc = conversions_control / visitors_control
    pt = conversions_treatment / visitors_treatment
    variance = pc * (1 - pc) / visitors_control + pt * (1 - pt) / visitors_treatment
    return msprt(pt - pc, variance, tau2)


def always_valid_p_values(
    estimates: Sequence[float], variances: Sequence[float], tau2: float
) -> tuple[float, ...]:
    """The always-valid p-value after each look: running minimum of min(1, 1/Λ)."""
    if len(estimates) != len(variances):
        raise ValueError("estimates and variances must have the same length")
    if not estimates:
        return ()
    log_lr = msprt_log_likelihood_ratio_arrays(estimates, variances, tau2)
    with np.errstate(over="ignore"):
        p = np.minimum(1.0, np.exp(-log_lr))
    p = np.where(np.isnan(p), 1.0, p)
    return tuple(float(v) for v in np.minimum.accumulate(p))
