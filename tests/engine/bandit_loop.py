"""The whole bandit loop, many runs in lockstep with numpy: a test-support simulator.

Each run is one bandit with its own random visitors (32 hex characters, as
``secrets.token_hex(16)`` makes them). Visitors arrive in batches; each is assigned exactly as
:func:`persx.engine.learning.bandit.choose` assigns them (GrowthBook v2 hash of the bandit key's
``/holdback``, ``/holdback-arm`` and ``/allocation`` seeds, the table's bucket ranges),
converts with its arm's planted rate, and after each batch the next table is computed
exactly as :func:`persx.engine.learning.bandit.allocate` computes it from every visitor so far
(adaptive and holdback together, as ``analytics.bandit_services.update_bandit`` reads the
rollups): Beta posteriors, P(best) from ``policy.draws`` joint draws, the exploration floor,
the low-P(best) streaks and the retirement proposals. The tables are real
:class:`~persx.engine.learning.bandit.AllocationTable` objects (built by the engine's constructor,
so their bucket ranges are the engine's).

Only the arithmetic is vectorised; ``tests/engine/test_bandit_calibration.py`` replays a few
runs visitor by visitor through the real ``choose``, ``allocate`` (fed the same Beta draws)
and ``holdback_counts`` and requires identical arms, tables and counts at every batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from persx.engine.deciding.bandit_arms import AllocationTable
from persx.engine.deciding.bucketing import fnv1a32
from persx.engine.learning.bandit import BanditPolicy, initial_table
from persx.engine.visitor.audience import GENERIC

_PRIME = np.uint32(0x01000193)
_BASIS = np.uint32(0x811C9DC5)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_ID_LENGTH = 32


def visitor_ids(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.uint8]:
    """Random 32-character hex visitor ids as ASCII bytes, character-major: shape
    ``(32, *shape)`` (``ids[:, r, v]`` is one id), so hashing reads contiguous rows."""
    return _HEX[rng.integers(0, 16, (_ID_LENGTH, *shape), dtype=np.uint8)]


def id_text(column: NDArray[np.uint8]) -> str:
    """One id (a column of :func:`visitor_ids`) as the string the engine hashes."""
    return column.tobytes().decode("ascii")


def hash_unit_v2(seed: str, ids: NDArray[np.uint8]) -> NDArray[np.float64]:
    """``bucketing.hash_unit(seed, id, 2)`` for every id (first axis: the id's characters):
    ``fnv1a32(str(fnv1a32(seed + id))) % 10000 / 10000``."""
    h = np.full(ids.shape[1:], fnv1a32(seed), dtype=np.uint32)  # the state after the seed
    for row in ids:
        h ^= row
        h *= _PRIME  # uint32 arithmetic wraps: the & 0xFFFFFFFF
    h2 = np.full(h.shape, _BASIS, dtype=np.uint32)
    for power in range(9, -1, -1):  # str(h): its decimal digits, most significant first
        place = np.uint32(10**power)
        step = (h2 ^ ((h // place) % np.uint32(10) + np.uint32(48))) * _PRIME
        # a digit of the 10-wide zero-padded form is in str(h) iff h >= 10**power
        # (the units digit always is, so str(0) == "0")
        h2 = np.where(h >= place, step, h2) if power else step
    return (h2 % np.uint32(10000)).astype(np.float64) / 10000


def _first_range(
    n: NDArray[np.float64], starts: NDArray[np.float64], ends: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """``bucketing.choose_arm`` per visitor: index of the first ``[start, end)`` holding
    ``n`` (and whether one does). ``n``: (visitors,); ``starts``/``ends``: (visitors, arms)."""
    inside = (starts <= n[:, None]) & (n[:, None] < ends)
    return inside.argmax(axis=-1).astype(np.int64), np.asarray(inside.any(axis=-1))


def assign(
    tables: Sequence[AllocationTable], ids: NDArray[np.uint8]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """``choose(tables[r], id)`` for every id of run ``r``: (arm index, holdback?)."""
    key = tables[0].key
    assert all(t.key == key for t in tables)
    runs = len(tables)
    share = np.array([t.holdback_share for t in tables])[:, None]
    held = hash_unit_v2(key + "/holdback", ids) < share
    arm = np.empty(held.shape, dtype=np.int64)
    run_of = np.broadcast_to(np.arange(runs)[:, None], held.shape)
    uniform = np.array([t.uniform_ranges for t in tables])  # (runs, arms, 2)
    ranges = np.array([t.ranges for t in tables])
    for mask, seed, table_ranges in (
        (held, "/holdback-arm", uniform),
        (~held, "/allocation", ranges),
    ):
        n = hash_unit_v2(key + seed, ids[:, mask])
        r = run_of[mask]
        index, found = _first_range(n, table_ranges[r, :, 0], table_ranges[r, :, 1])
        # ``arms[index or 0]`` in the holdback; past the top of the ranges: the last arm
        arm[mask] = np.where(found, index, 0 if seed == "/holdback-arm" else ranges.shape[1] - 1)
    return arm, held


def beta_draws(
    rng: np.random.Generator, a: NDArray[np.float64], b: NDArray[np.float64], draws: int
) -> NDArray[np.float64]:
    """(runs, draws, arms) joint posterior draws, ``Beta(a, b)`` per run and arm."""
    runs, arms = a.shape
    return rng.beta(
        np.broadcast_to(a[:, None, :], (runs, draws, arms)),
        np.broadcast_to(b[:, None, :], (runs, draws, arms)),
    )


def next_tables(
    tables: Sequence[AllocationTable], policy: BanditPolicy, draws: NDArray[np.float64]
) -> list[AllocationTable]:
    """``allocate(tables[r], counts[r], policy, rng)`` for every run, without pinned arms,
    where ``draws[r, d, i]`` is the ``d``-th posterior draw of arm ``i`` (the order in which
    ``probability_best`` asks its random source)."""
    runs, _, k = draws.shape
    wins = np.zeros((runs, k), dtype=np.int64)
    np.add.at(wins, (np.repeat(np.arange(runs), draws.shape[1]), draws.argmax(-1).ravel()), 1)
    p_best = wins / policy.draws
    floor = policy.min_exploration
    raw = floor + (1 - k * floor) * p_best
    total = np.zeros(runs)
    for i in range(k):  # Python's sum(): left to right from 0
        total = total + raw[:, i]
    weights = raw / total[:, None]
    result = []
    for r, previous in enumerate(tables):
        streak = tuple(
            s + 1 if p < policy.retire_below else 0
            for s, p in zip(previous.low_streak, p_best[r].tolist(), strict=True)
        )
        result.append(
            AllocationTable(
                previous.key,
                previous.version + 1,
                previous.arms,
                tuple(weights[r].tolist()),
                previous.holdback_share,
                tuple(p_best[r].tolist()),
                streak,
                tuple(
                    arm
                    for arm, s in zip(previous.arms, streak, strict=True)
                    if s >= policy.retire_after and arm != GENERIC
                ),
                (),
            )
        )
    return result


@dataclass
class Batch:
    """What one batch of every run saw (kept only when the caller asks for a record)."""

    ids: NDArray[np.uint8]  # (32, runs, visitors): see visitor_ids
    uniforms: NDArray[np.float64]  # (runs, visitors): converted when below the arm's rate
    arm: NDArray[np.int64]
    held: NDArray[np.bool_]
    draws: NDArray[np.float64]  # (runs, policy.draws, arms): the update after this batch
    # (none after the last batch)


@dataclass
class LoopResult:
    """Cumulative holdback counts after each batch, (batches, runs, arms), and the tables
    (``tables[b][r]``: run ``r``'s table in force during batch ``b``)."""

    holdback_conversions: NDArray[np.int64]
    holdback_visitors: NDArray[np.int64]
    tables: list[list[AllocationTable]]
    batches: list[Batch] = field(default_factory=list)

    def first_proposal(self) -> NDArray[np.int64]:
        """Per run, the batch after which the first retirement proposal appeared (the
        update that follows it carries the proposal); the last batch when none did."""
        n_batches = len(self.tables)
        stop = np.full(len(self.tables[0]), n_batches - 1)
        for r in range(len(stop)):
            for b in range(n_batches - 1):
                if self.tables[b + 1][r].retirement_proposals:
                    stop[r] = b
                    break
        return stop


def _per_arm(
    cell: NDArray[np.int64], mask: NDArray[np.bool_] | None, runs: int, k: int
) -> NDArray[np.int64]:
    """Visitors per (run, arm), counting only where ``mask`` holds (all when None)."""
    weights = None if mask is None else mask.ravel().astype(np.float64)
    return np.bincount(cell, weights, minlength=runs * k).astype(np.int64).reshape(runs, k)


def run_loop(
    *,
    key: str,
    arms: Sequence[str],
    rates: Sequence[float],
    policy: BanditPolicy,
    runs: int,
    batches: int,
    visitors_per_batch: int,
    rng: np.random.Generator,
    chunk: int = 500,
    record: bool = False,
) -> LoopResult:
    """Simulate ``runs`` independent bandits (same key, their own visitors) for ``batches``
    batches, updating every run's allocation after every batch."""
    k = len(arms)
    rate = np.asarray(rates, dtype=np.float64)
    tables = [[initial_table(key, arms, policy) for _ in range(runs)]]
    conv = np.zeros((runs, k), dtype=np.int64)
    seen = np.zeros((runs, k), dtype=np.int64)
    held_conv = np.zeros((batches, runs, k), dtype=np.int64)
    held_seen = np.zeros((batches, runs, k), dtype=np.int64)
    recorded: list[Batch] = []
    for b in range(batches):
        current = tables[-1]
        ids = visitor_ids(rng, (runs, visitors_per_batch))
        arm, held = assign(current, ids)
        uniforms = rng.random((runs, visitors_per_batch))
        converted = uniforms < rate[arm]
        cell = (np.arange(runs)[:, None] * k + arm).ravel()  # (run, arm) of each visitor

        seen += _per_arm(cell, None, runs, k)
        conv += _per_arm(cell, converted, runs, k)
        held_seen[b] = (held_seen[b - 1] if b else 0) + _per_arm(cell, held, runs, k)
        held_conv[b] = (held_conv[b - 1] if b else 0) + _per_arm(cell, held & converted, runs, k)
        if b == batches - 1:  # the report is read now: no further version is needed
            if record:
                recorded.append(Batch(ids, uniforms, arm, held, np.zeros((runs, 0, k))))
            break
        a = (policy.prior_alpha + conv).astype(np.float64)
        beta = (policy.prior_beta + seen - conv).astype(np.float64)
        updated: list[AllocationTable] = []
        draws_kept = []
        for lo in range(0, runs, chunk):
            draws = beta_draws(rng, a[lo : lo + chunk], beta[lo : lo + chunk], policy.draws)
            updated += next_tables(current[lo : lo + chunk], policy, draws)
            if record:
                draws_kept.append(draws)
        tables.append(updated)
        if record:
            recorded.append(Batch(ids, uniforms, arm, held, np.concatenate(draws_kept)))
    return LoopResult(held_conv, held_seen, tables, recorded)
