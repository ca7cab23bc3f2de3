"""Deterministic bucketing and experiment assignment, compatible with GrowthBook's hashing.

An edge worker, a browser script or any GrowthBook SDK can reproduce every assignment made
here from the visitor id alone (specification: docs/hashing.md). The functions mirror
``growthbook.core`` (``fnv1a32``, ``gbhash``, ``getBucketRanges``, ``chooseVariation``,
``inNamespace``) operation for operation, including float accumulation order, so the
bucket boundaries are bit-identical:

- FNV-1a 32-bit over UTF-16 code units (JavaScript's ``charCodeAt``). For text in the Basic
  Multilingual Plane that is ``ord(c)`` per character, exactly the pseudocode in docs/hashing.md; a
  character outside it (e.g. an emoji) counts as its two surrogate code units, as in the JS
  and Python SDKs.
- hash v1 = ``fnv(value + seed) % 1000 / 1000``;
  hash v2 = ``fnv(str(fnv(seed + value))) % 10000 / 10000`` (better spread; the default).
- Bucket ranges walk the weights cumulatively; arm *i* gets
  ``[start_i, start_i + coverage * w_i)``. Coverage is clamped to [0, 1]. A weight vector
  GrowthBook would not accept (wrong length, negative or non-finite entries, or a sum
  outside [0.99, 1.01]) is replaced by equal weights, as GrowthBook does. It is *not*
  rescaled proportionally. :class:`ExperimentSpec` refuses such vectors up front, so a
  configured experiment never silently falls back to equal weights.

No numpy here: this runs on the request path. Per-experiment data (ranges, seeds) is
computed once, when an :class:`ExperimentSpec` is built.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from persx.engine.setup_errors import InvalidSetup

__all__ = [
    "HASH_VERSIONS",
    "Assignment",
    "BucketRange",
    "ExperimentSpec",
    "Namespace",
    "RandomizationUnit",
    "assign",
    "bucket_ranges",
    "choose_arm",
    "equal_weights",
    "fnv1a32",
    "hash_unit",
    "holdout",
    "in_namespace",
    "in_range",
    "is_valid_weights",
    "unit_id",
]

BucketRange = tuple[float, float]
"""A half-open interval ``[start, end)`` of the unit hash space."""

Namespace = tuple[str, float, float]
"""``(namespace id, start, end)``: experiments whose ranges in one id do not overlap are
mutually exclusive."""

HASH_VERSIONS: frozenset[int] = frozenset({1, 2})

_FNV_OFFSET_BASIS = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK_32 = 0xFFFFFFFF
_WEIGHT_SUM_MIN = 0.99
_WEIGHT_SUM_MAX = 1.01


def fnv1a32(text: str) -> int:
    """FNV-1a 32-bit hash of ``text`` over its UTF-16 code units (as JavaScript sees it)."""
    return _fnv_update(_FNV_OFFSET_BASIS, text)


def _fnv_update(h: int, text: str) -> int:
    """Continue an FNV-1a state over ``text``: ``fnv1a32(a + b) == _fnv_update(fnv1a32(a), b)``.

    Lets an experiment hash its seed prefix once instead of on every assignment.
    """
    if text.isascii():
        for unit in text.encode("ascii"):
            h = ((h ^ unit) * _FNV_PRIME) & _MASK_32
        return h
    data = text.encode("utf-16-le", "surrogatepass")
    for unit in struct.unpack(f"<{len(data) // 2}H", data):
        h = ((h ^ unit) * _FNV_PRIME) & _MASK_32
    return h


def hash_unit(seed: str, value: str, version: int) -> float | None:
    """Map ``value`` (a visitor id) to a number in ``[0, 1)``, deterministically per ``seed``.

    - version 1: ``fnv1a32(value + seed) % 1000 / 1000`` (1,000 buckets, GrowthBook legacy);
    - version 2: ``fnv1a32(str(fnv1a32(seed + value))) % 10000 / 10000`` (10,000 buckets).

    Returns ``None`` for any other version (the caller must then not enrol the visitor).
    Identical to ``growthbook.core.gbhash``; e.g. ``hash_unit("", "a", 1) == 0.22`` and
    ``hash_unit("seed", "a", 2) == 0.0505``.
    """
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def in_range(n: float, bucket: BucketRange) -> bool:
    """True when ``n`` lies in the half-open range ``[start, end)``."""
    return bucket[0] <= n < bucket[1]


def in_namespace(visitor_id: str, namespace: Namespace) -> bool:
    """True when the visitor falls in ``namespace = (id, start, end)``.

    The namespace hash is version 1 with seed ``"__" + id`` (GrowthBook's ``inNamespace``),
    independent of any experiment's seed, so experiments given disjoint ``[start, end)``
    ranges of the same namespace id never share a visitor.
    """
    n = hash_unit("__" + namespace[0], visitor_id, 1)
    if n is None:  # pragma: no cover - version 1 always hashes
        return False
    return namespace[1] <= n < namespace[2]


def equal_weights(n_arms: int) -> tuple[float, ...]:
    """``n_arms`` weights of ``1 / n_arms`` (empty for fewer than one arm)."""
    if n_arms < 1:
        return ()
    return tuple(1 / n_arms for _ in range(n_arms))


def is_valid_weights(weights: Sequence[float] | None, n_arms: int) -> bool:
    """GrowthBook's weight rule: one finite, non-negative number per arm, summing to ~1.

    "~1" means within [0.99, 1.01]. Anything else is replaced by equal weights at bucketing.
    """
    if weights is None or isinstance(weights, str) or len(weights) != n_arms:
        return False
    try:
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, int | float):
                return False
            if not math.isfinite(w) or w < 0:
                return False
        return _WEIGHT_SUM_MIN <= sum(weights) <= _WEIGHT_SUM_MAX
    except OverflowError:  # an int too large for a float
        return False


def bucket_ranges(
    n_arms: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> tuple[BucketRange, ...]:
    """The hash range of each arm: ``[start_i, start_i + coverage * w_i)``.

    ``start_i`` is the cumulative weight of the arms before *i*, so an arm's range starts at
    the same place whatever the coverage: raising coverage later only adds visitors, it never
    moves anyone to another arm. ``coverage`` is clamped to [0, 1]; invalid ``weights`` (see
    :func:`is_valid_weights`) become equal weights. Same floats as GrowthBook's
    ``getBucketRanges``: e.g. 3 arms, coverage 0.2, weights (0.2, 0.3, 0.5) →
    ``((0, 0.04), (0.2, 0.26), (0.5, 0.6))``.
    """
    if coverage < 0:
        coverage = 0
    if coverage > 1:
        coverage = 1
    used: Sequence[float] = (
        weights
        if weights is not None and is_valid_weights(weights, n_arms)
        else equal_weights(n_arms)
    )
    cumulative: float = 0
    ranges: list[BucketRange] = []
    for w in used:
        start = cumulative
        cumulative += w
        ranges.append((start, start + coverage * w))
    return tuple(ranges)


def choose_arm(n: float, ranges: Sequence[BucketRange]) -> int | None:
    """Index of the first range containing ``n``, or ``None`` when ``n`` is outside coverage.

    (GrowthBook's ``chooseVariation`` returns ``-1`` where this returns ``None``.)
    """
    for i, (start, end) in enumerate(ranges):
        if start <= n < end:
            return i
    return None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The arm a visitor is in, and the hash value that put them there."""

    arm_index: int
    arm: str
    hash_value: float


@dataclass(frozen=True, slots=True)
class ExperimentSpec:
    """What bucketing needs to know about one experiment.

    ``seed`` falls back to ``key`` when empty (as in GrowthBook). ``weights`` of ``None``
    means equal weights; otherwise it must be a GrowthBook-valid vector (one non-negative
    finite weight per arm, summing to within [0.99, 1.01]): anything else raises
    ``ValueError`` rather than silently becoming equal weights. ``hash_version`` must be 1
    or 2; ``namespace`` is ``(id, start, end)`` or ``None``.
    """

    key: str
    seed: str
    arms: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    coverage: float = 1.0
    hash_version: int = 2
    namespace: Namespace | None = None
    ranges: tuple[BucketRange, ...] = field(init=False, repr=False, compare=False)
    effective_seed: str = field(init=False, repr=False, compare=False)
    _seed_state: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.arms) < 2:
            raise InvalidSetup("arms", f"experiment {self.key!r} needs at least two arms")
        if self.hash_version not in HASH_VERSIONS:
            raise InvalidSetup(
                "hash_version", f"experiment {self.key!r}: unknown hash_version {self.hash_version}"
            )
        if self.weights is not None and not is_valid_weights(self.weights, len(self.arms)):
            raise InvalidSetup(
                "arms",
                f"experiment {self.key!r}: weights {self.weights!r} must be one non-negative "
                f"number per arm ({len(self.arms)}) summing to 1",
            )
        if not (isinstance(self.coverage, int | float) and 0 <= self.coverage <= 1):
            raise InvalidSetup(
                "coverage", f"experiment {self.key!r}: coverage must be within [0, 1]"
            )
        if self.namespace is not None and not (0 <= self.namespace[1] <= self.namespace[2] <= 1):
            raise InvalidSetup(
                "namespace", f"experiment {self.key!r}: namespace range must be within [0, 1]"
            )
        object.__setattr__(
            self, "ranges", bucket_ranges(len(self.arms), self.coverage, self.weights)
        )
        object.__setattr__(self, "effective_seed", self.seed or self.key)
        object.__setattr__(self, "_seed_state", fnv1a32(self.effective_seed))


def assign(spec: ExperimentSpec, visitor_id: str) -> Assignment | None:
    """The visitor's arm in ``spec``, or ``None`` when they are not in the experiment.

    Not in the experiment means: empty visitor id, outside the spec's namespace range, or
    a hash outside the coverage. Mirrors GrowthBook's ``run`` steps 6-10 (hash attribute
    value, namespace, hash with ``seed or key``, bucket ranges, choose variation).
    """
    if not visitor_id:
        return None
    if spec.namespace is not None and not in_namespace(visitor_id, spec.namespace):
        return None
    if spec.hash_version == 2:
        n = (fnv1a32(str(_fnv_update(spec._seed_state, visitor_id))) % 10000) / 10000
    else:
        n = (fnv1a32(visitor_id + spec.effective_seed) % 1000) / 1000
    for i, (start, end) in enumerate(spec.ranges):
        if start <= n < end:
            return Assignment(i, spec.arms[i], n)
    return None


class RandomizationUnit(StrEnum):
    """What an experiment randomises (docs/hashing.md, "Randomization unit")."""

    VISITOR = "visitor"
    ACCOUNT = "account"


def unit_id(
    unit: RandomizationUnit, visitor_id: str, account_key: str = "", pinned: str = ""
) -> str:
    """The text an experiment hashes for this visitor (the ``value`` of :func:`hash_unit`).

    ``pinned`` first: the unit that was current when the visitor was first exposed (they
    keep the arm they were shown). Otherwise, for an account-level experiment, the account's
    key (its normalized domain) when the visitor's account is known; the visitor id in every
    other case. GrowthBook expresses the same as ``hashAttribute`` = the account and
    ``fallbackAttribute`` = the visitor id.
    """
    if pinned:
        return pinned
    if unit is RandomizationUnit.ACCOUNT and account_key:
        return account_key
    return visitor_id


def holdout(seed: str, visitor_id: str, share: float) -> bool:
    """True when the visitor is in a global holdout of size ``share`` (0..1) under ``seed``.

    Hash version 2; the holdout is ``[0, share)`` of the hash space, i.e. the same visitors
    as a GrowthBook holdout rule with ``ranges [[0, share], [share, 1]]``. Give the holdout
    its own seed so it is independent of every experiment. An empty visitor id is never
    held out.
    """
    if not visitor_id:
        return False
    return (fnv1a32(str(fnv1a32(seed + visitor_id))) % 10000) / 10000 < share
