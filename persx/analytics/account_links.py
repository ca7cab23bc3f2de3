"""The account (company) of each visitor of an experiment, as known before their first
exposure, for the reports' account-level analyses.

An account link made *after* the exposure (a contact form's work email, typically) is left
out: knowing the account is then a consequence of the outcome, and clustering converters
together because they converted would inflate the variance for no reason of the design. As
with account-level assignment (which hashes the account known when the visitor is first
assigned), the unit is fixed at exposure. Among a visitor's earlier links the most
authoritative provenance wins, then the earliest (the precedence of
:func:`persx.accounts.services.account_of_visitor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from persx.accounts.models import PRECEDENCE, VisitorAccountLink
from persx.analytics.models import ExperimentVisitor


@dataclass(frozen=True, slots=True)
class AccountOfVisitor:
    account: str  # the account's id, as text
    size: str  # its firmographic size band ("" when unknown)


def accounts_of(experiment: str) -> dict[str, AccountOfVisitor]:
    """Each visitor's account as known at their first exposure to ``experiment``; visitors
    without one are absent. One query."""
    first_exposed = ExperimentVisitor.objects.filter(
        experiment=experiment, visitor_id=OuterRef("visitor_id")
    ).values("first_exposed_at")[:1]
    visitors = ExperimentVisitor.objects.filter(experiment=experiment).values("visitor_id")
    links = (
        VisitorAccountLink.objects.filter(visitor_id__in=visitors)
        .annotate(exposed_at=Subquery(first_exposed))
        .filter(exposed_at__isnull=False)
        .select_related("account")
        .order_by()
    )
    best: dict[str, tuple[int, datetime, int, AccountOfVisitor]] = {}
    for link in links:
        if link.linked_at > link.exposed_at:
            continue
        rank = (PRECEDENCE.index(link.provenance), link.linked_at, link.pk)
        held = best.get(link.visitor_id)
        if held is None or rank < held[:3]:
            account = AccountOfVisitor(str(link.account_id), link.account.size or "")
            best[link.visitor_id] = (*rank, account)
    return {visitor: entry[3] for visitor, entry in best.items()}
