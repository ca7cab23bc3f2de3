"""k-modes and the persona review on answers with planted structure (known truth)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from persx.engine.learning.kmodes import kmodes
from persx.engine.learning.persona_review import Answer, review_personas
from tests.engine.catalog_fixture import CATALOG

SINCE, UNTIL = date(2026, 9, 1), date(2026, 11, 29)


def _noisy(rng: random.Random, core: set[str], noise: list[str]) -> frozenset[str]:
    # sorted: a set's order changes with each process's string hashing, and the draws must
    # not (the planted data is the same in every run)
    kept = {a for a in sorted(core) if rng.random() < 0.9}
    extra = {a for a in noise if rng.random() < 0.1}
    return frozenset(kept | extra)


def test_kmodes_recovers_planted_groups() -> None:
    rng = random.Random(1)
    cores = [{"goal:a", "goal:b", "tool:x"}, {"goal:c", "tool:y", "role:buyer"}, {"tool:z"}]
    noise = ["goal:a", "goal:c", "tool:x", "tool:y", "tool:z", "role:buyer", "goal:d"]
    truth, items = [], []
    for _ in range(300):
        k = rng.randrange(3)
        truth.append(k)
        items.append(_noisy(rng, cores[k], noise))
    result = kmodes(items, 3, random.Random(2))
    assert sorted(result.modes, key=sorted) == sorted(map(frozenset, cores), key=sorted)
    # Each planted group lands (almost) whole in one cluster. Not all of it can: an item
    # keeps each core attribute with p = 0.9, so ~10% of the one-attribute group ({tool:z})
    # lose it and look like noise; 0.85 leaves room for that and nothing more.
    for k in range(3):
        labels = [label for label, t in zip(result.labels, truth, strict=True) if t == k]
        top = max(labels.count(c) for c in set(labels))
        assert top / len(labels) >= 0.85


def test_kmodes_is_reproducible_and_handles_tiny_input() -> None:
    items = [frozenset({"a"}), frozenset({"b"}), frozenset({"a"})]
    assert kmodes(items, 2, random.Random(3)) == kmodes(items, 2, random.Random(3))
    assert kmodes([], 3, random.Random(3)).modes == ()
    assert len(kmodes([frozenset({"a"})] * 4, 3, random.Random(3)).modes) == 1


def _answers() -> list[Answer]:
    rng = random.Random(7)
    answers = []
    days = (UNTIL - SINCE).days
    for i in range(600):
        day = SINCE + timedelta(days=i * days // 600)
        recent = day >= SINCE + (UNTIL - SINCE) / 2
        # Growth's share of eCommerce answers falls from 60% to 30%; retention takes over.
        growth = rng.random() < (0.3 if recent else 0.6)
        if growth:
            answers.append(
                Answer(
                    "ecommerce",
                    "ecommerce-growth",
                    0.8,
                    ("conversion", "aov"),
                    ("shopify",),
                    "Head of Growth",
                    day,
                )
            )
        else:
            answers.append(
                Answer(
                    "ecommerce", "ecommerce-retention", 0.7, ("ltv",), ("klaviyo",), "CRM Lead", day
                )
            )
    # A group no persona fits: marketplace sellers who chose cart + a tool nobody lists.
    for i in range(40):
        answers.append(
            Answer(
                "ecommerce",
                "",
                0.2,
                ("cart",),
                ("ga4",),
                "Marketplace Manager",
                SINCE + timedelta(days=i),
            )
        )
    # SaaS is stable.
    for i in range(200):
        answers.append(
            Answer(
                "saas",
                "saas-growth",
                0.9,
                ("trial",),
                ("amplitude",),
                "Growth PM",
                SINCE + timedelta(days=i * days // 200),
            )
        )
    answers.append(Answer("saas", "saas-growth", 0.9, (), (), "", SINCE - timedelta(days=1)))
    return answers


def test_review_counts_shares_and_falling_match_rates() -> None:
    review = review_personas(_answers(), CATALOG, SINCE, UNTIL, random.Random(4))
    assert review.months == ("2026-09", "2026-10", "2026-11")
    ecommerce, saas = review.industries
    assert ecommerce.answers == 640
    assert saas.answers == 200  # the answer before the window is left out
    assert sum(ecommerce.by_month) == 640
    assert ecommerce.earlier_answers + ecommerce.recent_answers == 640
    growth, retention = ecommerce.personas
    assert growth.matched + retention.matched == 600
    assert sum(growth.by_month) == growth.matched
    assert growth.falling
    assert growth.recent_rate < growth.earlier_rate
    assert not retention.falling
    assert not saas.personas[0].falling
    # Every answer is counted once per goal it contains, with the personas that list it.
    cart = next(a for a in ecommerce.attributes if a.slug == "cart")
    assert (cart.count, cart.in_personas) == (40, ("ecommerce-growth",))
    ga4 = next(a for a in ecommerce.attributes if a.slug == "ga4")
    assert ga4.count == 40


def test_low_confidence_answers_become_a_candidate_persona() -> None:
    review = review_personas(_answers(), CATALOG, SINCE, UNTIL, random.Random(4))
    ecommerce = review.industries[0]
    assert ecommerce.low_confidence == 40
    (candidate,) = ecommerce.candidates
    assert candidate.size == 40
    assert candidate.defining == ("goal:cart", "role:manager", "role:marketplace", "tool:ga4")
    assert candidate.example_roles == ("Marketplace Manager",)
    assert review.industries[1].candidates == ()


def test_kmodes_stops_at_max_iter() -> None:
    items = [frozenset({"a", "b"}), frozenset({"a"}), frozenset({"b", "c"}), frozenset({"c"})]
    result = kmodes(items, 2, random.Random(5), restarts=1, max_iter=1)
    assert len(result.labels) == 4


def test_review_edge_cases() -> None:
    import pytest

    with pytest.raises(ValueError, match="until"):
        review_personas([], CATALOG, UNTIL, SINCE, random.Random(1))
    # Answers only in the recent half: no falling verdict; a tiny low-confidence group
    # (under min_cluster) and an empty-answer group give no candidate.
    late = UNTIL - timedelta(days=2)
    answers = [Answer("saas", "", 0.1, (), (), "", late) for _ in range(6)]
    answers += [Answer("saas", "", 0.1, ("trial",), (), "Ops", late) for _ in range(2)]
    review = review_personas(answers, CATALOG, SINCE, UNTIL, random.Random(1), min_cluster=3)
    saas = review.industries[1]
    assert saas.earlier_answers == 0
    assert saas.personas[0].z == 0.0
    assert not saas.personas[0].falling
    assert saas.low_confidence == 8
    assert saas.candidates == ()
