"""A running factorial experiment's serving side (``engine.deciding.factorial_cells``) and
its place in ``decide_block``: docs/hashing.md, "Factorial experiments"."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import pytest

from persx.engine.deciding.bandit_arms import AllocationTable, RunningBandit
from persx.engine.deciding.bucketing import RandomizationUnit, hash_unit
from persx.engine.deciding.decision import Reason
from persx.engine.deciding.experiments import (
    Arm,
    ArmKind,
    ExperimentDefinition,
    Scope,
    ScopeKind,
    assign_visitor,
    decide_block,
)
from persx.engine.deciding.factorial_cells import FactorialDefinition, OptionKind
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC
from persx.engine.visitor.profile import VisitorProfile

TWO_BY_TWO = [("hero", ["generic", "industry"]), ("contact_form", ["generic", "industry"])]
GRID = [
    ("hero", ["generic", "industry", "personalized"]),
    ("contact_form", ["generic", "industry"]),
    ("cta", ["generic", "personalized"]),
]
AVAILABLE = frozenset({"industry:saas", "persona:saas-growth-lead"})


def _hero_form() -> FactorialDefinition:
    return FactorialDefinition.build("hero-form", TWO_BY_TWO, seed="hero-form:v1")


def _ids(count: int, seed: int = 19) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def test_cells_are_row_major_and_keyed_by_their_options() -> None:
    grid = FactorialDefinition.build("grid3", GRID, seed="grid3:v1")
    assert len(grid.cells) == 12
    assert grid.cells[:3] == ((0, 0, 0), (0, 0, 1), (0, 1, 0))
    assert grid.cell_keys[0] == "generic.generic.generic"
    assert grid.cell_keys[11] == "personalized.industry.personalized"
    assert max(len(k) for k in grid.cell_keys) <= 40  # the events' arm column
    assert grid.factors[0].options == (
        OptionKind.GENERIC,
        OptionKind.INDUSTRY,
        OptionKind.PERSONALIZED,
    )


@pytest.mark.parametrize(
    ("visitor", "hash_value", "cell"),
    [
        ("visitor-1", 0.2337, "generic.generic"),
        ("visitor-5", 0.2529, "generic.industry"),
        ("visitor-4", 0.7236, "industry.generic"),
        ("visitor-2", 0.7556, "industry.industry"),
    ],
)
def test_reference_assignments_of_docs_hashing(visitor: str, hash_value: float, cell: str) -> None:
    definition = _hero_form()
    assert hash_unit("hero-form:v1", visitor, 2) == hash_value
    index = definition.cell_for(visitor)
    assert index is not None
    assert definition.cell_keys[index] == cell


def test_one_hash_read_as_a_mixed_radix_cell_index() -> None:
    # Worked independently: with equal cells and full coverage the index is
    # floor(hash · cells); its digits (first factor most significant) are the options.
    grid = FactorialDefinition.build("grid3", GRID, seed="grid3:v1")
    for visitor in _ids(500):
        index = math.floor(hash_unit("grid3:v1", visitor, 2) * 12)  # type: ignore[operator]
        hero, rest = divmod(index, 4)
        form, cta = divmod(rest, 2)
        assert grid.cell_for(visitor) == index
        assert grid.cells[index] == (hero, form, cta)


def test_cells_are_equally_filled_and_stable() -> None:
    definition = _hero_form()
    ids = _ids(8000)
    counts = Counter(definition.cell_for(v) for v in ids)
    assert set(counts) == {0, 1, 2, 3}
    assert all(abs(n - 2000) < 4 * math.sqrt(2000 * 0.75) for n in counts.values())
    assert [definition.cell_for(v) for v in ids[:50]] == [
        _hero_form().cell_for(v) for v in ids[:50]
    ]


def test_coverage_leaves_visitors_out() -> None:
    half = FactorialDefinition.build("hero-form", TWO_BY_TWO, seed="hero-form:v1", coverage=0.5)
    outside = [v for v in _ids(400) if half.cell_for(v) is None]
    assert 120 < len(outside) < 280
    profile = VisitorProfile(outside[0], industry="saas")
    natural = decide_block(assign_visitor(profile), AVAILABLE, "hero")
    assert half.decide("hero", profile, AVAILABLE, natural, outside[0]) is None
    assert half.decide("faq", profile, AVAILABLE, natural, outside[0]) is None  # no factor
    outside_decision = decide_block(assign_visitor(profile, factorials=[half]), AVAILABLE, "hero")
    assert (outside_decision.variant_key, outside_decision.experiment) == ("industry:saas", None)


def _in_cell(definition: FactorialDefinition, key: str) -> str:
    """A visitor id the definition puts in the cell ``key``."""
    index = definition.cell_keys.index(key)
    return next(v for v in _ids(2000) if definition.cell_for(v) == index)


def test_each_option_serves_what_it_names() -> None:
    grid = FactorialDefinition.build("grid3", GRID, seed="grid3:v1")
    visitor = _in_cell(grid, "industry.generic.personalized")
    profile = VisitorProfile(visitor, industry="saas", persona="saas-growth-lead")
    assignment = assign_visitor(profile, factorials=[grid])
    hero = decide_block(assignment, AVAILABLE, "hero")
    assert (hero.variant_key, hero.reason) == ("industry:saas", Reason.INDUSTRY_MATCH)
    assert (hero.experiment, hero.arm) == ("grid3", "industry.generic.personalized")
    assert hero.would_be == "persona:saas-growth-lead"
    form = decide_block(assignment, AVAILABLE, "contact_form")
    assert (form.variant_key, form.reason) == (GENERIC, Reason.EXPERIMENT_CONTROL)
    assert form.arm == hero.arm
    cta = decide_block(assignment, AVAILABLE, "cta")
    assert (cta.variant_key, cta.reason) == ("persona:saas-growth-lead", Reason.PERSONA_MATCH)
    # A block that is no factor is decided as usual, outside the experiment.
    other = decide_block(assignment, AVAILABLE, "faq")
    assert (other.variant_key, other.experiment) == ("persona:saas-growth-lead", None)


def test_the_industry_option_without_the_variant_serves_generic() -> None:
    definition = _hero_form()
    visitor = _in_cell(definition, "industry.industry")
    travel = VisitorProfile(visitor, industry="travel")
    decision = decide_block(assign_visitor(travel, factorials=[definition]), AVAILABLE, "hero")
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.VARIANT_MISSING)
    assert decision.arm == "industry.industry"
    persona_only = VisitorProfile(visitor, persona="saas-growth-lead")
    decision = decide_block(
        assign_visitor(persona_only, factorials=[definition]), AVAILABLE, "hero"
    )
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.VARIANT_MISSING)


def test_an_experiment_on_the_block_wins_and_the_factorial_wins_over_a_bandit() -> None:
    definition = _hero_form()
    visitor = _in_cell(definition, "generic.industry")
    profile = VisitorProfile(visitor, industry="saas")
    experiment = ExperimentDefinition.build(
        "pli-contact",
        [Arm("control", ArmKind.GENERIC, 0.5), Arm("personalized", ArmKind.PERSONALIZED, 0.5)],
        scope=Scope(ScopeKind.BLOCK_TYPE, "contact_form"),
    )
    bandit = RunningBandit(
        AllocationTable("hero-bandit", 1, ("generic", "industry:saas"), (0.5, 0.5), 0.1),
        block_type="hero",
        audience="industry:saas",
    )
    assignment = assign_visitor(profile, [experiment], None, [bandit], [definition])
    assert decide_block(assignment, AVAILABLE, "contact_form").experiment == "pli-contact"
    assert decide_block(assignment, AVAILABLE, "hero").experiment == "hero-form"


@pytest.mark.parametrize(
    ("factors", "field", "message"),
    [
        (TWO_BY_TWO[:1], "arms", "2-3 factors"),
        ([*GRID, ("faq", ["generic", "industry"])], "arms", "2-3 factors"),
        ([("", ["generic", "industry"]), TWO_BY_TWO[1]], "block_type", "needs a block"),
        ([TWO_BY_TWO[0], TWO_BY_TWO[0]], "block_type", "in two factors"),
        ([("hero", ["generic"]), TWO_BY_TWO[1]], "arms", "2-3 options"),
        (
            [("hero", ["generic", "industry", "personalized", "x"]), TWO_BY_TWO[1]],
            "arms",
            "2-3 options",
        ),
        ([("hero", ["generic", "persona"]), TWO_BY_TWO[1]], "arms", "'persona' is not a valid"),
        ([("hero", ["generic", "generic"]), TWO_BY_TWO[1]], "arms", "an option twice"),
    ],
)
def test_bad_designs_name_the_field(
    factors: list[tuple[str, list[str]]], field: str, message: str
) -> None:
    with pytest.raises(InvalidSetup, match=message) as raised:
        FactorialDefinition.build("bad", factors)
    assert raised.value.field == field


def test_an_account_level_factorial_gives_colleagues_one_cell() -> None:
    account = FactorialDefinition.build(
        "hero-form", TWO_BY_TWO, seed="hero-form:v1", unit="account"
    )
    assert account.unit is RandomizationUnit.ACCOUNT
    expected = account.cell_keys[account.cell_for("acme.com") or 0]
    arms = set()
    for visitor in _ids(20, seed=5):
        profile = VisitorProfile(visitor, industry="saas")
        assignment = replace(assign_visitor(profile, factorials=[account]), account_key="acme.com")
        arms.add(decide_block(assignment, AVAILABLE, "hero").arm)
    assert arms == {expected}
    # Without a known account each visitor is hashed on their own.
    alone = {
        decide_block(
            assign_visitor(VisitorProfile(v, industry="saas"), factorials=[account]),
            AVAILABLE,
            "hero",
        ).arm
        for v in _ids(40, seed=6)
    }
    assert len(alone) == 4


def test_an_unknown_randomization_unit_is_refused() -> None:
    with pytest.raises(InvalidSetup, match="unknown randomization unit 'company'") as raised:
        FactorialDefinition.build("bad", TWO_BY_TWO, unit="company")
    assert raised.value.field == "randomization_unit"
