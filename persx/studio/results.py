"""What the reports say about live variants, as the studio needs it.

Reads the experiment reports (:mod:`persx.analytics.reports`): a variant is underperforming
when a running experiment's (or the global holdout's) report gives its audience the
"underperforming" verdict on the primary metric, i.e. only on evidence. The flag applies
to the blocks the experiment covers (its scope: site, block type or page).

Building the reports costs about a second, so the flags are an in-process snapshot rebuilt
after ``PERSX["CACHE_TTL_SECONDS"]`` (reports change only when the rollups run).
"""

from __future__ import annotations

from dataclasses import dataclass

from persx.analytics.report_queries import all_designs
from persx.analytics.reports import build_report
from persx.caching.snapshot import Snapshot
from persx.engine.stats import VerdictStatus
from persx.experiments.models import Experiment


@dataclass(frozen=True, slots=True)
class Underperforming:
    audience: str
    experiment: str
    scope_kind: str  # site | block_type | page
    scope_value: str
    message: str


def underperforming_variants() -> tuple[Underperforming, ...]:
    """The current flags (from the snapshot)."""
    return _flags.get()


def build_underperforming() -> tuple[Underperforming, ...]:
    designs = [d for d in all_designs() if d.status == "running"]
    scopes = {
        key: (kind, value)
        for key, kind, value in Experiment.objects.filter(
            key__in=[d.key for d in designs]
        ).values_list("key", "scope_kind", "scope_value")
    }
    found = []
    for design in designs:
        report = build_report(design, with_variants=True)
        kind, value = scopes.get(design.key, ("site", ""))
        for row in report.variants:
            if row.verdict is not None and row.verdict.status == VerdictStatus.UNDERPERFORMING:
                found.append(
                    Underperforming(row.variant, design.key, kind, value, row.verdict.message)
                )
    return tuple(found)


_flags: Snapshot[tuple[Underperforming, ...]] = Snapshot(
    "studio-underperforming", build_underperforming
)
