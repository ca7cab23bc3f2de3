"""The holdback PLI interval, calibrated with the whole bandit loop running.

Known truth is planted (per-arm conversion rates); visitors arrive in batches, are assigned
as ``engine.bandit.choose`` assigns them, convert at their arm's rate, and after each batch
the allocation is updated as ``engine.bandit.allocate`` updates it from every visitor so far
(what ``persx_bandit_update`` does with the rollups). The report's interval is then computed
with the report's function (``engine.stats.relative_lift`` on the holdback's counts, as
``analytics.bandit_report`` does) and must cover the planted PLI 94–96% of the time.

The many-run simulation is vectorised (``tests/engine/bandit_loop.py``); the replay test
below proves it is the real loop by running a few of its runs visitor by visitor through
the engine's own functions and requiring identical results at every batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from persx.engine.deciding.bandit_arms import BanditAssignment, choose
from persx.engine.deciding.bucketing import hash_unit
from persx.engine.learning.bandit import (
    ArmCounts,
    BanditPolicy,
    allocate,
    holdback_counts,
    initial_table,
)
from persx.engine.statistics import fieller_interval_arrays, relative_lift
from tests.engine import bandit_loop
from tests.engine.bandit_loop import LoopResult, run_loop

ARMS = ("generic", "industry:saas", "industry:fintech")
POLICY = BanditPolicy()  # the product's defaults: 10% holdback, 5% floor, 4,000 draws


def test_the_vectorised_hash_is_the_engines() -> None:
    rng = np.random.default_rng(1)
    ids = bandit_loop.visitor_ids(rng, (4_000,))
    for seed in ("k/holdback", "k/holdback-arm", "a-longer-bandit-key/allocation", ""):
        fast = bandit_loop.hash_unit_v2(seed, ids)
        slow = [hash_unit(seed, bandit_loop.id_text(column), 2) for column in ids.T]
        assert fast.tolist() == slow


class ReplaySource:
    """A ``RandomSource`` that hands ``allocate`` the simulator's Beta draws, in the order
    ``probability_best`` asks for them (draw by draw, arm by arm), and notes the posterior
    parameters it was asked about."""

    def __init__(self, draws: np.ndarray) -> None:
        self._values: Iterator[float] = iter(draws.ravel().tolist())
        self.asked: set[tuple[float, float]] = set()

    def betavariate(self, alpha: float, beta: float) -> float:
        self.asked.add((alpha, beta))
        return next(self._values)


def test_the_simulated_loop_is_the_engines_loop_visitor_by_visitor() -> None:
    """Three runs of five batches replayed through the real ``choose`` (every visitor),
    ``allocate`` (fed the same Beta draws) and ``holdback_counts``: same arms, same tables
    (weights, P(best), streaks, retirement proposals, exactly), same holdback counts and
    the same report interval. One arm is planted hopeless so proposals are exercised."""
    rates = (0.08, 0.02, 0.12)
    result = run_loop(
        key="replay",
        arms=ARMS,
        rates=rates,
        policy=POLICY,
        runs=3,
        batches=5,
        visitors_per_batch=600,
        rng=np.random.default_rng(2),
        record=True,
    )
    proposals_seen = 0
    for r in range(3):
        table = initial_table("replay", ARMS, POLICY)
        served: list[tuple[BanditAssignment, bool]] = []
        for b, batch in enumerate(result.batches):
            assert table == result.tables[b][r]
            for v in range(batch.ids.shape[2]):
                pick = choose(table, bandit_loop.id_text(batch.ids[:, r, v]))
                assert pick is not None
                assert (ARMS.index(pick.arm), pick.holdback) == (
                    batch.arm[r, v],
                    batch.held[r, v],
                )
                served.append((pick, bool(batch.uniforms[r, v] < rates[ARMS.index(pick.arm)])))
            held = holdback_counts(served)
            for i, arm in enumerate(ARMS):
                expected = ArmCounts(
                    arm,
                    int(result.holdback_conversions[b, r, i]),
                    int(result.holdback_visitors[b, r, i]),
                )
                assert held.get(arm, ArmCounts(arm, 0, 0)) == expected
            if b == len(result.batches) - 1:
                break
            counts = {  # every visitor so far, adaptive and holdback (as the rollups)
                arm: ArmCounts(
                    arm,
                    sum(c for a, c in served if a.arm == arm),
                    sum(1 for a, _ in served if a.arm == arm),
                )
                for arm in ARMS
            }
            source = ReplaySource(batch.draws[r])
            table = allocate(table, counts, POLICY, source)
            assert source.asked == {
                (1.0 + c.conversions, 1.0 + c.visitors - c.conversions) for c in counts.values()
            }
            assert table == result.tables[b + 1][r]
            proposals_seen += bool(table.retirement_proposals)
        control, worst = held["generic"], held["industry:saas"]
        sim = _interval(result, len(result.batches) - 1, r, 1)
        real = relative_lift(
            control.conversions, control.visitors, worst.conversions, worst.visitors
        )
        assert (sim.lower, sim.upper) == (real.lower, real.upper)
    assert proposals_seen  # the hopeless arm was proposed in at least one run


def _interval(result: LoopResult, batch: int, run: int, arm: int):  # type: ignore[no-untyped-def]
    """The report's PLI interval of ``arm`` vs generic from the holdback counts after
    ``batch`` (``analytics.bandit_report._lift``: Fieller 95% by ``relative_lift``)."""
    x, n = result.holdback_conversions[batch, run], result.holdback_visitors[batch, run]
    return relative_lift(int(x[0]), int(n[0]), int(x[arm]), int(n[arm]))


RUNS = 4_000  # Monte Carlo SE of a 95% coverage: √(0.95·0.05/4000) = 0.34%
BATCHES = 6  # five allocation updates between six batches
VISITORS_PER_BATCH = 1_500
RATES = (0.08, 0.088, 0.104)  # +10% and +30% on generic


def _coverage(result: LoopResult, stop: np.ndarray, arm: int) -> tuple[float, int]:
    """Share of runs whose interval covers the planted PLI (a whole-line confidence set,
    ``interval_exists`` false, covers everything), and how many intervals were unbounded."""
    planted = RATES[arm] / RATES[0] - 1
    covered = unbounded = 0
    for r in range(RUNS):
        interval = _interval(result, int(stop[r]), r, arm)
        if not interval.interval_exists:
            unbounded += 1
            covered += 1
        else:
            covered += interval.lower <= planted <= interval.upper
    return covered / RUNS, unbounded


@pytest.mark.slow
def test_the_holdback_interval_covers_the_planted_pli_with_the_bandit_running() -> None:
    """4,000 bandits, each 9,000 visitors in six batches with five Thompson updates between
    them; the report is read (a) at the end and (b) when an editor stops the bandit at its
    first retirement proposal (the report's advice), a data-dependent stop. Both arms'
    intervals must cover their planted PLI in 94–96% of the runs (≈ 2.9 SEs each side)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run_loop(
        key="calibration",
        arms=ARMS,
        rates=RATES,
        policy=POLICY,
        runs=RUNS,
        batches=BATCHES,
        visitors_per_batch=VISITORS_PER_BATCH,
        rng=np.random.default_rng(20261207),
    )
    end = np.full(RUNS, BATCHES - 1)
    first_proposal = result.first_proposal()
    # The bandit really ran: it moved the adaptive traffic to the best arm, the holdback
    # stayed a tenth of the visitors and uniform inside.
    final_best = np.array([t.weight_of(ARMS[2]) for t in result.tables[-1]])
    held = result.holdback_visitors[-1]
    total = BATCHES * VISITORS_PER_BATCH
    print(
        f"\nfinal weight of the best arm: mean {final_best.mean():.3f}, "
        f"median {np.median(final_best):.3f}; holdback share {held.sum() / (RUNS * total):.4f}, "
        f"per arm {held.mean(axis=0).round(1).tolist()}; runs stopped early at a proposal "
        f"{(first_proposal < BATCHES - 1).sum()}"
    )
    assert final_best.mean() > 0.5
    assert abs(held.sum() / (RUNS * total) - POLICY.holdback_share) < 0.002
    draw = np.random.default_rng(7)
    for arm in (1, 2):
        for label, stop in (("end", end), ("first proposal", first_proposal)):
            coverage, unbounded = _coverage(result, stop, arm)
            print(f"{ARMS[arm]} read at {label}: coverage {coverage:.4f} (unbounded {unbounded})")
            assert 0.94 <= coverage <= 0.96, (ARMS[arm], label, coverage)
        # Beside it, no bandit: the same holdback sizes, conversions drawn 100 times afresh.
        n_c, n_t = np.tile(held[:, 0], 100), np.tile(held[:, arm], 100)
        fixed = fieller_interval_arrays(
            draw.binomial(n_c, RATES[0]), n_c, draw.binomial(n_t, RATES[arm]), n_t
        )
        planted = RATES[arm] / RATES[0] - 1
        baseline = float(np.mean((fixed.lower <= planted) & (planted <= fixed.upper)))
        print(f"{ARMS[arm]} at the same holdback sizes without a bandit: {baseline:.4f}")
        assert 0.94 <= baseline <= 0.96
    print(
        f"simulation and checks took {time.perf_counter() - started:.1f} s "
        f"({time.process_time() - cpu:.1f} s of CPU)"
    )
