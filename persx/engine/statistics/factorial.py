"""Factorial experiments: main effects and two-way interactions of cell conversion rates.

docs/statistics.md, "Factorial experiments", states the estimands with reference values.
A design has 2-3 factors; factor *k* has ``L_k`` levels (options), the first its reference.
Cells are listed row-major (the first factor most significant), as
``engine.deciding.factorial_cells`` numbers them. With ``p_c`` the conversion rate of cell
*c* (visitors who converted / visitors of the cell):

- the marginal mean of a set of cells is the **unweighted** mean of their rates (effects
  coding: every cell counts once, however many visitors it got);
- main effect of level *l* of factor *k* = marginal mean over the cells with *k* at *l*
  minus the same over the cells with *k* at its reference (averaged over every other
  factor's levels); in effects coding that is ``α_k[l] − α_k[ref]``;
- two-way interaction of levels *(l, j)* of factors *(k, m)* = the difference of
  differences of the four marginal means over the other factors:
  ``(m̄[l,j] − m̄[l,ref]) − (m̄[ref,j] − m̄[ref,ref])``; in a 2×2 it is
  ``p₁₁ − p₁₀ − p₀₁ + p₀₀`` (four times the effects-coding interaction coefficient).

Every estimand is a contrast ``Σ w_c p_c``; cells are independent (randomised), so its
variance is ``Σ w_c² p_c(1 − p_c)/n_c`` and the interval is Wald's, ``est ± z·SE``. The
power planner uses the same weights with a common per-visitor variance ``p(1 − p)``.
The array functions take one row per simulated experiment (A/A calibration, planted
simulations); the single-experiment API calls them with one row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Literal

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import (
    FloatArray,
    as_float_array,
    check_probability,
    z_one_sided,
    z_two_sided,
)

__all__ = [
    "CellPlan",
    "CellRate",
    "Contrast",
    "ContrastSpec",
    "FactorialAnalysis",
    "analyse_factorial",
    "contrast_estimates_arrays",
    "contrasts",
    "plan_visitors_per_cell",
]

ContrastKind = Literal["main", "interaction"]


@dataclass(frozen=True, slots=True)
class ContrastSpec:
    """Which effect a weight vector estimates: factors (indices) and their compared levels."""

    kind: ContrastKind
    factors: tuple[int, ...]
    levels: tuple[int, ...]  # a non-reference level of each factor
    weights: tuple[float, ...]  # one per cell, row-major


def _check_levels(levels: Sequence[int]) -> None:
    if not 2 <= len(levels) <= 3:
        raise ValueError(f"a factorial design has 2-3 factors, got {len(levels)}")
    if any(not 2 <= n <= 3 for n in levels):
        raise ValueError(f"every factor has 2-3 levels, got {list(levels)}")


def _sign(at: int, level: int) -> float:
    """+1 at the compared level, -1 at the reference (level 0), 0 at any other level."""
    if at == level:
        return 1.0
    return -1.0 if at == 0 else 0.0


def contrasts(levels: Sequence[int]) -> tuple[ContrastSpec, ...]:
    """Every main effect (each non-reference level of each factor) and every two-way
    interaction (each pair of factors, each pair of non-reference levels), in that order."""
    _check_levels(levels)
    cells = list(product(*(range(n) for n in levels)))
    specs: list[ContrastSpec] = []
    for k, n_k in enumerate(levels):
        share = len(cells) // n_k  # cells per level of factor k
        for level in range(1, n_k):
            weights = tuple(_sign(c[k], level) / share for c in cells)
            specs.append(ContrastSpec("main", (k,), (level,), weights))
    for k, m in combinations(range(len(levels)), 2):
        share = len(cells) // (levels[k] * levels[m])  # cells per (level, level) pair
        for lk, lm in product(range(1, levels[k]), range(1, levels[m])):
            weights = tuple(_sign(c[k], lk) * _sign(c[m], lm) / share for c in cells)
            specs.append(ContrastSpec("interaction", (k, m), (lk, lm), weights))
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class ContrastArrays:
    estimate: FloatArray  # (runs, contrasts)
    standard_error: FloatArray
    lower: FloatArray
    upper: FloatArray


def contrast_estimates_arrays(
    conversions: npt.ArrayLike,
    visitors: npt.ArrayLike,
    specs: Sequence[ContrastSpec],
    alpha: float = 0.05,
) -> ContrastArrays:
    """Estimates and Wald intervals of ``specs`` for each row of ``(runs, cells)`` counts.

    Every cell needs at least one visitor (a rate of an empty cell is undefined).
    """
    x = as_float_array(conversions)
    n = as_float_array(visitors)
    if x.ndim != 2 or x.shape != n.shape or x.shape[1] != len(specs[0].weights):
        raise ValueError("conversions and visitors must be (runs, cells) arrays of equal shape")
    if np.any(n <= 0) or np.any(x < 0) or np.any(x > n):
        raise ValueError("every cell needs visitors > 0 and 0 <= conversions <= visitors")
    z = z_two_sided(alpha)
    rate = x / n
    cell_variance = rate * (1 - rate) / n
    w = np.array([s.weights for s in specs])  # (contrasts, cells)
    estimate = rate @ w.T
    se = np.sqrt(cell_variance @ (w * w).T)
    return ContrastArrays(estimate, se, estimate - z * se, estimate + z * se)


@dataclass(frozen=True, slots=True)
class CellRate:
    """One cell's counts, its rate and the rate's Wald interval at the analysis' level."""

    levels: tuple[int, ...]
    visitors: int
    conversions: int
    lower: float
    upper: float

    @property
    def rate(self) -> float:
        return self.conversions / self.visitors


