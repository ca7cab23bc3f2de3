"""Persona assignment from industry + goals + tools + role."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from persx.engine.visitor.catalog import Catalog, Industry, Persona
from persx.engine.visitor.persona_scoring import score_personas
from tests.engine.catalog_fixture import CATALOG

GOALS = [g.slug for g in CATALOG.goals]
TOOLS = [t.slug for t in CATALOG.tools]


def test_clear_match_assigns_persona_with_high_confidence() -> None:
    match = score_personas(CATALOG, "ecommerce", ["conversion", "aov", "cart"], ["shopify"])
    assert match.persona == "ecommerce-growth"
    assert match.confidence >= 0.9


def test_role_alone_can_tip_an_otherwise_even_choice() -> None:
    even = score_personas(CATALOG, "ecommerce", ["conversion", "ltv"], [])
    assert even.persona is None  # one goal each: too close to call
    tipped = score_personas(CATALOG, "ecommerce", ["conversion", "ltv"], [], role="CRM manager")
    assert tipped.scores[0].persona == "ecommerce-retention"
    assert tipped.confidence > even.confidence


def test_no_evidence_stays_industry_level() -> None:
    match = score_personas(CATALOG, "ecommerce")
    assert match.persona is None
    assert match.confidence == 0.0


def test_personas_of_other_industries_are_never_assigned() -> None:
    match = score_personas(CATALOG, "saas", ["conversion", "aov", "cart"], ["shopify", "ga4"])
    assert match.persona is None
    assert all(s.persona.startswith("saas") for s in match.scores)


def test_threshold_controls_assignment() -> None:
    goals, tools = ["conversion", "ltv", "churn"], ["shopify"]
    loose = score_personas(CATALOG, "ecommerce", goals, tools, threshold=0.1)
    strict = score_personas(CATALOG, "ecommerce", goals, tools, threshold=0.99)
    assert loose.persona is not None
    assert strict.persona is None
    assert loose.confidence == strict.confidence


@given(
    industry=st.sampled_from(["ecommerce", "saas"]),
    goals=st.lists(st.sampled_from(GOALS), max_size=5),
    tools=st.lists(st.sampled_from(TOOLS), max_size=5),
    role=st.text(max_size=20),
)
def test_scoring_properties(industry: str, goals: list[str], tools: list[str], role: str) -> None:
    match = score_personas(CATALOG, industry, goals, tools, role)
    assert 0.0 <= match.confidence <= 1.0
    assert [s.raw for s in match.scores] == sorted((s.raw for s in match.scores), reverse=True)
    if match.persona is not None:
        assert match.persona == match.scores[0].persona
        assert CATALOG.persona(match.persona) is not None
        assert CATALOG.persona(match.persona).industry == industry  # type: ignore[union-attr]
    # Deterministic.
    assert score_personas(CATALOG, industry, goals, tools, role) == match


def test_a_persona_without_tools_scores_on_goals_and_role_only() -> None:
    catalog = Catalog(
        version="t",
        industries=(Industry("saas", "SaaS"),),
        personas=(
            Persona("saas-a", "saas", "A", "PM", goals=("trial",), role_keywords=("product",)),
            Persona("saas-b", "saas", "B", "CRM", goals=("churn",), tools=("braze",)),
        ),
    )
    match = score_personas(catalog, "saas", ["trial"], ["braze", "amplitude"], "product lead")
    by_persona = {s.persona: s.raw for s in match.scores}
    with_tools = score_personas(catalog, "saas", ["trial"], [], "product lead")
    # Tools add nothing to a persona that lists none, and do add to one that lists them.
    assert by_persona["saas-a"] == {s.persona: s.raw for s in with_tools.scores}["saas-a"]
    assert by_persona["saas-b"] > 0.0
