"""Variant selection: persona > industry > generic, with reason codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persx.engine.deciding.decision import Reason
from persx.engine.deciding.selection import select_variant
from persx.engine.visitor.audience import GENERIC, industry_key, parse_audience, persona_key
from persx.engine.visitor.profile import VisitorProfile

SLUGS = st.sampled_from(["ecommerce", "saas", "travel", "healthcare"])
PERSONAS = st.sampled_from(["ecommerce-growth", "saas-plg", "travel-loyalty"])


def test_persona_variant_beats_industry_variant() -> None:
    profile = VisitorProfile("v1", industry="ecommerce", persona="ecommerce-growth")
    available = {"industry:ecommerce": 1, "persona:ecommerce-growth": 2}
    decision = select_variant(profile.audience_keys(), available)
    assert decision.variant_key == "persona:ecommerce-growth"
    assert decision.reason is Reason.PERSONA_MATCH


def test_industry_variant_when_no_persona_variant() -> None:
    profile = VisitorProfile("v1", industry="ecommerce", persona="ecommerce-growth")
    decision = select_variant(profile.audience_keys(), {"industry:ecommerce", "industry:saas"})
    assert (decision.variant_key, decision.reason) == ("industry:ecommerce", Reason.INDUSTRY_MATCH)


def test_generic_with_variant_missing_reason() -> None:
    profile = VisitorProfile("v1", industry="travel")
    decision = select_variant(profile.audience_keys(), {"industry:saas"})
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.VARIANT_MISSING)


def test_generic_with_no_profile_reason() -> None:
    decision = select_variant((), {"industry:saas"})
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.NO_PROFILE)


def test_a_variant_of_another_industry_is_never_served() -> None:
    profile = VisitorProfile("v1", industry="saas")
    assert select_variant(profile.audience_keys(), {"industry:ecommerce"}).variant_key == GENERIC


# Every case that matters, written out by hand from the rule "persona variant > industry
# variant > generic"; a visitor without an industry has no profile to personalize for.
# (industry, persona, variants the block has) -> (served variant, reason).
TABLE: list[tuple[str | None, str | None, set[str], tuple[str, Reason]]] = [
    (None, None, set(), (GENERIC, Reason.NO_PROFILE)),
    (None, None, {"industry:saas", "persona:saas-plg"}, (GENERIC, Reason.NO_PROFILE)),
    ("saas", None, set(), (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", None, {"industry:travel"}, (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", None, {"persona:saas-plg"}, (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", None, {"industry:saas"}, ("industry:saas", Reason.INDUSTRY_MATCH)),
    ("saas", None, {"industry:saas", "persona:saas-plg"}, ("industry:saas", Reason.INDUSTRY_MATCH)),
    ("saas", "saas-plg", set(), (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", "saas-plg", {"industry:travel"}, (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", "saas-plg", {"persona:travel-loyalty"}, (GENERIC, Reason.VARIANT_MISSING)),
    ("saas", "saas-plg", {"industry:saas"}, ("industry:saas", Reason.INDUSTRY_MATCH)),
    ("saas", "saas-plg", {"persona:saas-plg"}, ("persona:saas-plg", Reason.PERSONA_MATCH)),
    (
        "saas",
        "saas-plg",
        {"industry:saas", "persona:saas-plg"},
        ("persona:saas-plg", Reason.PERSONA_MATCH),
    ),
    (
        "saas",
        "saas-plg",
        {"industry:saas", "persona:travel-loyalty", "industry:travel"},
        ("industry:saas", Reason.INDUSTRY_MATCH),
    ),
]


@pytest.mark.parametrize(("industry", "persona", "available", "expected"), TABLE)
def test_selection_table(
    industry: str | None, persona: str | None, available: set[str], expected: tuple[str, Reason]
) -> None:
    profile = VisitorProfile("v", industry=industry, persona=persona)
    decision = select_variant(profile.audience_keys(), available)
    assert (decision.variant_key, decision.reason) == expected


def expected_choice(
    industry: str | None, persona: str | None, available: set[str]
) -> tuple[str, Reason]:
    """The rule, stated on the visitor's industry and persona (not on audience keys)."""
    if industry is None:
        return GENERIC, Reason.NO_PROFILE
    if persona is not None and f"persona:{persona}" in available:
        return f"persona:{persona}", Reason.PERSONA_MATCH
    if f"industry:{industry}" in available:
        return f"industry:{industry}", Reason.INDUSTRY_MATCH
    return GENERIC, Reason.VARIANT_MISSING


@given(
    industry=st.none() | SLUGS,
    persona=st.none() | PERSONAS,
    available=st.sets(
        st.builds(industry_key, SLUGS) | st.builds(persona_key, PERSONAS), max_size=6
    ),
)
def test_selection_follows_the_rule_for_any_visitor_and_block(
    industry: str | None, persona: str | None, available: set[str]
) -> None:
    persona = persona if industry else None  # a persona belongs to a profiled visitor
    profile = VisitorProfile("v", industry=industry, persona=persona)
    decision = select_variant(profile.audience_keys(), available)
    assert (decision.variant_key, decision.reason) == expected_choice(industry, persona, available)
    # Never a variant of someone else: the served variant is generic or the visitor's own.
    assert decision.variant_key in {GENERIC, f"industry:{industry}", f"persona:{persona}"}
    assert decision.is_personalized == (decision.variant_key in available)


def test_parse_audience_rejects_other_shapes() -> None:
    assert parse_audience("industry:saas") == ("industry", "saas")
    assert parse_audience("persona:x") == ("persona", "x")
    for bad in ("generic", "industry:", "segment:x", "", ":x"):
        assert parse_audience(bad) is None
