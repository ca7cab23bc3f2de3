"""Bandit rows ↔ engine objects: the setup (validated by the engine), allocation tables,
and the running bandits the request path reads (through the snapshot in ``repository``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import F, OuterRef, Subquery

from persx.engine.deciding.bandit_arms import AllocationTable, RunningBandit
from persx.engine.learning.bandit import BanditPolicy, BanditSetup
from persx.events.experiment_metrics import METRICS
from persx.experiments.models import Bandit, BanditAllocation

logger = logging.getLogger("persx.experiments")

BANDIT_METRICS = tuple(m.key for m in METRICS)


def build_setup(
    *,
    key: str,
    block_type: str,
    audience: str,
    arms: Any,
    metric: str,
    guardrail_metric: str,
    guardrail_drop: float,
    holdback_share: float,
    min_exploration: float,
    retire_below: float,
    retire_after: int,
    page_id: str = "",
) -> BanditSetup:
    """Validate through the engine (raises ``InvalidSetup`` naming the field)."""
    return BanditSetup.build(
        key=key,
        block_type=block_type,
        audience=audience,
        arms=[str(a) for a in arms] if isinstance(arms, list) else [],
        metric=metric,
        metrics=BANDIT_METRICS,
        policy=BanditPolicy(
            holdback_share=holdback_share,
            min_exploration=min_exploration,
            retire_below=retire_below,
            retire_after=retire_after,
        ),
        guardrail_metric=guardrail_metric,
        guardrail_drop=guardrail_drop,
        page_id=page_id,
    )


def setup_of(row: Bandit) -> BanditSetup:
    return build_setup(
        key=row.key,
        block_type=row.block_type,
        audience=row.audience,
        arms=row.arms,
        metric=row.metric,
        guardrail_metric=row.guardrail_metric,
        guardrail_drop=row.guardrail_drop,
        holdback_share=row.holdback_share,
        min_exploration=row.min_exploration,
        retire_below=row.retire_below,
        retire_after=row.retire_after,
        page_id=row.page_id_scope,
    )


def table_of(key: str, row: BanditAllocation) -> AllocationTable:
    return AllocationTable(
        key,
        row.version,
        tuple(row.arms),
        tuple(float(w) for w in row.weights),
        row.holdback_share,
        tuple(float(p) for p in row.p_best),
        tuple(int(s) for s in row.low_streak),
        tuple(row.retirement_proposals),
        tuple(row.pinned),
    )


def allocation_fields(table: AllocationTable) -> dict[str, Any]:
    """An engine table → the stored columns of a :class:`BanditAllocation`."""
    return {
        "version": table.version,
        "arms": list(table.arms),
        "weights": list(table.weights),
        "p_best": list(table.p_best),
        "low_streak": list(table.low_streak),
        "retirement_proposals": list(table.retirement_proposals),
        "pinned": list(table.pinned),
        "holdback_share": table.holdback_share,
    }


def load_running_bandits() -> tuple[RunningBandit, ...]:
    """Every running bandit with its latest allocation (one query), oldest start first.

    A bandit without an allocation yet, or whose row no longer validates, is skipped and
    logged: its blocks decide as if it did not exist (never a broken page).
    """
    latest = BanditAllocation.objects.filter(bandit=OuterRef("bandit")).order_by("-version")
    rows = (
        BanditAllocation.objects.filter(
            bandit__status=Bandit.Status.RUNNING, version=Subquery(latest.values("version")[:1])
        )
        .select_related("bandit")
        .order_by(F("bandit__started_at").asc(nulls_last=True), "bandit__key")
    )
    running: list[RunningBandit] = []
    for row in rows:
        bandit = row.bandit
        try:
            setup = setup_of(bandit)
            table = table_of(bandit.key, row)
        except ValueError:
            logger.exception("running bandit %s is invalid; ignored", bandit.key)
            continue
        running.append(RunningBandit(table, setup.block_type, setup.audience, setup.page_id))
    return tuple(running)
