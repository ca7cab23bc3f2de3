"""The accounts screen's reader of matched outcomes (:mod:`persx.accounts.outcome_port`).

An outcome belongs to the account it was matched to (``Outcome.account``). Amounts follow
the reports' rule (:mod:`persx.outcomes.pipeline_metrics`): a CRM record counts once, at its
furthest stage; pipeline is the amount of records that reached an opportunity (opportunity,
won, lost), revenue the amount of won ones; totals are kept per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from persx.accounts.outcome_port import OutcomeLine, OutcomeTotals
from persx.outcomes.models import MatchStatus, Outcome
from persx.outcomes.vocabulary import PIPELINE_STAGES, REVENUE_STAGES, STAGE_ORDER


class AccountOutcomes:
    def totals(self, domains: Sequence[str]) -> dict[str, OutcomeTotals]:
        rows = Outcome.objects.filter(
            account__in=list(domains), match_status=MatchStatus.MATCHED
        ).values_list(
            "account",
            "integration_id",
            "record_id",
            "outcome_id",
            "stage",
            "amount",
            "currency",
            "occurred_at",
        )
        count: dict[str, int] = defaultdict(int)
        furthest: dict[tuple[str, int, str], tuple[int, object, str, Decimal | None, str]] = {}
        for account, integration, record_id, outcome_id, stage, amount, currency, at in rows:
            count[account] += 1
            key = (account, integration, record_id or outcome_id)
            rank = (STAGE_ORDER[stage], at, stage, amount, currency)
            held = furthest.get(key)
            if held is None or rank[:2] > held[:2]:
                furthest[key] = rank
        pipeline: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        won: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for (account, _, _), (_, _, stage, amount, currency) in furthest.items():
            if amount is None:
                continue
            if stage in PIPELINE_STAGES:
                pipeline[account][currency] += amount
            if stage in REVENUE_STAGES:
                won[account][currency] += amount
        return {
            account: OutcomeTotals(
                n,
                tuple(sorted(pipeline[account].items())),
                tuple(sorted(won[account].items())),
            )
            for account, n in count.items()
        }

    def lines(self, domain: str, limit: int) -> list[OutcomeLine]:
        outcomes = (
            Outcome.objects.filter(account=domain, match_status=MatchStatus.MATCHED)
            .select_related("integration")
            .order_by("-occurred_at", "-pk")[:limit]
        )
        return [
            OutcomeLine(
                integration=o.integration.name,
                record=o.record,
                stage=o.stage.replace("_", " "),
                amount=o.amount,
                currency=o.currency,
                occurred_at=o.occurred_at,
                visitor_id=o.visitor_id,
                matched_by=o.get_match_reason_display(),
            )
            for o in outcomes
        ]
