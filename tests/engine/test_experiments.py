"""Experiments and the global holdout on top of variant selection (``engine.experiments``)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persx.engine.deciding.decision import Decision, Reason
from persx.engine.deciding.experiments import (
    HOLDOUT_EXPERIMENT,
    Arm,
    ArmKind,
    ExperimentDefinition,
    Holdout,
    Scope,
    ScopeKind,
    Targeting,
    decide,
)
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from tests.engine.fresh_interpreter import run_in_fresh_interpreters

CONTROL = Arm("control", ArmKind.GENERIC, 0.5)
PERSONALIZED = Arm("personalized", ArmKind.PERSONALIZED, 0.5)
# The variants one block holds (generic is the block's base, always there).
SITE_WIDE = Scope()
ANYONE = Targeting()
AVAILABLE = frozenset({"industry:saas", "industry:travel", "persona:saas-growth-lead"})


def _visitor_ids(count: int, seed: int = 20240601) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def _profile(
    visitor_id: str,
    industry: str | None = "saas",
    persona: str | None = None,
    consent: ConsentState = ConsentState.UNKNOWN,
) -> VisitorProfile:
    return VisitorProfile(visitor_id, industry=industry, persona=persona, consent=consent)


def _decide(
    profile: VisitorProfile | None,
    experiments: tuple[ExperimentDefinition, ...] = (),
    holdout: Holdout | None = None,
    block_type: str = "contact_form",
    page_id: str = "7",
) -> Decision:
    keys = profile.audience_keys() if profile else ()
    return decide(profile, keys, AVAILABLE, experiments, holdout, block_type, page_id)


def _pli(
    key: str = "pli",
    arms: tuple[Arm, ...] = (CONTROL, PERSONALIZED),
    seed: str = "",
    coverage: float = 1.0,
    namespace: tuple[str, float, float] | None = None,
    scope: Scope = SITE_WIDE,
    targeting: Targeting = ANYONE,
) -> ExperimentDefinition:
    return ExperimentDefinition.build(
        key, arms, seed, coverage, namespace=namespace, scope=scope, targeting=targeting
    )


def _always(
    kind: ArmKind,
    variant: str | None = None,
    scope: Scope = SITE_WIDE,
    targeting: Targeting = ANYONE,
) -> ExperimentDefinition:
    """Every visitor in one arm of ``kind`` (weight 1; the other arm gets nobody)."""
    control_weight = 1.0 if kind is ArmKind.GENERIC else 0.0
    arms = (
        Arm("control", ArmKind.GENERIC, control_weight),
        Arm("treatment", kind, 1.0 - control_weight, variant),
    )
    return _pli(arms=arms, scope=scope, targeting=targeting)


visitor_ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=40)
industries = st.sampled_from(["saas", "travel", "healthcare"])
personas = st.sampled_from([None, "saas-growth-lead", "travel-cmo"])


# --- holdout ---------------------------------------------------------------------------------


@given(visitor_id=visitor_ids, industry=industries, persona=personas)
def test_held_out_visitors_always_see_generic_with_what_they_would_have_seen(
    visitor_id: str, industry: str, persona: str | None
) -> None:
    profile = _profile(visitor_id, industry, persona)
    everyone = Holdout("persx-global-holdout", 1.0)
    decision = _decide(profile, (_always(ArmKind.PERSONALIZED),), everyone)
    natural = _decide(profile)
    assert decision.variant_key == GENERIC
    assert decision.reason is Reason.HOLDOUT
    assert (decision.experiment, decision.arm) == (HOLDOUT_EXPERIMENT, "holdout")
    assert decision.would_be == natural.variant_key


def test_holdout_share_matches_the_configuration_over_50k_visitors() -> None:
    holdout = Holdout("persx-global-holdout", 0.10)
    ids = _visitor_ids(50_000)
    held = sum(_decide(_profile(v), holdout=holdout).reason is Reason.HOLDOUT for v in ids)
    assert abs(held / len(ids) - 0.10) <= 0.005


def test_holdout_of_zero_holds_nobody_out() -> None:
    none = Holdout("persx-global-holdout", 0.0)
    assert not any(none.holds_out(v) for v in _visitor_ids(2_000))


# --- arms ------------------------------------------------------------------------------------


@given(visitor_id=visitor_ids, industry=industries, persona=personas)
def test_control_arm_serves_generic_and_records_the_natural_variant(
    visitor_id: str, industry: str, persona: str | None
) -> None:
    profile = _profile(visitor_id, industry, persona)
    decision = _decide(profile, (_always(ArmKind.GENERIC),))
    assert decision.variant_key == GENERIC
    assert decision.reason is Reason.EXPERIMENT_CONTROL
    assert (decision.experiment, decision.arm) == ("pli", "control")
    assert decision.would_be == _decide(profile).variant_key


@given(visitor_id=visitor_ids, industry=industries, persona=personas)
def test_personalized_arm_serves_natural_selection(
    visitor_id: str, industry: str, persona: str | None
) -> None:
    profile = _profile(visitor_id, industry, persona)
    natural = _decide(profile)
    decision = _decide(profile, (_always(ArmKind.PERSONALIZED),))
    assert (decision.variant_key, decision.reason) == (natural.variant_key, natural.reason)
    assert (decision.experiment, decision.arm) == ("pli", "treatment")
    assert decision.would_be == natural.variant_key


def test_variant_arm_serves_its_variant_when_the_block_has_it() -> None:
    profile = _profile("v1", "saas")
    persona_copy = _always(ArmKind.VARIANT, variant="persona:saas-growth-lead")
    decision = _decide(profile, (persona_copy,))
    assert decision.variant_key == "persona:saas-growth-lead"
    assert decision.reason is Reason.PERSONA_MATCH
    assert (decision.arm, decision.would_be) == ("treatment", "industry:saas")
    missing = _always(ArmKind.VARIANT, variant="persona:healthcare-cmo")
    fallback = _decide(profile, (missing,))
    assert (fallback.variant_key, fallback.arm) == ("industry:saas", "treatment")


def test_visitor_without_a_variant_is_still_counted_with_generic() -> None:
    profile = _profile("v1", "healthcare")  # this block has no healthcare variant
    decision = _decide(profile, (_always(ArmKind.PERSONALIZED),))
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.VARIANT_MISSING)
    assert (decision.experiment, decision.would_be) == ("pli", GENERIC)


# --- who is in an experiment -----------------------------------------------------------------


@given(visitor_id=visitor_ids)
def test_visitors_without_a_profile_are_never_in_an_experiment_or_held_out(
    visitor_id: str,
) -> None:
    everything = (_always(ArmKind.GENERIC, targeting=Targeting(requires_profile=False)),)
    for profile in (None, _profile(visitor_id, industry=None)):
        decision = _decide(profile, everything, Holdout("h", 1.0))
        assert (decision.variant_key, decision.reason) == (GENERIC, Reason.NO_PROFILE)
        assert decision.experiment is None
        assert decision.arm is None


@pytest.mark.parametrize(
    ("scope", "block_type", "page_id", "covered"),
    [
        (Scope(), "hero", "3", True),
        (Scope(ScopeKind.BLOCK_TYPE, "contact_form"), "contact_form", "3", True),
        (Scope(ScopeKind.BLOCK_TYPE, "contact_form"), "hero", "3", False),
        (Scope(ScopeKind.PAGE, "3"), "hero", "3", True),
        (Scope(ScopeKind.PAGE, "3"), "hero", "4", False),
        (Scope(ScopeKind.PAGE, "3"), "hero", "", False),
    ],
)
def test_scope_decides_which_blocks_an_experiment_covers(
    scope: Scope, block_type: str, page_id: str, covered: bool
) -> None:
    experiment = _always(ArmKind.GENERIC, scope=scope)
    decision = _decide(_profile("v1"), (experiment,), block_type=block_type, page_id=page_id)
    assert (decision.experiment == "pli") is covered
    assert (decision.reason is Reason.EXPERIMENT_CONTROL) is covered


@pytest.mark.parametrize(
    ("targeting", "profile", "admitted"),
    [
        (Targeting(), _profile("v1", "travel"), True),
        (Targeting(industries=("saas",)), _profile("v1", "saas"), True),
        (Targeting(industries=("saas",)), _profile("v1", "travel"), False),
        (Targeting(requires_consent=True), _profile("v1", consent=ConsentState.GRANTED), True),
        (Targeting(requires_consent=True), _profile("v1", consent=ConsentState.UNKNOWN), False),
        (Targeting(requires_consent=True), _profile("v1", consent=ConsentState.DENIED), False),
    ],
)
def test_targeting_admits_only_the_chosen_visitors(
    targeting: Targeting, profile: VisitorProfile, admitted: bool
) -> None:
    decision = _decide(profile, (_always(ArmKind.GENERIC, targeting=targeting),))
    assert (decision.experiment == "pli") is admitted


def test_first_experiment_that_takes_the_visitor_wins() -> None:
    first = _always(ArmKind.GENERIC, scope=Scope(ScopeKind.BLOCK_TYPE, "hero"))
    second = _pli(
        "second", (Arm("control", ArmKind.GENERIC, 0.0), Arm("p", ArmKind.PERSONALIZED, 1.0))
    )
    assert _decide(_profile("v1"), (first, second), block_type="hero").experiment == "pli"
    assert _decide(_profile("v1"), (first, second), block_type="cta").experiment == "second"


# --- assignment statistics and determinism ---------------------------------------------------


def test_fifty_fifty_split_over_50k_visitors_is_within_half_a_percent() -> None:
    experiment = _pli(seed="pli:v1")
    ids = _visitor_ids(50_000)
    arms = [_decide(_profile(v), (experiment,)).arm for v in ids]
    assert None not in arms
    share_control = arms.count("control") / len(ids)
    assert abs(share_control - 0.5) <= 0.005


def test_namespaces_keep_experiments_mutually_exclusive() -> None:
    left = _pli("left", namespace=("pricing", 0.0, 0.5))
    right = _pli("right", namespace=("pricing", 0.5, 1.0))
    ids = _visitor_ids(20_000, seed=7)
    in_left = {v for v in ids if left.arm_for(v) is not None}
    in_right = {v for v in ids if right.arm_for(v) is not None}
    assert not in_left & in_right
    # Together they cover everyone, about half each (the namespace hash has 1,000 buckets).
    assert in_left | in_right == set(ids)
    assert abs(len(in_left) / len(ids) - 0.5) <= 0.02
    # ...and decide() puts each visitor in exactly the experiment of their half.
    for v in ids[:2_000]:
        assert _decide(_profile(v), (left, right)).experiment == (
            "left" if v in in_left else "right"
        )


def test_raising_the_bucket_version_re_randomises_about_half_the_visitors() -> None:
    v1, v2 = _pli(seed="pli:v1"), _pli(seed="pli:v2")
    ids = _visitor_ids(20_000, seed=11)
    switched = sum(v1.arm_for(v) != v2.arm_for(v) for v in ids) / len(ids)
    assert 0.48 <= switched <= 0.52
    # Same version, same arms: assignment is a pure function of (seed, visitor id).
    again = _pli(seed="pli:v1")
    assert all(v1.arm_for(v) == again.arm_for(v) for v in ids[:2_000])


def test_assignments_are_identical_across_processes() -> None:
    ids = _visitor_ids(1_000, seed=3)
    script = (
        "import json, sys\n"
        "from persx.engine.deciding.experiments import (\n"
        "    Arm, ArmKind, ExperimentDefinition, Holdout, decide)\n"
        "from persx.engine.visitor.profile import VisitorProfile\n"
        "e = ExperimentDefinition.build('pli', [Arm('control', ArmKind.GENERIC, 0.3),"
        " Arm('personalized', ArmKind.PERSONALIZED, 0.7)], seed='pli:v3', coverage=0.8)\n"
        "h = Holdout('persx-global-holdout', 0.1)\n"
        "out = []\n"
        "for v in json.load(sys.stdin):\n"
        "    d = decide(VisitorProfile(v, industry='saas'), ('industry:saas',),"
        " {'industry:saas'}, [e], h, 'hero', '1')\n"
        "    out.append([d.variant_key, d.reason.value, d.experiment, d.arm])\n"
        "print(json.dumps(out))\n"
    )
    results = run_in_fresh_interpreters(script, ids, ("0", "4242"))
    experiment = _pli(
        arms=(Arm("control", ArmKind.GENERIC, 0.3), Arm("personalized", ArmKind.PERSONALIZED, 0.7)),
        seed="pli:v3",
        coverage=0.8,
    )
    holdout = Holdout("persx-global-holdout", 0.1)
    here = []
    for v in ids:
        d = decide(
            _profile(v), ("industry:saas",), {"industry:saas"}, [experiment], holdout, "hero", "1"
        )
        here.append([d.variant_key, d.reason.value, d.experiment, d.arm])
    assert results[0] == results[1] == here
    # The run exercised every outcome: holdout, control, treatment and outside coverage.
    assert {row[1] for row in here} == {"holdout", "experiment_control", "industry_match"}
    assert any(row[2] is None for row in here)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "arms", "coverage", "namespace", "message", "field"),
    [
        ("pli", (CONTROL,), 1.0, None, "at least two arms", "arms"),
        ("pli", (CONTROL, Arm("control", ArmKind.PERSONALIZED, 0.5)), 1.0, None, "unique", "arms"),
        ("pli", (CONTROL, Arm("", ArmKind.PERSONALIZED, 0.5)), 1.0, None, "needs a key", "arms"),
        ("pli", (CONTROL, Arm("v", ArmKind.VARIANT, 0.5)), 1.0, None, "variant_key", "arms"),
        ("pli", (CONTROL, Arm("p", ArmKind.PERSONALIZED, 0.4)), 1.0, None, "weights", "arms"),
        ("pli", (CONTROL, PERSONALIZED), 1.5, None, "coverage", "coverage"),
        ("pli", (CONTROL, PERSONALIZED), 1.0, ("n", 0.6, 0.4), "namespace", "namespace"),
        (HOLDOUT_EXPERIMENT, (CONTROL, PERSONALIZED), 1.0, None, "reserved", "key"),
    ],
)
def test_build_refuses_an_invalid_experiment(
    key: str,
    arms: tuple[Arm, ...],
    coverage: float,
    namespace: tuple[str, float, float] | None,
    message: str,
    field: str,
) -> None:
    with pytest.raises(InvalidSetup, match=message) as refused:
        _pli(key, arms, coverage=coverage, namespace=namespace)
    assert refused.value.field == field


def test_build_accepts_arm_kinds_given_as_text() -> None:
    experiment = _pli(arms=(Arm("c", "generic", 0.5), Arm("p", "personalized", 0.5)))  # type: ignore[arg-type]
    assert [a.kind for a in experiment.arms] == [ArmKind.GENERIC, ArmKind.PERSONALIZED]
    with pytest.raises(InvalidSetup, match="bogus"):
        _pli(arms=(Arm("c", "generic", 0.5), Arm("p", "bogus", 0.5)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("targeting", "admitted"),
    [
        (Targeting(), False),
        (Targeting(requires_profile=False), True),
        (Targeting(requires_profile=False, industries=("saas",)), False),
    ],
)
def test_targeting_without_a_profile(targeting: Targeting, admitted: bool) -> None:
    """No profile (or one without an industry) is admitted only by targeting that asks for
    neither a profile nor an industry."""
    assert targeting.admits(None) is admitted
    assert targeting.admits(VisitorProfile("v1")) is admitted
