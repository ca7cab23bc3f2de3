"""Thompson sampling over a block's approved arms, with a holdback that keeps PLI honest.

An allocation is recomputed on a schedule from the rollups (conversions / visitors per arm),
never per request:

- each arm's conversion rate has a Beta(prior + conversions, prior + failures) posterior;
- **P(best)** per arm is estimated by Monte Carlo (``draws`` joint posterior samples) from an
  injected :class:`~persx.engine.ports.RandomSource`, so a given seed gives the same table;
- the non-holdback traffic share of each arm is its P(best) (Thompson sampling's
  probability matching, batched), floored at ``min_exploration`` per arm:
  ``w_i = floor + (1 − k·floor) · P(best)_i``;
- arms whose P(best) has stayed below ``retire_below`` for ``retire_after`` consecutive
  versions are **proposed** for retirement (an editor decides; the engine never retires).

The **holdback** (``holdback_share`` of visitors) is drawn with its own seed, fixed for the
bandit's lifetime, and inside it arms are uniform, whatever the allocation version. Holdback
visitors are therefore a plain randomised experiment: PLI and its interval come from them
only (:func:`holdback_counts`), never from the adaptively allocated traffic, whose arm
counts are biased by the bandit's own choices.

Assignment (:func:`choose`) is deterministic per visitor and allocation version, with the
GrowthBook-compatible hash of :mod:`persx.engine.bucketing`. The allocation seed does not
change between versions, so an update moves only the visitors whose hash falls where a
range boundary moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from persx.engine.bucketing import BucketRange, bucket_ranges, choose_arm, hash_unit
from persx.engine.ports import RandomSource
from persx.engine.setup_errors import InvalidSetup

__all__ = [
    "AllocationTable",
    "ArmCounts",
    "BanditAssignment",
    "BanditPolicy",
    "allocate",
    "choose",
    "holdback_counts",
    "initial_table",
    "probability_best",
]


@dataclass(frozen=True, slots=True)
class ArmCounts:
    """Sufficient statistics of one arm on the bandit's metric (non-holdback traffic)."""

    arm: str
    conversions: int
    visitors: int

    def __post_init__(self) -> None:
        if self.visitors < 0 or not 0 <= self.conversions <= self.visitors:
            raise InvalidSetup("counts", f"arm {self.arm!r}: need 0 <= conversions <= visitors")


@dataclass(frozen=True, slots=True)
class BanditPolicy:
    holdback_share: float = 0.1
    min_exploration: float = 0.05  # least share of non-holdback traffic per arm
    retire_below: float = 0.02  # P(best) under which an arm is a retirement candidate
    retire_after: int = 3  # consecutive versions under ``retire_below`` before proposing
    draws: int = 4000
    prior_alpha: float = 1.0
    prior_beta: float = 1.0

    def check(self, n_arms: int) -> None:
        if n_arms < 2:
            raise InvalidSetup("arms", "a bandit needs at least two arms")
        if not 0.0 <= self.holdback_share < 1.0:
            raise InvalidSetup("holdback_share", "holdback share must be within [0, 1)")
        if not 0.0 <= self.min_exploration * n_arms <= 1.0:
            raise InvalidSetup(
                "min_exploration", f"min exploration × {n_arms} arms must not exceed 1"
            )
        if self.draws < 100:
            raise InvalidSetup("draws", "at least 100 Monte Carlo draws")
        if self.prior_alpha <= 0 or self.prior_beta <= 0:
            raise InvalidSetup("prior", "Beta prior parameters must be positive")


@dataclass(frozen=True, slots=True)
class AllocationTable:
    """One version of the allocation: what the request path reads from its snapshot."""

    key: str
    version: int
    arms: tuple[str, ...]
    weights: tuple[float, ...]  # share of non-holdback traffic per arm (sums to 1)
    holdback_share: float
    p_best: tuple[float, ...] = ()
    low_streak: tuple[int, ...] = ()  # consecutive versions each arm spent under retire_below
    retirement_proposals: tuple[str, ...] = ()
    ranges: tuple[BucketRange, ...] = field(init=False, repr=False, compare=False)
    uniform_ranges: tuple[BucketRange, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.arms) < 2 or len(set(self.arms)) != len(self.arms):
            raise InvalidSetup("arms", "at least two distinct arms")
        if len(self.weights) != len(self.arms):
            raise InvalidSetup("weights", "one weight per arm")
        object.__setattr__(self, "ranges", bucket_ranges(len(self.arms), 1.0, self.weights))
        object.__setattr__(self, "uniform_ranges", bucket_ranges(len(self.arms)))

    def weight_of(self, arm: str) -> float:
        return self.weights[self.arms.index(arm)]


