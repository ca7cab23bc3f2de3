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
  versions are **proposed** for retirement (an editor decides; the engine never retires;
  ``generic``, the baseline, is never proposed).

The **holdback** (``holdback_share`` of visitors) is drawn with its own seed, fixed for the
bandit's lifetime, and inside it arms are uniform, whatever the allocation version. Holdback
visitors are therefore a plain randomised experiment: PLI and its interval come from them
only (:func:`holdback_counts`), never from the adaptively allocated traffic, whose arm
counts are biased by the bandit's own choices.

Assignment (:func:`choose`) is deterministic per visitor and allocation version, with the
GrowthBook-compatible hash of :mod:`persx.engine.deciding.bucketing`. The allocation seed does not
change between versions, so an update moves only the visitors whose hash falls where a
range boundary moved.

**Guardrail** (:func:`guardrail_breaches`): an arm whose guardrail-metric rate is, with
posterior probability ≥ ``confidence``, more than ``tolerated_drop`` (relative) below the
baseline arm's (``generic``) is *pinned*: the next allocation gives it the exploration floor
only, whatever its P(best), and the table says so (``pinned``).

On the request path a :class:`RunningBandit` (the current table + which blocks and which
audience it covers) is read from an in-process snapshot; ``engine.experiments.decide_block``
asks it after the global holdout and the running experiments (an experiment that admits
the visitor wins: its arms stay a fixed randomised design).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from persx.engine.deciding.bandit_arms import HOLDBACK_SUFFIX, AllocationTable, BanditAssignment
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.ports import RandomSource
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC, parse_audience

