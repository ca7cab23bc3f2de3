"""Bandits on the request path (``engine.experiments.decide_block`` + ``engine.bandit``):
setup validation, coverage, the decision and its reason codes, the guardrail, precedence
over experiments, and targeting experiments by profile source."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from persx.engine.deciding.bandit_arms import AllocationTable, RunningBandit, holdback_key
from persx.engine.deciding.decision import Decision, Reason, ServedBlock
from persx.engine.deciding.experiments import (
    Arm,
    ArmKind,
    ExperimentDefinition,
    Holdout,
    Scope,
    ScopeKind,
    Targeting,
    assign_visitor,
    decide_block,
)
from persx.engine.learning.bandit import (
    ArmCounts,
    BanditPolicy,
    BanditSetup,
    allocate,
    guardrail_breaches,
    initial_table,
)
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC
from persx.engine.visitor.profile import Provenance, VisitorProfile

METRICS = ("form_submission", "cta_click", "engagement")
ARMS = (GENERIC, "industry:saas", "persona:saas-cto")
AVAILABLE = frozenset({"industry:saas", "persona:saas-cto", "industry:travel"})
TABLE = AllocationTable("hero-saas", 3, ARMS, (0.2, 0.3, 0.5), 0.1)
BANDIT = RunningBandit(TABLE, "hero", "industry:saas")


def _ids(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def _saas(visitor_id: str, source: Provenance | None = None) -> VisitorProfile:
    return VisitorProfile(visitor_id, industry="saas", industry_source=source)


def _decide(
    profile: VisitorProfile,
    bandits: tuple[RunningBandit, ...] = (BANDIT,),
    experiments: tuple[ExperimentDefinition, ...] = (),
    holdout: Holdout | None = None,
    block_type: str = "hero",
    available: frozenset[str] = AVAILABLE,
) -> Decision:
    visitor = assign_visitor(profile, experiments, holdout, bandits)
    return decide_block(visitor, available, block_type, "7")


# --- setup -------------------------------------------------------------------------------


def _setup(**changes: object) -> BanditSetup:
    values: dict[str, object] = {
        "key": "hero-saas",
        "block_type": "hero",
        "audience": "industry:saas",
        "arms": ["industry:saas"],
        "metric": "form_submission",
        "metrics": METRICS,
        "policy": BanditPolicy(),
        "guardrail_metric": "engagement",
        "guardrail_drop": 0.1,
    }
    values.update(changes)
    return BanditSetup.build(**values)  # type: ignore[arg-type]


def test_a_valid_setup_puts_generic_first() -> None:
    setup = _setup(arms=["persona:saas-cto", "generic", "industry:saas"])
    assert setup.arms == ("generic", "persona:saas-cto", "industry:saas")
    assert setup.guardrail_metric == "engagement"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": ""}, "key"),
        ({"key": "k" * 72}, "key"),
        ({"block_type": "carousel"}, "block_type"),
        ({"audience": "generic"}, "audience"),
        ({"arms": []}, "arms"),
        ({"arms": ["industry:saas", "industry:saas"]}, "arms"),
        ({"arms": ["saas"]}, "arms"),
        ({"arms": ["persona:" + "x" * 40]}, "arms"),
        ({"metric": "revenue"}, "metric"),
        ({"guardrail_metric": "revenue"}, "guardrail_metric"),
        ({"guardrail_metric": "form_submission"}, "guardrail_metric"),
        ({"guardrail_drop": 1.0}, "guardrail_drop"),
        ({"policy": BanditPolicy(holdback_share=1.0)}, "holdback_share"),
        ({"policy": BanditPolicy(min_exploration=0.6)}, "min_exploration"),
        ({"policy": BanditPolicy(retire_below=1.0)}, "retire_below"),
    ],
)
def test_bad_setups_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidSetup) as error:
        _setup(**changes)
    assert error.value.field == field


def test_no_guardrail_is_allowed() -> None:
    assert _setup(guardrail_metric="").guardrail_metric == ""


# --- coverage and decisions ------------------------------------------------------------------


def test_the_bandit_serves_the_arm_it_chose_with_its_version_and_reason() -> None:
    decisions = [_decide(_saas(v)) for v in _ids(4_000)]
    held = [d for d in decisions if d.reason is Reason.BANDIT_HOLDBACK]
    adaptive = [d for d in decisions if d.reason is Reason.BANDIT]
    assert len(held) + len(adaptive) == len(decisions)
    assert abs(len(held) / len(decisions) - 0.1) < 0.02
    assert {d.experiment for d in held} == {holdback_key("hero-saas")} == {"hero-saas/holdback"}
    assert {d.experiment for d in adaptive} == {"hero-saas"}
    for d in decisions:
        assert d.variant_key == d.arm
        assert d.allocation_version == 3
        assert d.would_be == "industry:saas"
    shares = Counter(d.arm for d in adaptive)
    assert abs(shares["persona:saas-cto"] / len(adaptive) - 0.5) < 0.03
    assert ServedBlock("hero", decisions[0]).allocation_version == 3


def test_a_generic_arm_is_not_personalized() -> None:
    generic = next(d for d in (_decide(_saas(v)) for v in _ids(200)) if d.arm == GENERIC)
    assert generic.variant_key == GENERIC
    assert not generic.is_personalized


@pytest.mark.parametrize(
    ("profile", "block_type", "available"),
    [
        (VisitorProfile("v1", industry="travel"), "hero", AVAILABLE),  # not its audience
        (_saas("v1"), "cta", AVAILABLE),  # another block type
        (_saas("v1"), "hero", frozenset({"industry:saas"})),  # an arm's variant missing
        (_saas(""), "hero", AVAILABLE),  # no visitor id: nothing to hash
    ],
)
def test_blocks_the_bandit_does_not_cover_decide_as_usual(
    profile: VisitorProfile, block_type: str, available: frozenset[str]
) -> None:
    decision = _decide(profile, block_type=block_type, available=available)
    assert decision.reason in (Reason.INDUSTRY_MATCH, Reason.VARIANT_MISSING)
    assert decision.experiment is None
    assert decision.allocation_version is None


def test_a_page_scoped_bandit_covers_only_its_page() -> None:
    table = TABLE
    on_page = RunningBandit(table, "hero", "industry:saas", page_id="7")
    elsewhere = RunningBandit(table, "hero", "industry:saas", page_id="8")
    assert on_page.covers("hero", "7", ("industry:saas",), AVAILABLE)
    assert not elsewhere.covers("hero", "7", ("industry:saas",), AVAILABLE)
    assert _decide(_saas("v2"), bandits=(elsewhere,)).experiment is None


def test_an_experiment_that_admits_the_visitor_wins_over_the_bandit() -> None:
    experiment = ExperimentDefinition.build(
        "hero-test",
        [Arm("control", ArmKind.GENERIC, 0.5), Arm("p", ArmKind.PERSONALIZED, 0.5)],
        scope=Scope(ScopeKind.BLOCK_TYPE, "hero"),
    )
    for visitor_id in _ids(300):
        decision = _decide(_saas(visitor_id), experiments=(experiment,))
        assert decision.experiment == "hero-test"
        assert decision.reason in (Reason.EXPERIMENT_CONTROL, Reason.INDUSTRY_MATCH)
    # An experiment that does not admit the visitor leaves the block to the bandit.
    travel_only = ExperimentDefinition.build(
        "travel-test",
        [Arm("control", ArmKind.GENERIC, 0.5), Arm("p", ArmKind.PERSONALIZED, 0.5)],
        targeting=Targeting(industries=("travel",)),
    )
    decision = _decide(_saas("v3"), experiments=(travel_only,))
    assert decision.experiment in ("hero-saas", "hero-saas/holdback")


def test_the_global_holdout_wins_over_the_bandit() -> None:
    decision = _decide(_saas("v4"), holdout=Holdout("h", 1.0))
    assert decision.reason is Reason.HOLDOUT


# --- guardrail -----------------------------------------------------------------------------

POLICY = BanditPolicy(min_exploration=0.05, draws=2_000)


def test_an_arm_clearly_below_the_tolerated_drop_is_a_breach() -> None:
    counts = {
        GENERIC: ArmCounts(GENERIC, 600, 1_000),
        "industry:saas": ArmCounts("industry:saas", 400, 1_000),  # -33%
        "persona:saas-cto": ArmCounts("persona:saas-cto", 590, 1_000),  # -2%: tolerated
    }
    assert guardrail_breaches(counts, GENERIC, 0.1, POLICY, random.Random(1)) == ("industry:saas",)


def test_the_guardrail_needs_evidence() -> None:
    few = {GENERIC: ArmCounts(GENERIC, 3, 5), "industry:saas": ArmCounts("industry:saas", 1, 5)}
    assert guardrail_breaches(few, GENERIC, 0.1, POLICY, random.Random(2)) == ()
    no_base = {"industry:saas": ArmCounts("industry:saas", 1, 500)}
    assert guardrail_breaches(no_base, GENERIC, 0.1, POLICY, random.Random(2)) == ()
    empty_base = {GENERIC: ArmCounts(GENERIC, 0, 0), **no_base}
    assert guardrail_breaches(empty_base, GENERIC, 0.1, POLICY, random.Random(2)) == ()
    unseen_arm = {GENERIC: ArmCounts(GENERIC, 50, 100), "x": ArmCounts("x", 0, 0)}
    assert guardrail_breaches(unseen_arm, GENERIC, 0.1, POLICY, random.Random(2)) == ()


def test_a_bad_tolerated_drop_names_the_field() -> None:
    with pytest.raises(InvalidSetup) as error:
        guardrail_breaches({}, GENERIC, -0.1, POLICY, random.Random(3))
    assert error.value.field == "guardrail_drop"


def test_a_pinned_arm_gets_the_floor_even_when_it_is_best() -> None:
    start = initial_table("hero-saas", ARMS, POLICY)
    counts = {
        GENERIC: ArmCounts(GENERIC, 20, 1_000),
        "industry:saas": ArmCounts("industry:saas", 80, 1_000),  # clearly best
        "persona:saas-cto": ArmCounts("persona:saas-cto", 30, 1_000),
    }
    free = allocate(start, counts, POLICY, random.Random(4))
    assert free.weight_of("industry:saas") > 0.8
    pinned = allocate(start, counts, POLICY, random.Random(4), pinned={"industry:saas"})
    assert pinned.pinned == ("industry:saas",)
    assert pinned.weight_of("industry:saas") == pytest.approx(0.05)
    assert sum(pinned.weights) == pytest.approx(1.0)
    # The best of the rest takes what the pinned arm gave up.
    assert pinned.weight_of("persona:saas-cto") > pinned.weight_of(GENERIC)


def test_one_free_arm_takes_the_rest_and_all_pinned_share_equally() -> None:
    start = initial_table("k", ARMS, POLICY)
    counts = {arm: ArmCounts(arm, 10, 100) for arm in ARMS}
    one_free = allocate(start, counts, POLICY, random.Random(5), pinned=set(ARMS[1:]))
    assert one_free.weights == pytest.approx((0.9, 0.05, 0.05))
    all_pinned = allocate(start, counts, POLICY, random.Random(5), pinned=set(ARMS))
    assert all_pinned.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3))


# --- targeting by profile source -------------------------------------------------------------


def test_an_experiment_can_target_inferred_profiles_only() -> None:
    inferred_only = Targeting(sources=(Provenance.INFERRED.value,))
    assert inferred_only.admits(_saas("v", Provenance.INFERRED))
    assert not inferred_only.admits(_saas("v", Provenance.START_FORM))
    assert not inferred_only.admits(_saas("v"))
    assert not Targeting(requires_profile=False, sources=("inferred",)).admits(None)
    assert Targeting(requires_profile=False).admits(None)


def test_generic_is_never_proposed_for_retirement() -> None:
    policy = BanditPolicy(min_exploration=0.05, draws=500, retire_after=1)
    table = initial_table("k", ARMS, policy)
    counts = {
        GENERIC: ArmCounts(GENERIC, 0, 3_000),
        "industry:saas": ArmCounts("industry:saas", 0, 3_000),
        "persona:saas-cto": ArmCounts("persona:saas-cto", 900, 3_000),
    }
    table = allocate(table, counts, policy, random.Random(6))
    assert table.retirement_proposals == ("industry:saas",)
