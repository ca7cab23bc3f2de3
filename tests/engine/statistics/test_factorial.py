"""Factorial analysis (engine.statistics.factorial) against docs/statistics.md,
"Factorial experiments": the worked 2×2 example computed by hand, the estimands checked
against marginal means computed another way (the cell grid reshaped), an A/A calibration
(5,000 experiments per design, 94-96% coverage), a planted simulation that recovers a planted
main effect and a planted interaction, and the power planner checked by simulation.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from persx.engine.statistics.factorial import (
    CellPlan,
    analyse_factorial,
    contrast_estimates_arrays,
    contrasts,
    plan_visitors_per_cell,
)

RUNS = 5_000
SEED = 20261207

# docs/statistics.md, worked example: hero (generic, industry) × contact form (generic,
# industry), 1,000 visitors per cell, row-major: gg, gi, ig, ii.
EXAMPLE_CONVERSIONS = [50, 60, 70, 100]
EXAMPLE_VISITORS = [1000] * 4


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *key])


def test_the_worked_two_by_two_example() -> None:
    result = analyse_factorial([2, 2], EXAMPLE_CONVERSIONS, EXAMPLE_VISITORS)
    hero, form = result.main_effects
    (interaction,) = result.interactions
    # Hand computation in docs/statistics.md (SE² = Σ w² p(1-p)/n with Σ p(1-p) = 0.259).
    assert (hero.factors, hero.levels) == ((0,), (1,))
    assert hero.estimate == pytest.approx(0.030)
    assert hero.standard_error == pytest.approx(0.0080467, abs=1e-7)
    assert (hero.lower, hero.upper) == pytest.approx((0.01423, 0.04577), abs=1e-5)
    assert form.estimate == pytest.approx(0.020)
    assert (form.lower, form.upper) == pytest.approx((0.00423, 0.03577), abs=1e-5)
    assert (interaction.factors, interaction.levels) == ((0, 1), (1, 1))
    assert interaction.estimate == pytest.approx(0.020)
    assert interaction.standard_error == pytest.approx(0.0160935, abs=1e-7)
    assert (interaction.lower, interaction.upper) == pytest.approx((-0.01154, 0.05154), abs=1e-5)
    # In words: both blocks matter, they do not clearly interact, ship industry × industry.
    assert result.factors_that_matter == (0, 1)
    assert result.interacting_pairs == ()
    assert result.combination_to_ship == (1, 1)
    assert result.marginal_means(0) == pytest.approx((0.055, 0.085))
    best = result.best_cell
    assert (best.levels, best.rate) == ((1, 1), 0.1)
    # The cell's own interval: 10% ± 1.96·√(0.09/1000).
    assert (best.lower, best.upper) == pytest.approx((0.08141, 0.11859), abs=1e-5)


@pytest.mark.parametrize("levels", [(2, 2), (3, 2), (2, 3, 2), (3, 3, 3)])
def test_estimands_are_differences_of_unweighted_marginal_means(levels: tuple[int, ...]) -> None:
    rng = _rng(1, *levels)
    cells = int(np.prod(levels))
    visitors = rng.integers(200, 2000, cells)
    conversions = rng.binomial(visitors, rng.uniform(0.02, 0.3, cells))
    result = analyse_factorial(levels, conversions.tolist(), visitors.tolist())
    grid = (conversions / visitors).reshape(levels)  # row-major: the first factor first
    for effect in result.main_effects:
        (k,), (level,) = effect.factors, effect.levels
        means = np.moveaxis(grid, k, 0).reshape(levels[k], -1).mean(axis=1)
        assert effect.estimate == pytest.approx(means[level] - means[0])
    for effect in result.interactions:
        (k, m), (lk, lm) = effect.factors, effect.levels
        others = tuple(i for i in range(len(levels)) if i not in (k, m))
        table = grid.mean(axis=others) if others else grid
        expected = (table[lk, lm] - table[lk, 0]) - (table[0, lm] - table[0, 0])
        assert effect.estimate == pytest.approx(expected)
    n_main = sum(n - 1 for n in levels)
    n_pairs = sum(
        (levels[k] - 1) * (levels[m] - 1)
        for k in range(len(levels))
        for m in range(k + 1, len(levels))
    )
    assert (len(result.main_effects), len(result.interactions)) == (n_main, n_pairs)


def test_effects_coding_coefficients_are_the_contrasts_scaled() -> None:
    # Saturated regression of the four cell rates on effects-coded columns (±1): the main
    # effect coefficient is half the main effect, the interaction coefficient a quarter.
    rates = np.array(EXAMPLE_CONVERSIONS) / np.array(EXAMPLE_VISITORS)
    a = np.array([-1, -1, 1, 1])
    b = np.array([-1, 1, -1, 1])
    design = np.column_stack([np.ones(4), a, b, a * b])
    beta = np.linalg.solve(design, rates)
    result = analyse_factorial([2, 2], EXAMPLE_CONVERSIONS, EXAMPLE_VISITORS)
    assert result.main_effects[0].estimate == pytest.approx(2 * beta[1])
    assert result.main_effects[1].estimate == pytest.approx(2 * beta[2])
    assert result.interactions[0].estimate == pytest.approx(4 * beta[3])


def _simulate(levels: tuple[int, ...], rates: np.ndarray, n: int, key: int):  # type: ignore[no-untyped-def]
    rng = _rng(key, *levels, n)
    visitors = np.full((RUNS, len(rates)), n)
    conversions = rng.binomial(visitors, rates)
    return contrast_estimates_arrays(conversions, visitors, contrasts(levels))


@pytest.mark.parametrize(("levels", "rate", "n"), [((2, 2), 0.05, 2_000), ((2, 3, 2), 0.1, 1_000)])
def test_aa_calibration_every_interval_covers_zero_95_percent(
    levels: tuple[int, ...], rate: float, n: int
) -> None:
    cells = int(np.prod(levels))
    result = _simulate(levels, np.full(cells, rate), n, key=2)
    coverage = np.mean((result.lower <= 0) & (result.upper >= 0), axis=0)
    assert coverage.shape == (len(contrasts(levels)),)
    assert np.all((coverage >= 0.94) & (coverage <= 0.96)), coverage


def test_a_planted_main_effect_and_interaction_are_recovered() -> None:
    # Hero industry adds 1.5 points alone; with the industry form it adds 3 points more
    # (cells gg, gi, ig, ii): main effect of the hero 3.0 points, of the form 1.5 points,
    # interaction 3.0 points.
    truth = np.array([0.05, 0.05, 0.065, 0.095])
    planted = {"hero": 0.030, "form": 0.015, "interaction": 0.030}
    result = _simulate((2, 2), truth, 6_000, key=3)
    for column, true_value in enumerate(planted.values()):
        estimates = result.estimate[:, column]
        mc_se = estimates.std() / np.sqrt(RUNS)
        assert abs(estimates.mean() - true_value) < 4 * mc_se  # unbiased
        covered = np.mean(
            (result.lower[:, column] <= true_value) & (true_value <= result.upper[:, column])
        )
        assert 0.94 <= covered <= 0.96
    detected = (result.lower > 0).mean(axis=0)
    assert detected[0] > 0.99  # the hero's main effect: found nearly always
    assert detected[2] > 0.75  # the interaction too, most of the time at this size
    # The single-experiment path reads one such history in words.
    one = analyse_factorial([2, 2], [300, 296, 400, 590], [6000] * 4)
    assert one.factors_that_matter == (0, 1)
    assert one.interacting_pairs == ((0, 1),)
    assert one.combination_to_ship == (1, 1)  # the best cell, judged as a whole


@pytest.mark.parametrize("kind", ["main", "interaction"])
def test_the_planner_gives_80_percent_power_by_simulation(kind: str) -> None:
    baseline, effect = 0.3, 0.04
    plan = plan_visitors_per_cell((2, 2), baseline, effect, effect)
    n = plan.main_effect if kind == "main" else plan.interaction
    # Cells around the baseline (the planner's common variance), the effect planted.
    if kind == "main":
        truth = np.array([baseline - effect / 2] * 2 + [baseline + effect / 2] * 2)
        column = 0
    else:
        truth = baseline + np.array([effect, -effect, -effect, effect]) / 4
        column = 2
    result = _simulate((2, 2), truth, n, key=4 if kind == "main" else 5)
    power = float(np.mean(result.lower[:, column] > 0))
    assert 0.78 <= power <= 0.82, power


def test_planner_reference_values() -> None:
    # docs/statistics.md: z = 1.959964 + 0.841621, p(1-p) = 0.0475, δ = 1 point.
    assert plan_visitors_per_cell((2, 2), 0.05, 0.01, 0.01) == CellPlan(3729, 14913)
    # The 3-level factor and the 3×2 pair set the size of a 2×3×2 design.
    assert plan_visitors_per_cell((2, 3, 2), 0.05, 0.01, 0.01) == CellPlan(1865, 7457)
    # At 50% power z is z_{1-α/2} alone: Σw² = 1 for a 2×2 main effect.
    plan = plan_visitors_per_cell((2, 2), 0.5, 0.05, 0.1, alpha=0.05, power=0.5)
    assert plan.main_effect == 385  # 1.959964² · 0.25 / 0.0025 = 384.1 → 385


def test_ship_the_reference_when_nothing_clearly_helps() -> None:
    flat = analyse_factorial([2, 2], [50, 51, 49, 50], [1000] * 4)
    assert flat.factors_that_matter == ()
    assert flat.combination_to_ship == (0, 0)
    # A level better than the reference but not clearly so is not shipped either, and a
    # factor whose reference is best keeps it.
    unclear = analyse_factorial([3, 2], [50, 50, 58, 58, 40, 40], [1000] * 6)
    assert unclear.combination_to_ship == (0, 0)
    harmful = analyse_factorial([2, 2], [100, 100, 40, 40], [1000] * 4)
    assert harmful.main_effects[0].clear
    assert harmful.main_effects[0].upper < 0
    assert harmful.factors_that_matter == (0,)
    assert harmful.combination_to_ship == (0, 0)


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ((2,), "2-3 factors"),
        ((2, 2, 2, 2), "2-3 factors"),
        ((2, 4), "2-3 levels"),
        ((1, 2), "2-3 levels"),
    ],
)
def test_designs_outside_the_limits_are_refused(levels: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        contrasts(levels)


def test_bad_counts_are_refused() -> None:
    specs = contrasts((2, 2))
    with pytest.raises(ValueError, match="equal shape"):
        contrast_estimates_arrays([[1, 2, 3, 4]], [[10, 10, 10]], specs)
    with pytest.raises(ValueError, match="equal shape"):
        contrast_estimates_arrays([1, 2, 3, 4], [10, 10, 10, 10], specs)
    with pytest.raises(ValueError, match="equal shape"):
        contrast_estimates_arrays([[1, 2, 3]], [[10, 10, 10]], specs)
    for conversions, visitors in [
        ([1, 2, 3, 4], [10, 0, 10, 10]),
        ([1, 2, 3, 11], [10] * 4),
        ([-1, 2, 3, 4], [10] * 4),
    ]:
        with pytest.raises(ValueError, match="visitors > 0"):
            contrast_estimates_arrays([conversions], [visitors], specs)
    with pytest.raises(ValueError, match="4 cells"):
        analyse_factorial([2, 2], [1, 2, 3], [10, 10, 10])
    with pytest.raises(ValueError, match="4 cells"):
        analyse_factorial([2, 2], [1, 2, 3, 4], [10, 10, 10])


@pytest.mark.parametrize(
    ("baseline", "main", "interaction", "message"),
    [
        (0.0, 0.01, 0.01, "baseline"),
        (0.05, 0.0, 0.01, "main_effect"),
        (0.05, 0.01, 1.5, "interaction"),
    ],
)
def test_planner_refuses_impossible_inputs(
    baseline: float, main: float, interaction: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan_visitors_per_cell((2, 2), baseline, main, interaction)


def test_contrast_weights_sum_to_zero_and_follow_row_major_cells() -> None:
    for levels in [(2, 2), (3, 2, 2), (3, 3)]:
        cells = list(product(*(range(n) for n in levels)))
        for spec in contrasts(levels):
            assert sum(spec.weights) == pytest.approx(0.0)
            assert len(spec.weights) == len(cells)
