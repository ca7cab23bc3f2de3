"""Profiles: choices, precedence between layers, staleness, recommendations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persx.engine.deciding.recommendation import TaggedItem, rank_for_profile
from persx.engine.visitor.precedence import ProfileLayers, resolve_profile
from persx.engine.visitor.profile import Provenance, VisitorProfile, needs_reconfirmation
from persx.engine.visitor.profile_update import UnknownIndustryError, apply_choices
from tests.engine.catalog_fixture import CATALOG

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_apply_choices_builds_profile_and_scores_persona() -> None:
    profile = apply_choices(
        CATALOG,
        None,
        "vid-123456",
        "ecommerce",
        NOW,
        Provenance.START_FORM,
        goals=["conversion", "aov", "cart", "bogus"],
        tools=["shopify"],
    )
    assert profile.visitor_id == "vid-123456"
    assert profile.industry == "ecommerce"
    assert profile.persona == "ecommerce-growth"
    assert profile.goals == ("conversion", "aov", "cart")  # unknown slugs dropped
    assert profile.industry_source is Provenance.START_FORM
    assert profile.set_at == NOW == profile.updated_at


def test_changing_industry_keeps_visitor_id_and_set_at_and_rescoring_persona() -> None:
    first = apply_choices(
        CATALOG,
        None,
        "vid-1",
        "ecommerce",
        NOW,
        Provenance.START_FORM,
        goals=["conversion", "aov", "cart"],
    )
    later = NOW + timedelta(days=3)
    second = apply_choices(CATALOG, first, "vid-other", "saas", later, Provenance.URL_PARAM)
    assert second.visitor_id == "vid-1"
    assert second.set_at == NOW
    assert second.updated_at == later
    assert second.persona is None  # the e-commerce persona does not follow into SaaS
    assert second.goals == first.goals


def test_unknown_industry_is_refused() -> None:
    with pytest.raises(UnknownIndustryError):
        apply_choices(CATALOG, None, "vid-1", "mining", NOW, Provenance.MANUAL)


def test_precedence_explicit_cookie_account_mirror_inferred() -> None:
    def p(industry: str) -> VisitorProfile:
        return VisitorProfile("v", industry=industry)

    layers = ProfileLayers(
        explicit=None, cookie=p("saas"), account=p("ecommerce"), session_mirror=p("travel")
    )
    assert resolve_profile(layers) == (p("saas"), "cookie")
    assert resolve_profile(ProfileLayers(explicit=p("travel"), cookie=p("saas")))[1] == "explicit"
    assert resolve_profile(ProfileLayers(account=p("x"), session_mirror=p("y")))[1] == "account"
    assert resolve_profile(ProfileLayers(session_mirror=p("y"), inferred=p("z")))[1] == (
        "session_mirror"
    )
    assert resolve_profile(ProfileLayers(inferred=p("z")))[1] == "inferred"
    # A layer without an industry is not a profile.
    assert resolve_profile(ProfileLayers(cookie=VisitorProfile("v"))) == (None, None)


def test_precedence_runs_a_lookup_only_when_the_layers_above_are_empty() -> None:
    calls: list[str] = []

    def account() -> VisitorProfile:
        calls.append("account")
        return VisitorProfile("v", industry="ecommerce")

    cookie = VisitorProfile("v", industry="saas")
    assert resolve_profile(ProfileLayers(cookie=cookie, account=account)) == (cookie, "cookie")
    assert calls == []
    profile, layer = resolve_profile(ProfileLayers(cookie=None, account=account))
    assert (profile.industry if profile else None, layer) == ("ecommerce", "account")
    assert calls == ["account"]
    assert resolve_profile(ProfileLayers(account=lambda: None)) == (None, None)


def test_reconfirmation_after_90_days() -> None:
    fresh = VisitorProfile("v", industry="saas", set_at=NOW - timedelta(days=89))
    stale = VisitorProfile("v", industry="saas", set_at=NOW - timedelta(days=91))
    assert not needs_reconfirmation(fresh, NOW, 90)
    assert needs_reconfirmation(stale, NOW, 90)
    # Confirming again (updated_at) resets the clock.
    confirmed = stale.with_changes(updated_at=NOW)
    assert not needs_reconfirmation(confirmed, NOW, 90)


def test_recommendations_put_industry_then_goal_matches_first() -> None:
    items = [
        TaggedItem("a", industries=("saas",), goals=("trial",)),
        TaggedItem("b", industries=("ecommerce",), goals=()),
        TaggedItem("c", industries=(), goals=("cart",)),
        TaggedItem("d", industries=("ecommerce",), goals=("cart",)),
    ]
    visitor = VisitorProfile("v", industry="ecommerce", goals=("cart",))
    assert [r.key for r in rank_for_profile(items, visitor, CATALOG)] == ["d", "b", "c", "a"]
    # Without a profile the editorial order stands.
    assert [r.key for r in rank_for_profile(items, None, CATALOG)] == ["a", "b", "c", "d"]


def test_no_reconfirmation_without_an_industry_or_a_date() -> None:
    long_ago = NOW - timedelta(days=400)
    assert not needs_reconfirmation(VisitorProfile("v", set_at=long_ago), NOW, 90)
    assert not needs_reconfirmation(VisitorProfile("v", industry="saas"), NOW, 90)


def test_catalog_lists_and_checks_audience_keys() -> None:
    keys = CATALOG.audience_keys()
    assert keys == (
        "industry:ecommerce",
        "industry:saas",
        "persona:ecommerce-growth",
        "persona:ecommerce-retention",
        "persona:saas-growth",
    )
    assert all(CATALOG.is_valid_audience(k) for k in keys)
    for bad in ("industry:mining", "persona:nobody", "generic", "segment:saas", "saas"):
        assert not CATALOG.is_valid_audience(bad)
