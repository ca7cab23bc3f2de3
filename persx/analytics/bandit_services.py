"""The scheduled bandit update: rollups → ``engine.bandit`` → a new allocation version.

For each running bandit: the per-arm visitors and conversions on its metric (adaptive and
holdback traffic together: both are honest observations of each arm's rate, and Thompson
sampling only needs the posteriors), the guardrail metric's the same way, the guardrail
judgement (``engine.bandit.guardrail_breaches``: arms clearly worse than generic beyond the
tolerated drop are pinned to the exploration floor), then ``engine.bandit.allocate`` from
the latest version. The new table is stored through ``experiments.services`` with a
summary of its inputs, which invalidates the request path's snapshot in every process.

Random draws are seeded by bandit key and version, so re-running an update on the same
rollups reproduces the table.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from persx.analytics.models import DailyRollup
from persx.analytics.services import update_rollups
from persx.engine.deciding.bandit_arms import AllocationTable, holdback_key
from persx.engine.learning.bandit import ArmCounts, allocate, guardrail_breaches, initial_table
from persx.engine.visitor.audience import GENERIC
from persx.experiments.bandit_mappers import setup_of, table_of
from persx.experiments.models import Bandit, BanditAllocation
from persx.experiments.services import store_allocation


@dataclass(frozen=True, slots=True)
class BanditUpdate:
    key: str
    version: int
    weights: dict[str, float]
    pinned: tuple[str, ...]
    proposals: tuple[str, ...]
    note: str


def arm_counts(key: str, metric: str, holdback_only: bool = False) -> dict[str, ArmCounts]:
    """Visitors and converted visitors per arm on ``metric`` (one grouped query)."""
    keys = [holdback_key(key)] if holdback_only else [key, holdback_key(key)]
    rows = (
        DailyRollup.objects.filter(experiment__in=keys, metric=metric)
        .values("arm")
        .annotate(v=Sum("visitors"), c=Sum("conversions"))
        .order_by()
    )
    counts: dict[str, ArmCounts] = {}
    for row in rows:
        visitors = int(row["v"] or 0)
        counts[row["arm"]] = ArmCounts(row["arm"], min(int(row["c"] or 0), visitors), visitors)
    return counts


def _rng(key: str, version: int) -> random.Random:
    return random.Random(zlib.crc32(f"{key}:{version}".encode()))


def latest_table(bandit: Bandit) -> AllocationTable | None:
    row = BanditAllocation.objects.filter(bandit=bandit).order_by("-version").first()
    return table_of(bandit.key, row) if row is not None else None


def update_bandit(bandit: Bandit, now: datetime | None = None) -> BanditUpdate:
    """Compute and store the next allocation version of one bandit."""
    setup = setup_of(bandit)
    previous = latest_table(bandit) or initial_table(bandit.key, setup.arms, setup.policy)
    counts = arm_counts(bandit.key, setup.metric)
    rng = _rng(bandit.key, previous.version + 1)
    pinned: tuple[str, ...] = ()
    guard: dict[str, ArmCounts] = {}
    if setup.guardrail_metric:
        guard = arm_counts(bandit.key, setup.guardrail_metric)
        pinned = guardrail_breaches(guard, GENERIC, setup.guardrail_drop, setup.policy, rng)
    table = allocate(previous, counts, setup.policy, rng, pinned)
    note = (
        f"guardrail: {', '.join(pinned)} held at the exploration floor "
        f"({setup.guardrail_metric} more than {setup.guardrail_drop:.0%} below generic)"
        if pinned
        else "guardrail: no arm below its tolerance"
        if setup.guardrail_metric
        else "no guardrail metric"
    )
    store_allocation(
        bandit,
        table,
        {
            "metric": setup.metric,
            "counts": {a: [c.conversions, c.visitors] for a, c in counts.items()},
            "guardrail_metric": setup.guardrail_metric,
            "guardrail_counts": {a: [c.conversions, c.visitors] for a, c in guard.items()},
            "guardrail_drop": setup.guardrail_drop,
            "pinned": list(pinned),
            "note": note,
        },
        now or timezone.now(),
    )
    return BanditUpdate(
        bandit.key,
        table.version,
        dict(zip(table.arms, table.weights, strict=True)),
        table.pinned,
        table.retirement_proposals,
        note,
    )


def update_running_bandits(
    now: datetime | None = None, refresh_rollups: bool = True
) -> list[BanditUpdate]:
    """One scheduled pass: fold new events into the rollups, then update every running
    bandit (a bandit that fails to validate is reported by the caller, not skipped silently:
    the exception propagates after the others are done)."""
    if refresh_rollups:
        update_rollups()
    updates: list[BanditUpdate] = []
    failures: list[tuple[str, Exception]] = []
    for bandit in Bandit.objects.filter(status=Bandit.Status.RUNNING).order_by("key"):
        try:
            updates.append(update_bandit(bandit, now))
        except ValueError as exc:
            failures.append((bandit.key, exc))
    if failures:
        raise BanditUpdateFailed(updates, failures)
    return updates


class BanditUpdateFailed(Exception):
    def __init__(self, done: list[BanditUpdate], failures: list[tuple[str, Exception]]) -> None:
        super().__init__("; ".join(f"{key}: {exc}" for key, exc in failures))
        self.done = done
        self.failures = failures
