"""Variant selection: persona > industry > generic, with reason codes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from persx.engine.audience import GENERIC, industry_key, parse_audience, persona_key
from persx.engine.decision import Reason
from persx.engine.profile import VisitorProfile
from persx.engine.selection import select_variant

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


@given(
    industry=st.none() | SLUGS,
    persona=st.none() | PERSONAS,
    available=st.sets(
        st.builds(industry_key, SLUGS) | st.builds(persona_key, PERSONAS), max_size=6
    ),
)
def test_selection_properties(
    industry: str | None, persona: str | None, available: set[str]
) -> None:
    profile = VisitorProfile("v", industry=industry, persona=persona if industry else None)
    keys = profile.audience_keys()
    decision = select_variant(keys, available)
    # The served variant is generic or one the visitor matches and the block has.
    assert decision.variant_key == GENERIC or (
        decision.variant_key in available and decision.variant_key in keys
    )
    # The most specific available key always wins.
    expected = next((k for k in keys if k in available), GENERIC)
    assert decision.variant_key == expected
    # Reason codes agree with the outcome.
    if not keys:
        assert decision.reason is Reason.NO_PROFILE
    elif expected == GENERIC:
        assert decision.reason is Reason.VARIANT_MISSING
    else:
        parsed = parse_audience(expected)
        assert parsed is not None
        assert decision.reason is (
            Reason.PERSONA_MATCH if parsed[0] == "persona" else Reason.INDUSTRY_MATCH
        )


def test_parse_audience_rejects_other_shapes() -> None:
    assert parse_audience("industry:saas") == ("industry", "saas")
    assert parse_audience("persona:x") == ("persona", "x")
    for bad in ("generic", "industry:", "segment:x", "", ":x"):
        assert parse_audience(bad) is None
