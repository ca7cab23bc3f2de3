"""The catalog's per-industry views: the goals and tools the start form shows first."""

from __future__ import annotations

from persx.engine.visitor.catalog import Catalog, Industry, Persona
from tests.engine.catalog_fixture import CATALOG


def test_goals_for_an_industry_are_its_personas_goals_in_order_each_once() -> None:
    assert CATALOG.goals_for("ecommerce") == ("conversion", "aov", "cart", "ltv", "churn")
    assert CATALOG.goals_for("saas") == ("trial", "onboarding")


def test_tools_for_an_industry_are_its_personas_tools_in_order_each_once() -> None:
    assert CATALOG.tools_for("ecommerce") == ("shopify", "ga4", "klaviyo", "braze")
    assert CATALOG.tools_for("saas") == ("amplitude",)


def test_an_unknown_industry_has_no_goals_or_tools() -> None:
    assert CATALOG.goals_for("mining") == ()
    assert CATALOG.tools_for("mining") == ()


def test_a_goal_shared_by_two_personas_is_listed_once_where_it_first_appears() -> None:
    catalog = Catalog(
        version="overlap",
        industries=(Industry("saas", "SaaS"),),
        personas=(
            Persona("a", "saas", "A", "Role A", goals=("trial", "churn"), tools=("x", "y")),
            Persona("b", "saas", "B", "Role B", goals=("churn", "nps"), tools=("y", "z")),
        ),
    )
    assert catalog.goals_for("saas") == ("trial", "churn", "nps")
    assert catalog.tools_for("saas") == ("x", "y", "z")
