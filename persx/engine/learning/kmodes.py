"""k-modes clustering of categorical answers (Huang 1998), for set-valued start-form answers.

Each item is a set of attributes (``goal:…``, ``tool:…``, ``role:…`` words). Seen as one
binary attribute per possible value, the k-modes dissimilarity is the Hamming distance,
which for sets is the size of the symmetric difference; a cluster's mode holds each
attribute that at least half of its members have. Iterate: assign each item to the nearest
mode (ties to the lower index), recompute modes, until nothing moves.

Initial modes are ``k`` distinct items drawn with an injected ``random.Random``-like source,
and the best of ``restarts`` runs (lowest total distance) wins, so a seed fixes the result.
Written here rather than taken from a package: it is thirty lines over plain sets, and the
answers are a few thousand short sets, far below where an optimised library would matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clustering", "kmodes"]


class Sampler(Protocol):
    def sample(self, population: Sequence[int], k: int) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class Clustering:
    modes: tuple[frozenset[str], ...]
    labels: tuple[int, ...]  # cluster index of each item
    cost: int  # total distance of items to their mode


def _distance(a: frozenset[str], b: frozenset[str]) -> int:
    return len(a ^ b)


def _mode(members: Sequence[frozenset[str]]) -> frozenset[str]:
    counts: dict[str, int] = {}
    for item in members:
        for attribute in item:
            counts[attribute] = counts.get(attribute, 0) + 1
    half = len(members) / 2
    return frozenset(a for a, n in counts.items() if n >= half)


def _run(items: Sequence[frozenset[str]], modes: list[frozenset[str]], max_iter: int) -> Clustering:
    labels: list[int] = []

    def nearest(item: frozenset[str]) -> int:
        best, best_distance = 0, _distance(item, modes[0])
        for k in range(1, len(modes)):
            d = _distance(item, modes[k])
            if d < best_distance:
                best, best_distance = k, d
        return best

    for _ in range(max_iter):
        new = [nearest(item) for item in items]
        if new == labels:
            break
        labels = new
        for k in range(len(modes)):
            members = [items[i] for i, label in enumerate(labels) if label == k]
            modes[k] = _mode(members) if members else modes[k]  # an emptied cluster keeps its mode
    cost = sum(_distance(item, modes[label]) for item, label in zip(items, labels, strict=True))
    return Clustering(tuple(modes), tuple(labels), cost)


def kmodes(
    items: Sequence[frozenset[str]],
    k: int,
    rng: Sampler,
    restarts: int = 5,
    max_iter: int = 50,
) -> Clustering:
    """Cluster ``items`` into at most ``k`` groups (fewer when there are fewer distinct items)."""
    distinct = list(dict.fromkeys(items))
    k = min(k, len(distinct))
    if k <= 0:
        return Clustering((), tuple(0 for _ in items), 0)
    best: Clustering | None = None
    for _ in range(max(restarts, 1)):
        start = [distinct[i] for i in rng.sample(range(len(distinct)), k)]
        result = _run(items, start, max_iter)
        if best is None or result.cost < best.cost:
            best = result
    assert best is not None
    return best
