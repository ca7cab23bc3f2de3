"""What a factorial experiment found, from the rollups: cell counts → the engine's analysis →
the sentences the report page says (which block matters, whether they interact, which
combination to ship) and the visitors per cell the design needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from persx.analytics.models import DailyRollup
from persx.charts.number_format import count, percent
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.deciding.factorial_cells import FactorialDefinition
from persx.engine.statistics.factorial import (
    CellPlan,
    Contrast,
    FactorialAnalysis,
    analyse_factorial,
    plan_visitors_per_cell,
)
from persx.events.experiment_metrics import metric
from persx.factorial.mappers import to_definition
from persx.factorial.models import FactorialExperiment

OPTION_LABELS = {"generic": "Generic", "industry": "Industry", "personalized": "Personalized"}
# The effect the planner sizes for: a change of this share of the reference cell's rate.
PLANNED_RELATIVE_EFFECT = 0.2


@dataclass(frozen=True, slots=True)
class CellRow:
    key: str
    label: str
    visitors: int
    conversions: int

    @property
    def rate(self) -> float | None:
        return self.conversions / self.visitors if self.visitors else None


@dataclass(frozen=True, slots=True)
class EffectRow:
    label: str
    contrast: Contrast


@dataclass(frozen=True, slots=True)
class FactorialReport:
    experiment: FactorialExperiment
    metric_label: str
    blocks: tuple[str, ...]  # the factors' block names
    options: tuple[tuple[str, ...], ...]  # each factor's option labels
    cells: tuple[CellRow, ...]
    analysis: FactorialAnalysis | None  # None until every cell has visitors
    main_effects: tuple[EffectRow, ...]
    interactions: tuple[EffectRow, ...]
    which_matters: str
    interaction_sentence: str
    ship_sentence: str
    plan: CellPlan | None
    plan_effect: float | None

    @property
    def fewest_visitors(self) -> int:
        return min((c.visitors for c in self.cells), default=0)


def pp(value: float, signed: bool = True) -> str:
    """An absolute difference of rates in percentage points: ``+3.0 pp``."""
    return percent(value, 1, signed=signed).replace("%", " pp")


def _interval(c: Contrast) -> str:
    return f"95% interval {pp(c.lower)} to {pp(c.upper)}"


def cell_counts(key: str, metric_key: str) -> dict[str, tuple[int, int]]:
    """Visitors and converted visitors per cell key (the rollups' arm) on ``metric_key``."""
    rows = (
        DailyRollup.objects.filter(experiment=key, metric=metric_key)
        .values("arm")
        .annotate(v=Sum("visitors"), c=Sum("conversions"))
        .order_by()
    )
    return {r["arm"]: (int(r["v"] or 0), int(r["c"] or 0)) for r in rows}


def build_report(row: FactorialExperiment) -> FactorialReport:
    definition: FactorialDefinition = to_definition(row)
    blocks = tuple(BLOCK_TYPES.get(f.block_type, f.block_type) for f in definition.factors)
    options = tuple(tuple(OPTION_LABELS[o.value] for o in f.options) for f in definition.factors)
    counts = cell_counts(row.key, row.primary_metric)
    cells = tuple(
        CellRow(
            key,
            " × ".join(
                f"{b}: {options[k][i]}" for k, (b, i) in enumerate(zip(blocks, cell, strict=True))
            ),
            *counts.get(key, (0, 0)),
        )
        for key, cell in zip(definition.cell_keys, definition.cells, strict=True)
    )
    levels = tuple(len(f.options) for f in definition.factors)
    analysis = None
    if all(c.visitors > 0 for c in cells):
        analysis = analyse_factorial(
            levels, [c.conversions for c in cells], [c.visitors for c in cells]
        )
    plan, plan_effect = None, None
    reference_rate = cells[0].rate
    if reference_rate is not None and 0 < reference_rate < 1:
        plan_effect = reference_rate * PLANNED_RELATIVE_EFFECT
        if plan_effect < 1 - reference_rate:
            plan = plan_visitors_per_cell(levels, reference_rate, plan_effect, plan_effect)

    def main_label(c: Contrast) -> str:
        k = c.factors[0]
        return f"{blocks[k]}: {options[k][c.levels[0]]} vs {options[k][0]}"

    def interaction_label(c: Contrast) -> str:
        k, m = c.factors
        return f"{blocks[k]} × {blocks[m]}: {options[k][c.levels[0]]} × {options[m][c.levels[1]]}"

    main_rows = (
        tuple(EffectRow(main_label(c), c) for c in analysis.main_effects) if analysis else ()
    )
    interaction_rows = (
        tuple(EffectRow(interaction_label(c), c) for c in analysis.interactions) if analysis else ()
    )
    if analysis is None:
        waiting = "Not every combination has visitors yet"
        which, interacts, ship = (
            f"{waiting}: no effect can be estimated.",
            f"{waiting}: no interaction can be estimated.",
            f"{waiting}: keep the experiment running before choosing what to ship.",
        )
    else:
        which = _which_matters(analysis, blocks, options, main_rows)
        interacts = _interaction_sentence(analysis, blocks, interaction_rows)
        ship = _ship_sentence(analysis, blocks, options, cells)
    return FactorialReport(
        experiment=row,
        metric_label=metric(row.primary_metric).label,
        blocks=blocks,
        options=options,
        cells=cells,
        analysis=analysis,
        main_effects=main_rows,
        interactions=interaction_rows,
        which_matters=which,
        interaction_sentence=interacts,
        ship_sentence=ship,
        plan=plan,
        plan_effect=plan_effect,
    )


def _which_matters(
    analysis: FactorialAnalysis,
    blocks: tuple[str, ...],
    options: tuple[tuple[str, ...], ...],
    rows: tuple[EffectRow, ...],
) -> str:
    matters = analysis.factors_that_matter
    if not matters:
        return (
            "No block clearly matters yet: every main effect's 95% interval includes zero "
            f"({'; '.join(f'{r.label} {pp(r.contrast.estimate)}' for r in rows)})."
        )
    if len(matters) == len(blocks):
        lead = "Both blocks matter" if len(blocks) == 2 else "All three blocks matter"
    else:
        named = " and the ".join(blocks[k] for k in matters)
        lead = f"The {named} blocks matter" if len(matters) > 1 else f"The {named} block matters"
    details = []
    for k in matters:
        strongest = max(
            (r for r in rows if r.contrast.factors == (k,) and r.contrast.clear),
            key=lambda r: abs(r.contrast.estimate),
        )
        c = strongest.contrast
        option, reference = options[k][c.levels[0]], options[k][0]
        direction = "more" if c.estimate > 0 else "less"
        details.append(
            f"{blocks[k]}: {option} converts {pp(abs(c.estimate), signed=False)} {direction} "
            f"than {reference} ({_interval(c)})"
        )
    sentence = f"{lead}. {'; '.join(details)}."
    quiet = [blocks[k] for k in range(len(blocks)) if k not in matters]
    if quiet:
        sentence += f" No clear effect of the {' or the '.join(quiet)} block."
    return sentence


def _interaction_sentence(
    analysis: FactorialAnalysis, blocks: tuple[str, ...], rows: tuple[EffectRow, ...]
) -> str:
    pairs = analysis.interacting_pairs
    if not pairs:
        widest = max(rows, key=lambda r: abs(r.contrast.estimate))
        return (
            "They do not clearly interact (largest interaction "
            f"{widest.label} {pp(widest.contrast.estimate)}, {_interval(widest.contrast)}): "
            "each block's effect can be read on its own."
        )
    named = " and ".join(f"the {blocks[k]} and the {blocks[m]}" for k, m in pairs)
    strongest = max((r for r in rows if r.contrast.clear), key=lambda r: abs(r.contrast.estimate))
    return (
        f"They interact: {named} "
        f"({strongest.label} {pp(strongest.contrast.estimate)}, {_interval(strongest.contrast)}). "
        "One block's best option depends on the other, so judge the combinations as a whole."
    )


def _ship_sentence(
    analysis: FactorialAnalysis,
    blocks: tuple[str, ...],
    options: tuple[tuple[str, ...], ...],
    cells: tuple[CellRow, ...],
) -> str:
    levels = analysis.combination_to_ship
    combination = " with ".join(f"{b}: {options[k][levels[k]]}" for k, b in enumerate(blocks))
    chosen = next(c for c, a in zip(cells, analysis.cells, strict=True) if a.levels == levels)
    reference = cells[0]
    if all(level == 0 for level in levels):
        return (
            f"Ship {combination} (the reference): no option clearly beats it yet "
            f"({percent(reference.rate)} of {count(reference.visitors)} visitors)."
        )
    why = (
        "the best observed combination, since the blocks interact"
        if analysis.interacting_pairs
        else "each block's option with a clearly positive main effect"
    )
    return (
        f"Ship {combination}: {why} ({percent(chosen.rate)} of {count(chosen.visitors)} "
        f"visitors, against {percent(reference.rate)} for the reference combination)."
    )