__all__ = [
    "ArmCounts",
    "BanditPolicy",
    "BanditSetup",
    "allocate",
    "guardrail_breaches",
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


def guardrail_breaches(
    counts: Mapping[str, ArmCounts],
    baseline: str,
    tolerated_drop: float,
    policy: BanditPolicy,
    rng: RandomSource,
    confidence: float = 0.95,
) -> tuple[str, ...]:
    """Arms whose guardrail rate is below ``(1 − tolerated_drop) ×`` the baseline's with
    posterior probability ≥ ``confidence`` (Monte Carlo over the Beta posteriors).

    An arm without data, or a baseline without data, is never in breach: the guardrail
    needs evidence before it overrides the bandit.
    """
    if not 0.0 <= tolerated_drop < 1.0:
        raise InvalidSetup("guardrail_drop", "tolerated drop must be within [0, 1)")
    base = counts.get(baseline)
    if base is None or base.visitors == 0:
        return ()
    base_params = (
        policy.prior_alpha + base.conversions,
        policy.prior_beta + base.visitors - base.conversions,
    )
    breached: list[str] = []
    for arm, arm_counts in counts.items():
        if arm == baseline or arm_counts.visitors == 0:
            continue
        a = policy.prior_alpha + arm_counts.conversions
        b = policy.prior_beta + arm_counts.visitors - arm_counts.conversions
        below = sum(
            rng.betavariate(a, b) < (1 - tolerated_drop) * rng.betavariate(*base_params)
            for _ in range(policy.draws)
        )
        if below / policy.draws >= confidence:
            breached.append(arm)
    return tuple(breached)


def allocate(
    previous: AllocationTable,
    counts: Mapping[str, ArmCounts],
    policy: BanditPolicy,
    rng: RandomSource,
    pinned: Collection[str] = (),
) -> AllocationTable:
    """The next version of ``previous`` from the arms' counts so far (missing arm = no data).

    The holdback share is the previous table's: it is fixed for the bandit's lifetime, so
    the holdback stays one randomised experiment. ``pinned`` arms (guardrail breaches) get
    the exploration floor only; the other arms share the rest by their P(best) among
    themselves (all arms pinned: equal shares). ``p_best`` still reports every arm.
    """
    policy.check(len(previous.arms))
    stats = [counts.get(arm) or ArmCounts(arm, 0, 0) for arm in previous.arms]
    p_best = probability_best(stats, policy, rng)
    floor = policy.min_exploration
    k = len(previous.arms)
    held = tuple(arm for arm in previous.arms if arm in pinned)
    share = dict(zip(previous.arms, p_best, strict=True))
    free = [c for c in stats if c.arm not in held]
    if held and len(free) > 1:  # the rest compete among themselves for what is left
        share = dict(zip((c.arm for c in free), probability_best(free, policy, rng), strict=True))
    elif held and free:
        share = {free[0].arm: 1.0}
    weights = tuple(
        floor if arm in held else floor + (1 - k * floor) * share[arm] for arm in previous.arms
    )
    total = sum(weights)
    weights = tuple(w / total for w in weights)  # exact sum for bucketing
    streak_before = previous.low_streak or tuple(0 for _ in previous.arms)
    streak = tuple(
        s + 1 if p < policy.retire_below else 0 for s, p in zip(streak_before, p_best, strict=True)
    )
    proposals = tuple(  # generic is the baseline (and the holdback's control): never proposed
        arm
        for arm, s in zip(previous.arms, streak, strict=True)
        if s >= policy.retire_after and arm != GENERIC
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
        held,
    )


ARM_KEY_MAX = 40  # the event log's arm column


@dataclass(frozen=True, slots=True)
class BanditSetup:
    """What an editor configures for a bandit, checked as a whole (:meth:`build`)."""

    key: str
    block_type: str
    audience: str
    arms: tuple[str, ...]
    metric: str
    policy: BanditPolicy
    guardrail_metric: str = ""
    guardrail_drop: float = 0.1
    page_id: str = ""

    @staticmethod
    def build(
        *,
        key: str,
        block_type: str,
        audience: str,
        arms: Sequence[str],
        metric: str,
        metrics: Collection[str],
        policy: BanditPolicy,
        guardrail_metric: str = "",
        guardrail_drop: float = 0.1,
        page_id: str = "",
    ) -> BanditSetup:
        """Validate (raises ``InvalidSetup`` naming the field) and return the setup.

        Arms are ``generic`` and variant keys (audience keys) the block holds for the
        audience; ``generic`` is always an arm and comes first (the guardrail's baseline).
        ``metrics`` are the metric keys the rollups count per visitor.
        """
        if not key or len(key) + len(HOLDBACK_SUFFIX) > 80:
            raise InvalidSetup("key", "a key of 1 to 71 characters is required")
        if block_type not in BLOCK_TYPES:
            raise InvalidSetup("block_type", f"unknown block type {block_type!r}")
        if parse_audience(audience) is None:
            raise InvalidSetup(
                "audience", f"{audience!r} is not an audience (industry:… or persona:…)"
            )
        ordered = (GENERIC, *(a for a in arms if a != GENERIC))
        if len(set(ordered)) != len(ordered):
            raise InvalidSetup("arms", "each arm once")
        for arm in ordered[1:]:
            if parse_audience(arm) is None:
                raise InvalidSetup("arms", f"arm {arm!r} is not a variant's audience key")
            if len(arm) > ARM_KEY_MAX:
                raise InvalidSetup("arms", f"arm {arm!r} is longer than {ARM_KEY_MAX} characters")
        policy.check(len(ordered))
        if metric not in metrics:
            raise InvalidSetup("metric", f"unknown metric {metric!r}")
        if guardrail_metric and guardrail_metric not in metrics:
            raise InvalidSetup("guardrail_metric", f"unknown metric {guardrail_metric!r}")
        if guardrail_metric == metric:
            raise InvalidSetup("guardrail_metric", "the guardrail must be another metric")
        if not 0.0 <= guardrail_drop < 1.0:
            raise InvalidSetup("guardrail_drop", "tolerated drop must be within [0, 1)")
        if not 0.0 <= policy.retire_below < 1.0:
            raise InvalidSetup("retire_below", "retirement threshold must be within [0, 1)")
        return BanditSetup(
            key,
            block_type,
            audience,
            ordered,
            metric,
            policy,
            guardrail_metric,
            guardrail_drop,
            page_id,
        )


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
