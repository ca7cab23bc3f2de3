"""Argument checks and small shared helpers for the statistics modules (internal).

scipy is imported inside the functions that compute with it (here and in ``srm``, ``bayes``
and ``ttest``): importing it costs about a second of CPU, and every process that imports
the statistics (each management command, each web worker) would pay it at start.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


def check_alpha(alpha: float) -> None:
    """``alpha`` must be a probability strictly between 0 and 1."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def check_probability(value: float, name: str) -> None:
    """``value`` must lie strictly between 0 and 1."""
    if not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value}")


def check_counts(conversions: int, visitors: int, arm: str) -> None:
    """``0 <= conversions <= visitors`` and ``visitors > 0``."""
    if visitors <= 0:
        raise ValueError(f"{arm}: visitors must be positive, got {visitors}")
    if not 0 <= conversions <= visitors:
        raise ValueError(f"{arm}: conversions must be within [0, {visitors}], got {conversions}")


def z_two_sided(alpha: float) -> float:
    """The standard normal quantile ``Φ⁻¹(1 - alpha/2)``."""
    check_alpha(alpha)
    from scipy import stats as _sps

    return float(_sps.norm.ppf(1 - alpha / 2))


def z_one_sided(p: float) -> float:
    """The standard normal quantile ``Φ⁻¹(p)``."""
    check_probability(p, "probability")
    from scipy import stats as _sps

    return float(_sps.norm.ppf(p))


def as_float_array(values: npt.ArrayLike) -> FloatArray:
    """``values`` as a float64 numpy array (no copy when already one)."""
    return np.asarray(values, dtype=np.float64)


def scalar(values: FloatArray) -> float:
    """The single value of a 0-d (or size-1) array as a Python float."""
    return float(values.reshape(-1)[0])
