"""The adjusted estimates' cells, counted once per rollup run instead of once per report.

Counting an experiment's visitors by pre-exposure cell (:mod:`~persx.analytics.unit_cells`)
joins each visitor's first exposure and every page view before it: O(events), 30 s at 10 M
events. The counts change only when the rollups do, so the end of each rollup run
(:func:`refresh_adjustment_cells`, called by :mod:`~persx.analytics.services` under the
rollup's lock) counts them for the running experiments and the global holdout, every
conversion metric at once, in one statement per experiment, and stores them
(:class:`~persx.analytics.models.AdjustmentCell`) with the watermark they were counted at.
The report reads them (:func:`stored_cells`: O(cells)) while the watermark is unchanged,
and counts live otherwise (a stopped experiment, a rollup in progress, an erasure since).

Visitors linked to an account before their first exposure are counted in the stored cells
like any other; the report names them (their accounts come from the links, which change
outside rollup runs), takes each out of its cell and gives them a row of their own, from
the same events up to the watermark. The result is the list :func:`unit_cells` would give
at that watermark, in the same order.

Erasure: :func:`forget_adjustment_cells` deletes the cells of every experiment the erased
visitors were in, before their rollup rows go; those reports count live until the next
rollup run counts them again without the visitors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable

from django.db import connection

from persx.analytics.models import AdjustmentCell, ExperimentVisitor, VisitorConversion
from persx.analytics.unit_cells import UnitCell, visitor_facts_sql
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.events.experiment_metrics import METRICS
from persx.experiments.models import Experiment

CELLS = AdjustmentCell._meta.db_table
VC = VisitorConversion._meta.db_table
IDS_PER_QUERY = 500  # visitor ids in one IN list (SQLite's bound on parameters is low)

Where = tuple[str, str, str, str, int, int]  # arm, industry, persona, page, band, fold

_GROUP = "arm, industry, persona, page, band, fold"
_SAME_CELL = " AND ".join(f"v.{c} = n.{c}" for c in _GROUP.split(", "))


def _refresh_sql(metrics: int) -> str:
    """The insert of one experiment's cells for ``metrics`` metrics. Parameters:
    the watermark, the experiment (the visitor facts), the experiment (its conversions),
    the metrics, the experiment and the watermark (the stored columns)."""
    listed = " UNION ALL ".join(["SELECT %s AS metric"] * metrics)
    return f"""
INSERT INTO {CELLS} (experiment, metric, arm, industry, persona, landing_page, band, fold,
                     visitors, conversions, through_event_id)
WITH facts AS ({visitor_facts_sql()}),
counted AS (
    SELECT {_GROUP}, COUNT(*) AS visitors FROM facts GROUP BY {_GROUP}
),
converted AS (
    SELECT c.metric AS metric, {", ".join(f"f.{c}" for c in _GROUP.split(", "))},
           COUNT(*) AS conversions
    FROM facts f JOIN {VC} c ON c.visitor_id = f.visitor_id AND c.experiment = %s
    GROUP BY c.metric, {", ".join(f"f.{c}" for c in _GROUP.split(", "))}
),
metrics AS ({listed})
SELECT %s, m.metric, n.arm, n.industry, n.persona, n.page, n.band, n.fold, n.visitors,
       COALESCE(v.conversions, 0), %s
FROM counted n
CROSS JOIN metrics m
LEFT JOIN converted v ON v.metric = m.metric AND {_SAME_CELL}
"""


def _experiments() -> dict[str, tuple[str, ...]]:
    """The experiments whose cells are kept, with the metrics to count: every conversion
    metric, and the experiment's primary metric whatever it is."""
    rates = tuple(m.key for m in METRICS if m.kind == "rate")
    kept = {HOLDOUT_EXPERIMENT: rates}
    for key, primary in Experiment.objects.filter(status="running").values_list(
        "key", "primary_metric"
    ):
        kept[key] = tuple(dict.fromkeys((*rates, primary or "form_submission")))
    return kept


def refresh_adjustment_cells(watermark: int) -> list[str]:
    """Count the kept experiments' cells again from the rollups and the events up to
    ``watermark`` (the rollup state's; the caller holds its lock), skipping those already
    counted at it. The experiments counted."""
    current = set(
        AdjustmentCell.objects.filter(through_event_id=watermark)
        .values_list("experiment", flat=True)
        .distinct()
    )
    counted = []
    with connection.cursor() as cursor:
        for experiment, metrics in _experiments().items():
            if experiment in current:
                continue
            cursor.execute(f"DELETE FROM {CELLS} WHERE experiment = %s", [experiment])
            cursor.execute(
                _refresh_sql(len(metrics)),
                [watermark, experiment, experiment, *metrics, experiment, watermark],
            )
            counted.append(experiment)
    return counted


def forget_adjustment_cells(visitor_ids: Iterable[str]) -> int:
    """Erasure: delete the stored cells of every experiment these visitors were exposed to
    (call before their rollup rows are deleted). Rows deleted."""
    ids = sorted({v for v in visitor_ids if v})
    experiments = set(
        ExperimentVisitor.objects.filter(visitor_id__in=ids).values_list("experiment", flat=True)
    )
    if not experiments:
        return 0
    deleted, _ = AdjustmentCell.objects.filter(experiment__in=experiments).delete()
    return deleted


def _linked_cells(
    experiment: str, metric: str, watermark: int, linked: Collection[str]
) -> list[UnitCell]:
    """One cell per linked visitor (``linked`` ids), counted from the events up to
    ``watermark`` like the stored cells."""
    ids = sorted(linked)
    converted: set[str] = set()
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            cursor.execute(visitor_facts_sql(len(chunk)), [watermark, experiment, *chunk])
            rows.extend(cursor.fetchall())
            converted.update(
                VisitorConversion.objects.filter(
                    experiment=experiment, metric=metric, visitor_id__in=chunk
                ).values_list("visitor_id", flat=True)
            )
    return [
        UnitCell(
            arm,
            industry,
            persona,
            page or "",
            int(band),
            int(fold),
            visitor,
            1,
            int(visitor in converted),
        )
        for visitor, arm, industry, persona, page, band, fold in rows
    ]


def stored_cells(
    experiment: str, metric: str, watermark: int, linked: Collection[str]
) -> list[UnitCell] | None:
    """The cells :func:`~persx.analytics.unit_cells.unit_cells` gives at ``watermark``,
    from the stored counts, with the ``linked`` visitors (those linked to an account before
    their first exposure) in rows of their own; ``None`` when no counts are stored for
    ``experiment`` and ``metric`` at this watermark."""
    rows = list(
        AdjustmentCell.objects.filter(experiment=experiment, metric=metric).values_list(
            "arm",
            "industry",
            "persona",
            "landing_page",
            "band",
            "fold",
            "visitors",
            "conversions",
            "through_event_id",
        )
    )
    if not rows or any(row[-1] != watermark for row in rows):
        return None
    visitors: Counter[Where] = Counter()
    conversions: Counter[Where] = Counter()
    for arm, industry, persona, page, band, fold, n, converted, _ in rows:
        where = (arm, industry, persona, page, band, fold)
        visitors[where] += n
        conversions[where] += converted
    own = _linked_cells(experiment, metric, watermark, linked) if linked else []
    for cell in own:
        where = (cell.arm, cell.industry, cell.persona, cell.landing_page, cell.band, cell.fold)
        visitors[where] -= 1
        conversions[where] -= cell.conversions
    cells = [UnitCell(*where, "", n, conversions[where]) for where, n in visitors.items() if n > 0]
    return sorted([*cells, *own], key=lambda c: c.key)
