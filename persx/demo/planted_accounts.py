"""Planted accounts for ``simulate_traffic --accounts N``: companies whose visitors convert
alike, so the account-level analyses have the correlated data a B2B site gives them.

Each account is a company with a domain of its own under ``.example`` (RFC 2606: never a
real company, never a free-mail domain), one industry (all its visitors share it), a size
(how many of the run's visitors come from it: heavy-tailed, 1 to
:data:`MAX_ACCOUNT_VISITORS`) and a *propensity*: the account's conversion rate relative to
the baseline. Propensities are drawn so that the intra-account correlation of the contact
form's conversions is the plan's ``account_icc`` (ρ): the account's rate is
Beta(α, β) with mean p (the baseline) and α + β = (1 − ρ)/ρ, whose variance is
ρ·p·(1 − p), the variance between clusters that an intra-class correlation of ρ means for a
Bernoulli outcome; the propensity is that rate divided by p, and it multiplies every binary
metric's probability for the account's visitors (personalized or not, so the planted lift
stays a relative lift).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_ACCOUNT_VISITORS = 50
# Sizes are drawn with P(size = s) ∝ s^-SIZE_EXPONENT on 1..MAX_ACCOUNT_VISITORS: most
# accounts send one or two people, a few send dozens (as on a real B2B site).
SIZE_EXPONENT = 1.3
_NAMES = (
    "northwind", "contoso", "fabrikam", "tailspin", "wingtip", "adventure", "litware",
    "proseware", "woodgrove", "lucerne", "margie", "alpine", "coho", "fourth", "graphic",
    "humongous", "blue-yonder", "trey", "wide-world", "relecloud",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlantedAccount:
    domain: str
    company: str
    industry: str
    propensity: float  # the account's conversion rate ÷ the baseline

    def email(self, visitor_id: str) -> str:
        return f"sim-{visitor_id[:12]}@{self.domain}"


def _size(rng: random.Random) -> int:
    sizes = range(1, MAX_ACCOUNT_VISITORS + 1)
    return rng.choices(sizes, [s**-SIZE_EXPONENT for s in sizes])[0]


def _propensity(rng: random.Random, baseline: float, icc: float) -> float:
    if icc <= 0 or not 0 < baseline < 1:
        return 1.0
    total = (1 - icc) / icc
    rate = rng.betavariate(baseline * total, (1 - baseline) * total)
    return rate / baseline


def plant_accounts(
    rng: random.Random,
    visitors: int,
    industries: Mapping[str, float],
    icc: float,
    baseline: float,
) -> list[PlantedAccount]:
    """One planted account per visitor (index ``i`` is visitor ``i``'s account): accounts
    are drawn with heavy-tailed sizes until every visitor has one, and the visitors are
    shuffled across them."""
    names = list(industries)
    weights = [industries[n] for n in names]
    slots: list[PlantedAccount] = []
    number = 0
    while len(slots) < visitors:
        number += 1
        stem = _NAMES[(number - 1) % len(_NAMES)]
        account = PlantedAccount(
            domain=f"{stem}-{number:04d}.example",
            company=f"{stem.replace('-', ' ').title()} {number:04d} (simulated)",
            industry=rng.choices(names, weights)[0],
            propensity=_propensity(rng, baseline, icc),
        )
        slots.extend([account] * _size(rng))
    rng.shuffle(slots)
    return slots[:visitors]


def account_sizes(accounts: Sequence[PlantedAccount]) -> dict[str, int]:
    """Visitors per account domain (what the run planted)."""
    sizes: dict[str, int] = {}
    for account in accounts:
        sizes[account.domain] = sizes.get(account.domain, 0) + 1
    return sizes
