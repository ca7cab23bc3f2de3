"""What the bandit report shows, read from the stored allocation versions and the rollups.

- allocation over versions (every stored version's shares, pinned arms, proposals, note);
- chance to be best per arm (the latest version's P(best));
- **PLI from the holdback only**: each arm vs generic among the holdback's visitors (a plain
  randomised experiment, recorded under ``<key>/holdback``), Fieller 95% interval
  (``engine.stats.relative_lift``); never from the adaptively allocated traffic;
- the guardrail state and the retirement proposals of the latest version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from persx.analytics.bandit_services import arm_counts
from persx.engine.learning.bandit import ArmCounts
from persx.engine.statistics import LiftInterval, relative_lift
from persx.engine.visitor.audience import GENERIC
from persx.experiments.models import Bandit, BanditAllocation


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    computed_at: datetime
    weights: dict[str, float]
    pinned: tuple[str, ...]
    proposals: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class ArmRow:
    arm: str
    weight: float  # latest share of the adaptive traffic
    p_best: float
    holdback: ArmCounts
    adaptive: ArmCounts
    lift: LiftInterval | None  # vs generic in the holdback (None for generic itself)
    pinned: bool
    proposed: bool

    @property
    def holdback_rate(self) -> float | None:
        h = self.holdback
        return h.conversions / h.visitors if h.visitors else None


@dataclass(frozen=True, slots=True)
class BanditReport:
    bandit: Bandit
    arms: tuple[str, ...]
    versions: tuple[VersionRow, ...]  # oldest first
    rows: tuple[ArmRow, ...]
    guardrail_note: str

    @property
    def latest(self) -> VersionRow | None:
        return self.versions[-1] if self.versions else None

    @property
    def holdback_visitors(self) -> int:
        return sum(r.holdback.visitors for r in self.rows)


def _lift(control: ArmCounts, treatment: ArmCounts) -> LiftInterval | None:
    if control.visitors == 0 or treatment.visitors == 0:
        return None
    return relative_lift(
        control.conversions, control.visitors, treatment.conversions, treatment.visitors
    )


def build_bandit_report(bandit: Bandit) -> BanditReport:
    allocations = list(BanditAllocation.objects.filter(bandit=bandit).order_by("version"))
    versions = tuple(
        VersionRow(
            a.version,
            a.computed_at,
            dict(zip(a.arms, (float(w) for w in a.weights), strict=False)),
            tuple(a.pinned),
            tuple(a.retirement_proposals),
            str((a.inputs or {}).get("note", "")),
        )
        for a in allocations
    )
    arms = tuple(allocations[-1].arms) if allocations else (GENERIC, *bandit.arms)
    latest = allocations[-1] if allocations else None
    p_best = dict(zip(arms, latest.p_best, strict=False)) if latest else {}
    held = arm_counts(bandit.key, bandit.metric, holdback_only=True)
    everyone = arm_counts(bandit.key, bandit.metric)
    control = held.get(GENERIC, ArmCounts(GENERIC, 0, 0))
    rows = []
    for arm in arms:
        holdback = held.get(arm, ArmCounts(arm, 0, 0))
        total = everyone.get(arm, ArmCounts(arm, 0, 0))
        adaptive = ArmCounts(
            arm,
            max(total.conversions - holdback.conversions, 0),
            max(total.visitors - holdback.visitors, 0),
        )
        rows.append(
            ArmRow(
                arm,
                versions[-1].weights.get(arm, 0.0) if versions else 0.0,
                float(p_best.get(arm, 0.0)),
                holdback,
                adaptive,
                None if arm == GENERIC else _lift(control, holdback),
                latest is not None and arm in latest.pinned,
                latest is not None and arm in latest.retirement_proposals,
            )
        )
    note = versions[-1].note if versions else "no allocation yet"
    return BanditReport(bandit, arms, versions, tuple(rows), note)
