"""AI challengers (``<audience>~ai``): never chosen by normal selection; an experiment's
variant arm serves one only to visitors who would otherwise see the audience's own
variant (``engine.audience``, ``engine.experiments.decide_block``)."""

from __future__ import annotations

import random

from persx.engine.deciding.decision import Reason
from persx.engine.deciding.experiments import Arm, ArmKind, ExperimentDefinition, Targeting, decide
from persx.engine.deciding.selection import select_variant
from persx.engine.visitor.audience import challenged_audience, challenger_key
from persx.engine.visitor.profile import VisitorProfile

AI = challenger_key("industry:saas")
AVAILABLE = frozenset({"industry:saas", AI, "persona:saas-growth-lead"})
DUEL = ExperimentDefinition.build(
    "ai-vs-human",
    [Arm("human", ArmKind.PERSONALIZED, 0.5), Arm("ai", ArmKind.VARIANT, 0.5, AI)],
    targeting=Targeting(industries=("saas",)),
)


def visitors(count: int) -> list[str]:
    rng = random.Random(8)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def test_challenger_keys_round_trip_and_plain_keys_are_not_challengers() -> None:
    assert AI == "industry:saas~ai"
    assert challenged_audience(AI) == "industry:saas"
    assert challenged_audience("industry:saas") is None
    assert challenged_audience("~ai") is None  # a suffix alone names no audience


def test_normal_selection_never_serves_a_challenger() -> None:
    profile = VisitorProfile("v", industry="saas")
    assert select_variant(profile.audience_keys(), AVAILABLE).variant_key == "industry:saas"


def test_the_ai_arm_serves_the_challenger_to_the_audience_and_the_human_arm_its_variant() -> None:
    served: dict[str, set[str]] = {"human": set(), "ai": set()}
    for visitor_id in visitors(200):
        profile = VisitorProfile(visitor_id, industry="saas")
        decision = decide(profile, profile.audience_keys(), AVAILABLE, (DUEL,))
        assert decision.experiment == "ai-vs-human"
        assert decision.arm is not None
        served[decision.arm].add(decision.variant_key)
        assert decision.would_be == "industry:saas"
        assert decision.reason is Reason.INDUSTRY_MATCH
    assert served == {"human": {"industry:saas"}, "ai": {AI}}


def test_a_visitor_with_another_natural_variant_keeps_it_in_the_ai_arm() -> None:
    keys_seen = set()
    for visitor_id in visitors(200):
        profile = VisitorProfile(visitor_id, industry="saas", persona="saas-growth-lead")
        decision = decide(profile, profile.audience_keys(), AVAILABLE, (DUEL,))
        keys_seen.add((decision.arm, decision.variant_key))
    assert keys_seen == {
        ("human", "persona:saas-growth-lead"),
        ("ai", "persona:saas-growth-lead"),
    }


def test_a_plain_variant_arm_still_serves_its_variant_to_everyone_in_it() -> None:
    plain = ExperimentDefinition.build(
        "plain",
        [
            Arm("control", ArmKind.GENERIC, 0.5),
            Arm("saas-copy", ArmKind.VARIANT, 0.5, "industry:saas"),
        ],
    )
    seen = set()
    for visitor_id in visitors(100):
        profile = VisitorProfile(visitor_id, industry="saas", persona="saas-growth-lead")
        decision = decide(profile, profile.audience_keys(), AVAILABLE, (plain,))
        seen.add((decision.arm, decision.variant_key))
    assert ("saas-copy", "industry:saas") in seen
