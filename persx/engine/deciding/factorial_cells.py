"""A running factorial experiment's serving side: the cell grid, a unit's cell, a block's option.

A factorial experiment crosses 2-3 *factors*; each factor is one block type with 2-3
*options* (what the block serves). Every combination of one option per factor is a *cell*;
a visitor (or an account) is in exactly one cell for the whole experiment, and each of the
factorial's blocks serves its factor's option of that cell.

Options:

- ``generic`` — the block's base content (reason ``experiment_control``);
- ``industry`` — the visitor's industry variant when the block has it, else generic
  (reason ``variant_missing``);
- ``personalized`` — normal selection (persona > industry > generic).

Assignment (specified in docs/hashing.md, "Factorial experiments"): one hash into the cell
grid. The cells are bucketed exactly like a GrowthBook experiment with one equal-weight arm
per cell (hash v2, seed ``<key>:v<bucket version>``, ``coverage``); the arm index is then
read as a mixed-radix number, the first factor most significant (row-major order). So
cell 0 is every factor's first option, and an SDK that reproduces an experiment's arm
reproduces a cell.

A cell's key (recorded as the exposure's ``arm``) is its options' keys joined by ``.`` in
factor order, e.g. ``industry.generic``: the rollups count visitors and conversions per cell
with no new table.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import product

from persx.engine.deciding.bucketing import ExperimentSpec, RandomizationUnit, assign
from persx.engine.deciding.decision import VARIANT_MISSING, Decision, Reason
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC, INDUSTRY_PREFIX
from persx.engine.visitor.profile import VisitorProfile

__all__ = [
    "CELL_SEPARATOR",
    "MAX_FACTORS",
    "MAX_OPTIONS",
    "Factor",
    "FactorialDefinition",
    "OptionKind",
]

MIN_FACTORS, MAX_FACTORS = 2, 3
MIN_OPTIONS, MAX_OPTIONS = 2, 3
# A cell key is at most 3 x len("personalized") + 2 = 38 characters: it fits the events'
# and rollups' 40-character ``arm`` column.
CELL_SEPARATOR = "."


class OptionKind(StrEnum):
    GENERIC = "generic"
    INDUSTRY = "industry"
    PERSONALIZED = "personalized"


@dataclass(frozen=True, slots=True)
class Factor:
    """One block type and the options it is tested with (the first is the reference)."""

    block_type: str
    options: tuple[OptionKind, ...]


@dataclass(frozen=True, slots=True)
class FactorialDefinition:
    key: str
    factors: tuple[Factor, ...]
    spec: ExperimentSpec
    cells: tuple[tuple[int, ...], ...] = field(repr=False)
    cell_keys: tuple[str, ...] = field(repr=False)
    # block type → index of its factor
    factor_of: dict[str, int] = field(repr=False, compare=False)
    unit: RandomizationUnit = RandomizationUnit.VISITOR

    @staticmethod
    def build(
        key: str,
        factors: Sequence[tuple[str, Sequence[str]]],
        seed: str = "",
        coverage: float = 1.0,
        hash_version: int = 2,
        unit: str = RandomizationUnit.VISITOR,
    ) -> FactorialDefinition:
        """Validate and precompute the cell grid (raises ``InvalidSetup`` naming the field).

        ``factors`` is ``[(block type, [option, ...]), ...]``: 2-3 distinct non-empty block
        types, each with 2-3 distinct options from :class:`OptionKind`; ``unit`` a
        :class:`RandomizationUnit` (what is hashed: ``bucketing.unit_id``).
        """
        try:
            checked_unit = RandomizationUnit(unit)
        except ValueError:
            raise InvalidSetup(
                "randomization_unit", f"factorial {key!r}: unknown randomization unit {unit!r}"
            ) from None
        if not MIN_FACTORS <= len(factors) <= MAX_FACTORS:
            raise InvalidSetup(
                "arms",
                f"factorial {key!r}: needs {MIN_FACTORS}-{MAX_FACTORS} factors (blocks), "
                f"got {len(factors)}",
            )
        checked: list[Factor] = []
        for block_type, options in factors:
            if not block_type:
                raise InvalidSetup("block_type", f"factorial {key!r}: every factor needs a block")
            if any(f.block_type == block_type for f in checked):
                raise InvalidSetup(
                    "block_type", f"factorial {key!r}: block {block_type!r} is in two factors"
                )
            if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
                raise InvalidSetup(
                    "arms",
                    f"factorial {key!r}: block {block_type!r} needs {MIN_OPTIONS}-{MAX_OPTIONS} "
                    f"options, got {len(options)}",
                )
            try:
                kinds = tuple(OptionKind(o) for o in options)
            except ValueError as exc:
                raise InvalidSetup("arms", f"factorial {key!r}: {exc}") from None
            if len(set(kinds)) != len(kinds):
                raise InvalidSetup(
                    "arms", f"factorial {key!r}: block {block_type!r} lists an option twice"
                )
            checked.append(Factor(block_type, kinds))
        cells = tuple(product(*(range(len(f.options)) for f in checked)))
        cell_keys = tuple(
            CELL_SEPARATOR.join(f.options[i].value for f, i in zip(checked, cell, strict=True))
            for cell in cells
        )
        spec = ExperimentSpec(
            key=key,
            seed=seed or key,
            arms=cell_keys,
            coverage=coverage,
            hash_version=hash_version,
        )
        return FactorialDefinition(
            key,
            tuple(checked),
            spec,
            cells,
            cell_keys,
            {f.block_type: i for i, f in enumerate(checked)},
            checked_unit,
        )

    def cell_for(self, unit_id: str) -> int | None:
        """The index of the unit's cell (row-major), or None outside the coverage."""
        assignment = assign(self.spec, unit_id)
        return assignment.arm_index if assignment else None

    def decide(
        self,
        block_type: str,
        profile: VisitorProfile,
        available: Container[str],
        natural: Decision,
        unit_id: str,
    ) -> Decision | None:
        """The block's decision in this factorial (None: the block is not one of its factors,
        or the unit is outside the coverage). ``unit_id`` is what the experiment hashes for
        this visitor (the visitor id, or their account's key: ``bucketing.unit_id``)."""
        factor = self.factor_of.get(block_type)
        if factor is None:
            return None
        cell = self.cell_for(unit_id)
        if cell is None:
            return None
        option = self.factors[factor].options[self.cells[cell][factor]]
        variant, reason = GENERIC, Reason.EXPERIMENT_CONTROL
        if option is OptionKind.PERSONALIZED:
            variant, reason = natural.variant_key, natural.reason
        elif option is OptionKind.INDUSTRY:
            industry = INDUSTRY_PREFIX + (profile.industry or "")
            if profile.industry and industry in available:
                variant, reason = industry, Reason.INDUSTRY_MATCH
            else:
                reason = VARIANT_MISSING.reason
        return Decision(
            variant,
            reason,
            arm=self.cell_keys[cell],
            experiment=self.key,
            would_be=natural.variant_key,
        )