@dataclass(frozen=True, slots=True)
class Contrast:
    kind: ContrastKind
    factors: tuple[int, ...]
    levels: tuple[int, ...]
    estimate: float
    standard_error: float
    lower: float
    upper: float

    @property
    def clear(self) -> bool:
        """The interval excludes 0."""
        return self.lower > 0 or self.upper < 0


@dataclass(frozen=True, slots=True)
class FactorialAnalysis:
    levels: tuple[int, ...]
    cells: tuple[CellRate, ...]
    main_effects: tuple[Contrast, ...]
    interactions: tuple[Contrast, ...]
    alpha: float

    @property
    def factors_that_matter(self) -> tuple[int, ...]:
        """Factors with at least one main effect whose interval excludes 0."""
        return tuple(sorted({c.factors[0] for c in self.main_effects if c.clear}))

    @property
    def interacting_pairs(self) -> tuple[tuple[int, int], ...]:
        """Pairs of factors with at least one interaction whose interval excludes 0."""
        pairs = {(c.factors[0], c.factors[1]) for c in self.interactions if c.clear}
        return tuple(sorted(pairs))

    def marginal_means(self, factor: int) -> tuple[float, ...]:
        """The unweighted mean cell rate at each level of ``factor``."""
        return tuple(
            float(np.mean([c.rate for c in self.cells if c.levels[factor] == level]))
            for level in range(self.levels[factor])
        )

    @property
    def best_cell(self) -> CellRate:
        """The cell with the highest observed rate (the first such, in row-major order)."""
        return max(self.cells, key=lambda c: c.rate)

    @property
    def combination_to_ship(self) -> tuple[int, ...]:
        """The levels to ship, one per factor.

        When no pair of factors clearly interacts, each factor is judged on its own: its
        level with the highest marginal mean if that level's main effect against the
        reference is clearly positive, else the reference. When some pair interacts, a
        factor's best level depends on the others, so the cell with the highest observed
        rate is shipped as a whole.
        """
        if self.interacting_pairs:
            return self.best_cell.levels
        chosen: list[int] = []
        for factor in range(len(self.levels)):
            means = self.marginal_means(factor)
            best = max(range(len(means)), key=lambda level: means[level])
            effect = next(
                (c for c in self.main_effects if c.factors == (factor,) and c.levels == (best,)),
                None,
            )
            chosen.append(best if effect is not None and effect.lower > 0 else 0)
        return tuple(chosen)


def analyse_factorial(
    levels: Sequence[int],
    conversions: Sequence[int],
    visitors: Sequence[int],
    alpha: float = 0.05,
) -> FactorialAnalysis:
    """Main effects and two-way interactions of one experiment's cell counts (row-major)."""
    specs = contrasts(levels)
    cells = list(product(*(range(n) for n in levels)))
    if len(conversions) != len(cells) or len(visitors) != len(cells):
        raise ValueError(f"expected counts for {len(cells)} cells (row-major)")
    result = contrast_estimates_arrays([conversions], [visitors], specs, alpha)
    z = z_two_sided(alpha)
    found = [
        Contrast(
            s.kind,
            s.factors,
            s.levels,
            float(result.estimate[0, i]),
            float(result.standard_error[0, i]),
            float(result.lower[0, i]),
            float(result.upper[0, i]),
        )
        for i, s in enumerate(specs)
    ]
    return FactorialAnalysis(
        tuple(levels),
        tuple(
            CellRate(cell, int(n), int(x), *_wald(x, n, z))
            for cell, x, n in zip(cells, conversions, visitors, strict=True)
        ),
        tuple(c for c in found if c.kind == "main"),
        tuple(c for c in found if c.kind == "interaction"),
        alpha,
    )


def _wald(conversions: int, visitors: int, z: float) -> tuple[float, float]:
    rate = conversions / visitors
    half = z * math.sqrt(rate * (1 - rate) / visitors)
    return rate - half, rate + half


@dataclass(frozen=True, slots=True)
class CellPlan:
    """Visitors per cell for the stated power: the largest over each kind of effect."""

    main_effect: int
    interaction: int


def plan_visitors_per_cell(
    levels: Sequence[int],
    baseline: float,
    main_effect: float,
    interaction: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> CellPlan:
    """Visitors in every cell to detect an absolute ``main_effect`` (a difference of two
    marginal means) and an absolute ``interaction`` (a difference of differences).

    n = (z_{1−α/2} + z_{power})² · p(1−p) · Σw² / δ², rounded up, for the contrast of that
    kind with the largest Σw² (the factor with the most levels, the pair with the most
    levels); ``p`` is the baseline rate, taken as every cell's variance.
    """
    check_probability(baseline, "baseline")
    for name, effect in (("main_effect", main_effect), ("interaction", interaction)):
        if not 0 < abs(effect) < 1:
            raise ValueError(f"{name} must be a non-zero absolute difference in (-1, 1)")
    z = z_two_sided(alpha) + z_one_sided(power)
    variance = baseline * (1 - baseline)

    def needed(kind: ContrastKind, effect: float) -> int:
        sum_sq = max(sum(w * w for w in s.weights) for s in contrasts(levels) if s.kind == kind)
        # Rounded to 9 decimals first so an exact whole number is not pushed up by float noise.
        return math.ceil(round(z * z * variance * sum_sq / (effect * effect), 9))

    return CellPlan(needed("main", main_effect), needed("interaction", interaction))