def initial_table(key: str, arms: Sequence[str], policy: BanditPolicy) -> AllocationTable:
    """Version 1: equal shares, before any data."""
    policy.check(len(arms))
    n = len(arms)
    return AllocationTable(
        key,
        1,
        tuple(arms),
        tuple(1 / n for _ in arms),
        policy.holdback_share,
        tuple(1 / n for _ in arms),
        tuple(0 for _ in arms),
    )


def probability_best(
    counts: Sequence[ArmCounts], policy: BanditPolicy, rng: RandomSource
) -> tuple[float, ...]:
    """Monte Carlo P(arm has the highest conversion rate) under the Beta posteriors."""
    wins = [0] * len(counts)
    params = [
        (policy.prior_alpha + c.conversions, policy.prior_beta + c.visitors - c.conversions)
        for c in counts
    ]
    for _ in range(policy.draws):
        best, best_value = 0, -1.0
        for i, (a, b) in enumerate(params):
            value = rng.betavariate(a, b)
            if value > best_value:
                best, best_value = i, value
        wins[best] += 1
    return tuple(w / policy.draws for w in wins)


def allocate(
    previous: AllocationTable,
    counts: Mapping[str, ArmCounts],
    policy: BanditPolicy,
    rng: RandomSource,
) -> AllocationTable:
    """The next version of ``previous`` from the arms' counts so far (missing arm = no data).

    The holdback share is the previous table's: it is fixed for the bandit's lifetime, so
    the holdback stays one randomised experiment.
    """
    policy.check(len(previous.arms))
    stats = [counts.get(arm) or ArmCounts(arm, 0, 0) for arm in previous.arms]
    p_best = probability_best(stats, policy, rng)
    floor = policy.min_exploration
    k = len(previous.arms)
    weights = tuple(floor + (1 - k * floor) * p for p in p_best)
    total = sum(weights)
    weights = tuple(w / total for w in weights)  # exact sum for bucketing
    streak_before = previous.low_streak or tuple(0 for _ in previous.arms)
    streak = tuple(
        s + 1 if p < policy.retire_below else 0 for s, p in zip(streak_before, p_best, strict=True)
    )
    proposals = tuple(
        arm for arm, s in zip(previous.arms, streak, strict=True) if s >= policy.retire_after
    )
    return AllocationTable(
        previous.key,
        previous.version + 1,
        previous.arms,
        weights,
        previous.holdback_share,
        p_best,
        streak,
        proposals,
    )


@dataclass(frozen=True, slots=True)
class BanditAssignment:
    arm: str
    holdback: bool
    version: int


def choose(table: AllocationTable, visitor_id: str) -> BanditAssignment | None:
    """The visitor's arm under ``table``; ``None`` for an empty visitor id.

    Holdback membership and the holdback arm use seeds that depend on the bandit's key only
    (not the version), so a holdback visitor keeps their arm for the bandit's lifetime.
    """
    if not visitor_id:
        return None
    held = hash_unit(table.key + "/holdback", visitor_id, 2)
    if held is not None and held < table.holdback_share:
        n = hash_unit(table.key + "/holdback-arm", visitor_id, 2)
        index = choose_arm(n, table.uniform_ranges) if n is not None else None
        return BanditAssignment(table.arms[index or 0], True, table.version)
    n = hash_unit(table.key + "/allocation", visitor_id, 2)
    index = choose_arm(n, table.ranges) if n is not None else None
    if index is None:  # float rounding at the top end of the ranges: last arm
        index = len(table.arms) - 1
    return BanditAssignment(table.arms[index], False, table.version)


def holdback_counts(
    assignments: Sequence[tuple[BanditAssignment, bool]],
) -> dict[str, ArmCounts]:
    """Per-arm counts from holdback visitors only (``(assignment, converted)`` pairs): the
    unbiased input for PLI, e.g. ``relative_lift(generic, best)`` from ``engine.stats``."""
    visitors: dict[str, int] = {}
    conversions: dict[str, int] = {}
    for assignment, converted in assignments:
        if not assignment.holdback:
            continue
        visitors[assignment.arm] = visitors.get(assignment.arm, 0) + 1
        conversions[assignment.arm] = conversions.get(assignment.arm, 0) + int(converted)
    return {arm: ArmCounts(arm, conversions[arm], n) for arm, n in visitors.items()}
