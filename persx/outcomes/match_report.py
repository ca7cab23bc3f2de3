"""How many outcomes found their visitor or account, and why the others did not.

Read from the stored match of each outcome (:mod:`persx.outcomes.matching`); run
``manage.py persx_outcomes_match`` first to match everything again against today's leads
and exposures. Shown in the admin ("Pipeline outcomes" screen), as JSON, and by the
commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from persx.outcomes.models import MatchReason, MatchStatus, Outcome


@dataclass(frozen=True, slots=True)
class ReasonCount:
    reason: str
    label: str
    matched: bool
    count: int
    share: float  # of all outcomes


@dataclass(frozen=True, slots=True)
class MatchReport:
    integration: str  # "" for every integration
    total: int
    matched: int
    to_visitor: int  # matched with a visitor (lead id or email)
    to_account_only: int  # matched with an account but no visitor
    reasons: list[ReasonCount]

    @property
    def unmatched(self) -> int:
        return self.total - self.matched

    @property
    def matched_share(self) -> float | None:
        return self.matched / self.total if self.total else None

    def as_json(self) -> dict[str, Any]:
        return {
            "integration": self.integration or None,
            "total": self.total,
            "matched": self.matched,
            "matched_share": self.matched_share,
            "to_visitor": self.to_visitor,
            "to_account_only": self.to_account_only,
            "unmatched": self.unmatched,
            "reasons": [
                {
                    "reason": r.reason,
                    "label": r.label,
                    "matched": r.matched,
                    "count": r.count,
                    "share": r.share,
                }
                for r in self.reasons
            ],
        }

    def lines(self) -> list[str]:
        """The report as text (for the commands)."""
        if not self.total:
            return ["No outcomes stored yet."]
        head = (
            f"{self.matched} of {self.total} outcomes matched ({self.matched_share:.1%}): "
            f"{self.to_visitor} to a visitor, {self.to_account_only} to an account only"
        )
        return [head] + [
            f"  {'matched' if r.matched else 'not matched'}: {r.label}: {r.count} ({r.share:.1%})"
            for r in self.reasons
        ]


_MATCHED_REASONS = {MatchReason.LEAD, MatchReason.EMAIL, MatchReason.ACCOUNT}


def match_report(integration: str = "") -> MatchReport:
    outcomes = Outcome.objects.all()
    if integration:
        outcomes = outcomes.filter(integration__name=integration)
    counts = dict(
        outcomes.values_list("match_reason")
        .annotate(n=Count("id"))
        .values_list("match_reason", "n")
    )
    totals = outcomes.aggregate(
        total=Count("id"),
        matched=Count("id", filter=Q(match_status=MatchStatus.MATCHED)),
        to_visitor=Count("id", filter=Q(match_status=MatchStatus.MATCHED) & ~Q(visitor_id="")),
    )
    total = totals["total"]
    reasons = [
        ReasonCount(
            reason.value,
            str(reason.label),
            reason in _MATCHED_REASONS,
            counts[reason.value],
            counts[reason.value] / total,
        )
        for reason in MatchReason
        if counts.get(reason.value)
    ]
    reasons.sort(key=lambda r: (not r.matched, -r.count))
    return MatchReport(
        integration=integration,
        total=total,
        matched=totals["matched"],
        to_visitor=totals["to_visitor"],
        to_account_only=totals["matched"] - totals["to_visitor"],
        reasons=reasons,
    )
