"""The plan of a simulated run (:mod:`persx.demo.simulation`): how many visitors, from which
industries, over how many past days, and the planted truth each visitor converts by: a
baseline rate per metric and a relative lift per industry and metric for personalized
content. ``simulate_traffic``'s options are parsed here (a bad value is a ``ValueError``
naming the option)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_BASELINES: dict[str, float] = {
    "form_submission": 0.03,
    "cta_click": 0.08,
    "email_signup": 0.02,
    "engagement": 0.6,  # share of visitors whose time on page is reported
    "return_visit": 0.2,  # come back 1-6 days later (needs --days > 1)
    "form_abandon": 0.05,  # of those who do not submit: start the contact form and leave
}
RETURN_WITHIN_DAYS = 7
ENGAGEMENT_MEAN_SECONDS = 45.0
SECOND_PAGE_SHARE = 0.5  # visitors who also view the home page (the rest bounce)
ALL = "*"


@dataclass(frozen=True, slots=True)
class Plan:
    visitors: int
    industries: Mapping[str, float]  # industry slug → share of visitors (weights)
    lifts: Mapping[tuple[str, str], float]  # (industry or "*", metric or "*") → true lift
    baselines: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BASELINES))
    days: int = 1
    seed: int = 1
    url: str | None = None
    backfill: bool = False
    # Share of visitors who skip the start form (0: everyone states their industry).
    skippers: float = 0.0
    # Planted accounts (persx.demo.planted_accounts): visitors come from companies whose
    # visitors convert alike (intra-account correlation account_icc), leave work emails at
    # their company's domain, and the CRM later reports their leads' pipeline with a
    # planted lift for personalized content (persx.demo.planted_crm).
    accounts: bool = False
    account_icc: float = 0.1
    pipeline_lift: float = 0.25

    def __post_init__(self) -> None:
        if self.visitors < 1:
            raise ValueError("visitors must be at least 1")
        if not 0.0 <= self.skippers <= 1.0:
            raise ValueError("skippers: a share between 0 and 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0.0 <= self.account_icc < 1.0:
            raise ValueError("icc: an intra-account correlation from 0 up to (not including) 1")
        if self.pipeline_lift <= -1 or not math.isfinite(self.pipeline_lift):
            raise ValueError("pipeline-lift: a relative lift above -1")
        if self.url and self.days > 1 and not self.backfill:
            raise ValueError(
                "with --url, --days > 1 needs --backfill (this process shifts the visitors' "
                "events in the site's database afterwards)"
            )

    def lift(self, industry: str, metric: str) -> float:
        for key in ((industry, metric), (industry, ALL), (ALL, metric), (ALL, ALL)):
            if key in self.lifts:
                return self.lifts[key]
        return 0.0

    def probability(
        self, industry: str, metric: str, personalized: bool, propensity: float = 1.0
    ) -> float:
        """The chance to convert on ``metric``; ``propensity`` is the visitor's account's
        rate relative to the baseline (1 without planted accounts)."""
        base = self.baselines.get(metric, 0.0) * propensity
        p = base * (1 + self.lift(industry, metric)) if personalized else base
        return min(max(p, 0.0), 1.0)


def parse_shares(text: str) -> dict[str, float]:
    """``"saas=2,healthcare=1"`` → weights (a bare ``saas`` counts 1)."""
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, raw = part.partition("=")
        try:
            weight = float(raw) if raw else 1.0
        except ValueError as exc:
            raise ValueError(f"industries: '{part}' is not name=weight") from exc
        if weight < 0 or not math.isfinite(weight):
            raise ValueError(f"industries: weight of '{name}' must be a non-negative number")
        shares[name.strip()] = weight
    if not shares or sum(shares.values()) <= 0:
        raise ValueError("industries: give at least one industry with a positive weight")
    return shares


def parse_lifts(text: str) -> dict[tuple[str, str], float]:
    """``"0.2"``, ``"saas=0.3,healthcare:cta_click=0.1,*=0.15"`` → lifts (relative)."""
    lifts: dict[tuple[str, str], float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        target, sep, raw = part.rpartition("=")
        if not sep:
            target, raw = ALL, part
        industry, _, metric = target.strip().partition(":")
        try:
            value = float(raw)
        except ValueError as exc:
            raise ValueError(f"lift: '{part}' is not industry[:metric]=number") from exc
        if value <= -1 or not math.isfinite(value):
            raise ValueError(f"lift: '{part}' must be a number above -1")
        lifts[(industry or ALL, metric or ALL)] = value
    return lifts


def parse_baselines(text: str) -> dict[str, float]:
    """``"0.03"`` (the contact form) or ``"0.03,cta_click=0.1"`` → per-metric baselines."""
    baselines = dict(DEFAULT_BASELINES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, raw = part.rpartition("=")
        metric = name.strip() if sep else "form_submission"
        try:
            value = float(raw)
        except ValueError as exc:
            raise ValueError(f"baseline: '{part}' is not [metric=]rate") from exc
        if not 0 <= value <= 1:
            raise ValueError(f"baseline: '{part}' must be a rate between 0 and 1")
        if metric not in DEFAULT_BASELINES:
            known = ", ".join(DEFAULT_BASELINES)
            raise ValueError(f"baseline: unknown metric '{metric}' (known: {known})")
        baselines[metric] = value
    return baselines
