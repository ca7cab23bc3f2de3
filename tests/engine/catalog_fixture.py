"""A small hand-made catalog for engine tests (the real one lives in the data file)."""

from __future__ import annotations

from persx.engine.visitor.catalog import Catalog, Goal, Industry, MartechTool, Persona

CATALOG = Catalog(
    version="test",
    industries=(Industry("ecommerce", "eCommerce"), Industry("saas", "SaaS")),
    personas=(
        Persona(
            "ecommerce-growth",
            "ecommerce",
            "Growth Gabi",
            "Head of Growth",
            goals=("conversion", "aov", "cart"),
            tools=("shopify", "ga4"),
            role_keywords=("growth",),
        ),
        Persona(
            "ecommerce-retention",
            "ecommerce",
            "Retention Rae",
            "CRM Lead",
            goals=("ltv", "churn"),
            tools=("klaviyo", "braze"),
            role_keywords=("crm", "retention"),
        ),
        Persona(
            "saas-growth",
            "saas",
            "PLG Pat",
            "Growth PM",
            goals=("trial", "onboarding"),
            tools=("amplitude",),
            role_keywords=("growth",),
        ),
    ),
    goals=tuple(
        Goal(s, s.title())
        for s in ("conversion", "aov", "cart", "ltv", "churn", "trial", "onboarding")
    ),
    tools=tuple(
        MartechTool(s, s.title()) for s in ("shopify", "ga4", "klaviyo", "braze", "amplitude")
    ),
)
