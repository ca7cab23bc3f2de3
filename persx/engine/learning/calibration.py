"""How far to trust a classifier's probabilities: reliability table, ECE, threshold choice.

- The **reliability table** bins held-out predictions by their top probability and, per
  bin, compares the mean confidence with the share that were right. A calibrated model's
  bins lie on the diagonal.
- **Expected calibration error** (top-label ECE) = Σ_b (n_b / n) · |accuracy_b −
  confidence_b| over equal-width bins (Guo et al. 2017, "On Calibration of Modern Neural
  Networks", eq. 3).
- The **threshold for a target precision** is the lowest top-probability cut-off whose
  accepted predictions are right at the target rate *with 97.5% confidence* (one-sided
  Wilson lower bound) and whose accepted predictions' mean probability also reaches the
  target (a calibrated model expects that precision). Scanning many cut-offs picks the
  luckiest one; the two conditions together keep the precision on new visitors, not only on
  the ones it was chosen from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ReliabilityBin",
    "ThresholdChoice",
    "expected_calibration_error",
    "precision_at",
    "reliability_table",
    "threshold_for_precision",
    "wilson_lower_bound",
]

_Z_ONE_SIDED_975 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


def _check(probabilities: Sequence[float], correct: Sequence[bool]) -> None:
    if len(probabilities) != len(correct):
        raise ValueError("probabilities and correct must have the same length")
    for p in probabilities:
        if not 0.0 <= p <= 1.0:
            raise ValueError("probabilities must lie within [0, 1]")


def reliability_table(
    probabilities: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """Equal-width bins over [0, 1] (the last one closed); empty bins are left out."""
    _check(probabilities, correct)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    totals = [0] * bins
    confidence = [0.0] * bins
    right = [0] * bins
    for p, ok in zip(probabilities, correct, strict=True):
        b = min(int(p * bins), bins - 1)
        totals[b] += 1
        confidence[b] += p
        right[b] += int(ok)
    return tuple(
        ReliabilityBin(b / bins, (b + 1) / bins, n, confidence[b] / n, right[b] / n)
        for b, n in enumerate(totals)
        if n
    )


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float:
    """Top-label ECE of a reliability table (0 when it is empty)."""
    n = sum(b.count for b in table)
    if n == 0:
        return 0.0
    return sum(b.count / n * abs(b.accuracy - b.mean_confidence) for b in table)


def wilson_lower_bound(successes: int, trials: int, z: float = _Z_ONE_SIDED_975) -> float:
    """Lower end of the Wilson score interval for a proportion (0 for no trials)."""
    if trials == 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return (centre - margin) / (1 + z2 / trials)


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    """The chosen cut-off with what it achieved on the visitors it was chosen from."""

    threshold: float
    precision: float
    coverage: float
    accepted: int
    target: float

    @property
    def found(self) -> bool:
        return self.accepted > 0


def precision_at(
    probabilities: Sequence[float], correct: Sequence[bool], threshold: float
) -> tuple[float, float, int]:
    """(precision, coverage, accepted) when predictions with p ≥ ``threshold`` are used."""
    _check(probabilities, correct)
    accepted = [ok for p, ok in zip(probabilities, correct, strict=True) if p >= threshold]
    n = len(accepted)
    precision = sum(accepted) / n if n else 0.0
    coverage = n / len(probabilities) if probabilities else 0.0
    return precision, coverage, n


def threshold_for_precision(
    probabilities: Sequence[float],
    correct: Sequence[bool],
    target: float = 0.9,
    min_accepted: int = 30,
) -> ThresholdChoice:
    """The lowest cut-off whose accepted set has a Wilson lower bound on precision and a
    mean probability both ≥ ``target``.

    Candidates are the observed probabilities (ties accepted together). When none
    qualifies the choice accepts nothing (``threshold`` 1.0, ``found`` False): the model
    then never speaks, which is the safe failure.
    """
    _check(probabilities, correct)
    if not 0.0 < target < 1.0:
        raise ValueError("target precision must lie within (0, 1)")
    ranked = sorted(zip(probabilities, correct, strict=True), key=lambda pc: -pc[0])
    n_total = len(ranked)
    best: ThresholdChoice | None = None
    right = 0
    confidence = 0.0
    i = 0
    while i < n_total:
        p = ranked[i][0]
        while i < n_total and ranked[i][0] == p:  # equal probabilities go in together
            right += int(ranked[i][1])
            confidence += p
            i += 1
        if i >= min_accepted and wilson_lower_bound(right, i) >= target <= confidence / i:
            best = ThresholdChoice(p, right / i, i / n_total, i, target)
    if best is None:
        return ThresholdChoice(1.0, 0.0, 0.0, 0, target)
    return best
