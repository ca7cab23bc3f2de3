"""The quarterly persona review: what visitors said against what the personas assume.

For each industry, from the start-form answers in a window:

- how often each goal and tool was chosen, and which personas' definitions list it (an
  often-chosen answer that no persona lists is a gap);
- each persona's match count and share, per month;
- **falling match rates**: the persona's share of the industry's answers in the recent half
  of the window against the earlier half, flagged when a two-proportion z-test says it fell
  (z ≤ −1.96);
- **candidate personas**: answers that matched no persona well (no persona, or confidence
  under ``low_confidence``) clustered with k-modes over their goals, tools and role words;
  each candidate has its size, defining answers (in at least half its members) and example
  roles. Clusters under ``min_cluster`` visitors are left out.

All counts are reported so an editor can judge; nothing here changes a persona.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from persx.engine.learning.kmodes import Sampler, kmodes
from persx.engine.visitor.catalog import Catalog

__all__ = [
    "Answer",
    "AttributeRow",
    "Candidate",
    "IndustryReview",
    "PersonaReview",
    "PersonaRow",
    "review_personas",
]

_WORD = re.compile(r"[a-z]{4,}")
_Z_FALL = -1.959963984540054


@dataclass(frozen=True, slots=True)
class Answer:
    industry: str
    persona: str
    confidence: float
    goals: tuple[str, ...]
    tools: tuple[str, ...]
    role: str
    answered_on: date


@dataclass(frozen=True, slots=True)
class AttributeRow:
    kind: str  # "goal" | "tool"
    slug: str
    count: int
    share: float
    in_personas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonaRow:
    slug: str
    name: str
    matched: int
    share: float
    mean_confidence: float
    by_month: tuple[int, ...]  # matched per month, in ``PersonaReview.months`` order
    earlier_rate: float
    recent_rate: float
    z: float
    falling: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    size: int
    defining: tuple[str, ...]
    example_roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndustryReview:
    industry: str
    name: str
    answers: int
    by_month: tuple[int, ...]
    earlier_answers: int  # in the earlier half of the window (the falling test's base)
    recent_answers: int
    low_confidence: int
    personas: tuple[PersonaRow, ...]
    attributes: tuple[AttributeRow, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class PersonaReview:
    since: date
    until: date
    months: tuple[str, ...]
    industries: tuple[IndustryReview, ...]
    low_confidence_threshold: float


def _months(since: date, until: date) -> tuple[str, ...]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _z(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-proportion z statistic of rate 2 − rate 1 (pooled variance); 0 when undefined."""
    if n1 == 0 or n2 == 0:
        return 0.0
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.0 if se == 0 else (x2 / n2 - x1 / n1) / se


def _attributes(answer: Answer) -> frozenset[str]:
    words = {f"role:{w}" for w in _WORD.findall(answer.role.lower())}
    return frozenset(
        {f"goal:{g}" for g in answer.goals} | {f"tool:{t}" for t in answer.tools} | words
    )


def _industry(
    industry: str,
    answers: Sequence[Answer],
    catalog: Catalog,
    months: tuple[str, ...],
    midpoint: date,
    low_confidence: float,
    min_cluster: int,
    max_candidates: int,
    rng: Sampler,
) -> IndustryReview:
    n = len(answers)
    personas = catalog.personas_for(industry)
    month_index = {m: i for i, m in enumerate(months)}
    earlier = [a for a in answers if a.answered_on < midpoint]
    recent = [a for a in answers if a.answered_on >= midpoint]
    rows = []
    for p in personas:
        matched = [a for a in answers if a.persona == p.slug]
        by_month = [0] * len(months)
        for a in matched:
            by_month[month_index[_month(a.answered_on)]] += 1
        x1 = sum(a.persona == p.slug for a in earlier)
        x2 = sum(a.persona == p.slug for a in recent)
        z = _z(x1, len(earlier), x2, len(recent))
        rows.append(
            PersonaRow(
                p.slug,
                p.name,
                len(matched),
                len(matched) / n if n else 0.0,
                sum(a.confidence for a in matched) / len(matched) if matched else 0.0,
                tuple(by_month),
                x1 / len(earlier) if earlier else 0.0,
                x2 / len(recent) if recent else 0.0,
                z,
                z <= _Z_FALL,
            )
        )
    goal_counts = Counter(g for a in answers for g in set(a.goals))
    tool_counts = Counter(t for a in answers for t in set(a.tools))
    attributes = [
        AttributeRow(
            kind,
            slug,
            count,
            count / n,
            tuple(p.slug for p in personas if slug in (p.goals if kind == "goal" else p.tools)),
        )
        for kind, counts in (("goal", goal_counts), ("tool", tool_counts))
        for slug, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    industry_months = [0] * len(months)
    for a in answers:
        industry_months[month_index[_month(a.answered_on)]] += 1
    low = [a for a in answers if not a.persona or a.confidence < low_confidence]
    known = catalog.industry(industry)
    return IndustryReview(
        industry,
        known.name if known else industry,
        n,
        tuple(industry_months),
        len(earlier),
        len(recent),
        len(low),
        tuple(rows),
        tuple(attributes),
        _candidates(low, min_cluster, max_candidates, rng),
    )


def _candidates(
    low: Sequence[Answer], min_cluster: int, max_candidates: int, rng: Sampler
) -> tuple[Candidate, ...]:
    if len(low) < min_cluster:
        return ()
    items = [_attributes(a) for a in low]
    clustering = kmodes(items, max_candidates, rng)
    found = []
    for k, mode in enumerate(clustering.modes):
        members = [a for a, label in zip(low, clustering.labels, strict=True) if label == k]
        if len(members) < min_cluster or not mode:
            continue
        roles = Counter(a.role.strip() for a in members if a.role.strip())
        found.append(
            Candidate(
                len(members),
                tuple(sorted(mode)),
                tuple(role for role, _ in roles.most_common(3)),
            )
        )
    found.sort(key=lambda c: (-c.size, c.defining))
    return tuple(found)


def review_personas(
    answers: Sequence[Answer],
    catalog: Catalog,
    since: date,
    until: date,
    rng: Sampler,
    low_confidence: float = 0.5,
    min_cluster: int = 5,
    max_candidates: int = 3,
) -> PersonaReview:
    """The review of ``answers`` given within [since, until] (others are ignored)."""
    if until < since:
        raise ValueError("until must not be before since")
    months = _months(since, until)
    midpoint = since + (until - since) / 2
    in_window = [a for a in answers if since <= a.answered_on <= until]
    industries = tuple(
        _industry(
            i.slug,
            [a for a in in_window if a.industry == i.slug],
            catalog,
            months,
            midpoint,
            low_confidence,
            min_cluster,
            max_candidates,
            rng,
        )
        for i in catalog.industries
    )
    return PersonaReview(since, until, months, industries, low_confidence)
