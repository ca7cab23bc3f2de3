"""Simulated visitors whose behaviour carries a planted signal of who they are.

Each visitor has a true industry (and persona within it). Every behaviour channel fires
with its own probability and, when it fires, points at the true industry with its own
reliability, else at a random other industry or at nothing industry-specific. Many
visitors therefore carry weak or conflicting evidence: a calibrated model must be unsure
about them, and abstaining is the right answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from persx.engine.learning.inference import Signals
from persx.inference.training import LabelledVisitor

INDUSTRIES = ("ecommerce", "healthcare", "saas", "financial-services", "travel")
PERSONAS = {
    industry: tuple(f"{industry}-persona-{k}" for k in (1, 2, 3)) for industry in INDUSTRIES
}
PERSONA_INDUSTRIES = {p: i for i, ps in PERSONAS.items() for p in ps}
REFERRERS = {
    "ecommerce": "shopify-forum.example",
    "healthcare": "healthit-news.example",
    "saas": "saas-weekly.example",
    "financial-services": "fintech-daily.example",
    "travel": "travel-trade.example",
}
GENERIC_PAGES = ("/", "/blog/", "/pricing/", "/about/", "/test-ideas/")
GENERIC_TAGS = ("topic:ab-testing", "topic:analytics", "topic:copywriting")
GENERIC_HOSTS = ("google.com", "www.bing.com", "linkedin.com")


@dataclass(frozen=True, slots=True)
class Channel:
    fires: float  # chance the visitor shows this behaviour at all
    truthful: float  # chance that, when shown, it points at the true industry


LANDING = Channel(0.4, 0.6)
TAG = Channel(0.4, 0.55)  # per post read (0-3 posts)
CTA = Channel(0.15, 0.8)
UTM = Channel(0.2, 0.7)
REFERRER = Channel(0.25, 0.6)
FIRMOGRAPHIC = Channel(0.1, 0.85)
PERSONA_TAG = 0.5  # chance a post read carries the true persona's tag


def _pick(rng: random.Random, channel: Channel, truth: str) -> str | None:
    if rng.random() >= channel.fires:
        return None
    if rng.random() < channel.truthful:
        return truth
    return rng.choice([i for i in INDUSTRIES if i != truth])


def planted_visitor(rng: random.Random) -> LabelledVisitor:
    industry = rng.choice(INDUSTRIES)
    persona = rng.choice(PERSONAS[industry])
    landing_industry = _pick(rng, LANDING, industry)
    landing = f"/industries/{landing_industry}/" if landing_industry else rng.choice(GENERIC_PAGES)
    pages = [rng.choice(GENERIC_PAGES) for _ in range(rng.randint(0, 3))]
    tags: list[str] = []
    for _ in range(rng.randint(0, 3)):
        tagged = _pick(rng, TAG, industry)
        tags.append(f"industry:{tagged}" if tagged else rng.choice(GENERIC_TAGS))
        if rng.random() < PERSONA_TAG:
            tags.append(f"persona:{persona}")
    cta = _pick(rng, CTA, industry)
    utm_industry = _pick(rng, UTM, industry)
    referrer_industry = _pick(rng, REFERRER, industry)
    if referrer_industry:
        referrer = REFERRERS[referrer_industry]
    else:
        referrer = rng.choice(GENERIC_HOSTS) if rng.random() < 0.5 else ""
    signals = Signals(
        landing_path=landing,
        pages_viewed=(landing, *pages),
        tags_read=tuple(tags),
        cta_industries=(cta,) if cta else (),
        utm=(("utm_campaign", f"{utm_industry}-q3"),) if utm_industry else (),
        referrer_host=referrer,
        firmographic_industry=_pick(rng, FIRMOGRAPHIC, industry) or "",
    )
    return LabelledVisitor(signals, industry, persona)


def planted_visitors(count: int, seed: int) -> list[LabelledVisitor]:
    rng = random.Random(seed)
    return [planted_visitor(rng) for _ in range(count)]
