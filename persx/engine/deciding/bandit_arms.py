"""A running bandit's allocation as the request path reads it, and a visitor's arm under it.

The learning side (:mod:`persx.engine.learning.bandit`: posteriors, P(best), guardrails,
retirement proposals) computes a new :class:`AllocationTable` on a schedule; the request
path only reads the current table from a snapshot and asks :func:`choose`, deterministic per
visitor and allocation version (the GrowthBook-compatible hash of
:mod:`persx.engine.deciding.bucketing`). Holdback membership and the holdback arm use seeds
that depend on the bandit's key only, so a holdback visitor keeps their arm for the
bandit's lifetime; their exposures are recorded under :func:`holdback_key`.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from persx.engine.deciding.bucketing import BucketRange, bucket_ranges, choose_arm, hash_unit
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC

__all__ = [
    "HOLDBACK_SUFFIX",
    "AllocationTable",
    "BanditAssignment",
    "RunningBandit",
    "choose",
    "holdback_key",
]

HOLDBACK_SUFFIX = "/holdback"


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
    pinned: tuple[str, ...] = ()  # arms held at the exploration floor by the guardrail
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


def holdback_key(key: str) -> str:
    """The experiment key a bandit's holdback exposures are recorded under: the holdback is
    a plain randomised experiment of its own in the rollups, so its PLI is read from it."""
    return key + HOLDBACK_SUFFIX


@dataclass(frozen=True, slots=True)
class RunningBandit:
    """A bandit as the request path sees it: the current allocation and what it covers.

    It covers a block when the block type (and page, if set) match, the visitor's audience
    keys include ``audience``, and the block has every arm's variant (``generic`` always
    exists), so every arm it may assign can be served as such.
    """

    table: AllocationTable
    block_type: str
    audience: str
    page_id: str = ""

    @property
    def key(self) -> str:
        return self.table.key

    def covers(
        self,
        block_type: str,
        page_id: str,
        audience_keys: Sequence[str],
        available: Container[str],
    ) -> bool:
        return (
            block_type == self.block_type
            and (not self.page_id or page_id == self.page_id)
            and self.audience in audience_keys
            and all(arm == GENERIC or arm in available for arm in self.table.arms)
        )
