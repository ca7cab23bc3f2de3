"""Relative lift (PLI = p_T / p_C - 1) of two conversion rates, with three intervals.

Notation (docs/statistics.md): control C, treatment T, conversions x, visitors n, p̂ = x/n,
v = p̂(1 - p̂)/n, R = p̂_T / p̂_C, z = Φ⁻¹(1 - alpha/2).

- **Fieller** (the headline interval): g = z²·v_C / p̂_C²; the interval exists only when
  g < 1; bounds = [R ± (z / p̂_C)·√(v_T(1 - g) + R²·v_C)] / (1 - g) - 1. Asymmetric, as
  the sampling distribution of a ratio is; it places the lower bound correctly at B2B sample
  sizes, where the delta method does not.
- **Katz** (log ratio): exp(ln R ± z·√((1 - p̂_T)/x_T + (1 - p̂_C)/x_C)) - 1.
- **Delta**: SE² = v_C·p̂_T²/p̂_C⁴ + v_T/p̂_C²; PLI ± z·SE. Symmetric; kept only to compare
  with tools that report it.

An arm with no conversions has a zero plug-in variance, which would make a zero-width
interval; such results (and Fieller with g ≥ 1) are reported as ``interval_exists=False``
with bounds (-∞, +∞): the data do not bound the lift. A lower bound below -100%
(possible for Fieller and delta at tiny samples) is clipped to -1, the least PLI can be;
clipping cannot reduce coverage.

Each method has a vectorised core over numpy arrays (``*_interval_arrays``) used by the
calibration simulations; the scalar functions call the same core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import (
    BoolArray,
    FloatArray,
    as_float_array,
    check_counts,
    scalar,
    z_two_sided,
)

__all__ = [
    "LiftInterval",
    "LiftIntervalArrays",
    "LiftMethod",
    "delta_interval_arrays",
    "fieller_interval_arrays",
    "katz_interval_arrays",
    "relative_lift",
    "relative_lift_delta",
    "relative_lift_katz",
]

LiftMethod = Literal["fieller", "delta", "katz"]


@dataclass(frozen=True, slots=True)
class LiftInterval:
    """A relative lift (PLI) with its ``1 - alpha`` interval.

    ``lift`` is ``inf`` when the control has no conversions but the treatment has some, and
    NaN when neither has. When ``interval_exists`` is False the bounds are (-∞, +∞).
    """

    lift: float
    lower: float
    upper: float
    interval_exists: bool
    method: LiftMethod
    alpha: float

    def contains(self, value: float) -> bool:
        """True when ``value`` lies within the closed interval."""
        return self.lower <= value <= self.upper


@dataclass(frozen=True, slots=True)
class LiftIntervalArrays:
    """Element-wise results of a vectorised interval computation."""

    lift: FloatArray
    lower: FloatArray
    upper: FloatArray
    exists: BoolArray


def _rates(
    x_c: npt.ArrayLike, n_c: npt.ArrayLike, x_t: npt.ArrayLike, n_t: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    xc, nc, xt, nt = np.broadcast_arrays(
        as_float_array(x_c), as_float_array(n_c), as_float_array(x_t), as_float_array(n_t)
    )
    pc = xc / nc
    pt = xt / nt
    vc = pc * (1 - pc) / nc
    vt = pt * (1 - pt) / nt
    both_converted: BoolArray = (xc > 0) & (xt > 0)
    return xc, xt, pc, pt, vc, vt, both_converted


def _unbounded(
    lift: FloatArray, lower: FloatArray, upper: FloatArray, exists: BoolArray
) -> LiftIntervalArrays:
    return LiftIntervalArrays(
        lift=lift,
        lower=np.where(exists, np.maximum(lower, -1.0), -np.inf),
        upper=np.where(exists, upper, np.inf),
        exists=exists,
    )


def fieller_interval_arrays(
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftIntervalArrays:
    """Fieller intervals for PLI, element-wise over broadcastable arrays of counts."""
    z = z_two_sided(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, pc, pt, vc, vt, both = _rates(x_c, n_c, x_t, n_t)
        ratio = pt / pc
        g = z * z * vc / (pc * pc)
        half = (z / pc) * np.sqrt(np.maximum(vt * (1 - g) + ratio * ratio * vc, 0.0))
        lower = (ratio - half) / (1 - g) - 1
        upper = (ratio + half) / (1 - g) - 1
    return _unbounded(ratio - 1, lower, upper, both & (g < 1))


def delta_interval_arrays(
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftIntervalArrays:
    """Delta-method (symmetric) intervals for PLI, element-wise."""
    z = z_two_sided(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, pc, pt, vc, vt, both = _rates(x_c, n_c, x_t, n_t)
        lift = pt / pc - 1
        se = np.sqrt(vc * pt * pt / pc**4 + vt / (pc * pc))
    return _unbounded(lift, lift - z * se, lift + z * se, both)


def katz_interval_arrays(
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftIntervalArrays:
    """Katz (log-ratio) intervals for PLI, element-wise."""
    z = z_two_sided(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc, xt, pc, pt, _, _, both = _rates(x_c, n_c, x_t, n_t)
        ratio = pt / pc
        log_se = np.sqrt((1 - pt) / xt + (1 - pc) / xc)
        log_ratio = np.log(ratio)
        lower = np.exp(log_ratio - z * log_se) - 1
        upper = np.exp(log_ratio + z * log_se) - 1
    return _unbounded(ratio - 1, lower, upper, both)


def _scalar(arrays: LiftIntervalArrays, method: LiftMethod, alpha: float) -> LiftInterval:
    return LiftInterval(
        lift=scalar(arrays.lift),
        lower=scalar(arrays.lower),
        upper=scalar(arrays.upper),
        interval_exists=bool(arrays.exists.reshape(-1)[0]),
        method=method,
        alpha=alpha,
    )


def _checked(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
) -> None:
    check_counts(conversions_control, visitors_control, "control")
    check_counts(conversions_treatment, visitors_treatment, "treatment")


def relative_lift(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    alpha: float = 0.05,
) -> LiftInterval:
    """PLI = p_T / p_C - 1 with its Fieller ``1 - alpha`` interval (the headline number).

    >>> r = relative_lift(30, 1000, 40, 1000)
    >>> round(r.lift, 4), round(r.lower, 4), round(r.upper, 4)
    (0.3333, -0.1668, 1.2117)
    """
    _checked(conversions_control, visitors_control, conversions_treatment, visitors_treatment)
    arrays = fieller_interval_arrays(
        conversions_control, visitors_control, conversions_treatment, visitors_treatment, alpha
    )
    return _scalar(arrays, "fieller", alpha)


def relative_lift_delta(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    alpha: float = 0.05,
) -> LiftInterval:
    """PLI with the symmetric delta-method interval (for comparison with other tools)."""
    _checked(conversions_control, visitors_control, conversions_treatment, visitors_treatment)
    arrays = delta_interval_arrays(
        conversions_control, visitors_control, conversions_treatment, visitors_treatment, alpha
    )
    return _scalar(arrays, "delta", alpha)


def relative_lift_katz(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    alpha: float = 0.05,
) -> LiftInterval:
    """PLI with the Katz (log-ratio) interval."""
    _checked(conversions_control, visitors_control, conversions_treatment, visitors_treatment)
    arrays = katz_interval_arrays(
        conversions_control, visitors_control, conversions_treatment, visitors_treatment, alpha
    )
    return _scalar(arrays, "katz", alpha)
