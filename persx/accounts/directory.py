"""Reads of the Accounts admin screens: a page of accounts with their visitors and links by
provenance, and one account's links, outcomes and running account-level experiments.

Query input is checked here so a bad one is a clear message, never a server error: the
search term is part of a domain (at most 253 characters of letters, digits, dots and
dashes), the page a whole number within the pages there are.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, Q, QuerySet

from persx.accounts.contamination import Contamination, contamination_of
from persx.accounts.models import Account, Provenance, VisitorAccountLink
from persx.accounts.outcome_port import OutcomeLine, OutcomeTotals, outcome_lines, outcome_totals
from persx.accounts.services import accounts_of_visitors
from persx.engine.deciding.bucketing import RandomizationUnit
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.experiments.models import Experiment
from persx.experiments.repository import running_experiments

PER_PAGE = 50
MAX_TERM = 253
MAX_LINKS_SHOWN = 500
MAX_OUTCOMES_SHOWN = 200
SHORT_LABELS = {
    Provenance.SIGNED_IN_ORG: "Signed in",
    Provenance.CRM: "CRM",
    Provenance.WORK_EMAIL: "Work email",
    Provenance.FIRMOGRAPHIC: "Firmographic",
}
_TERM = re.compile(r"[\w.-]*")


@dataclass(frozen=True, slots=True)
class SearchTerm:
    term: str = ""
    problem: str = ""


def search_term(raw: str) -> SearchTerm:
    term = raw.strip().lower()
    if len(term) > MAX_TERM:
        return SearchTerm(problem=f"q: a domain has at most {MAX_TERM} characters")
    if not _TERM.fullmatch(term):
        return SearchTerm(problem="q: search by domain: letters, digits, dots and dashes only")
    return SearchTerm(term)


@dataclass(frozen=True, slots=True)
class PageNumber:
    number: int = 1
    problem: str = ""


def page_number(raw: str) -> PageNumber:
    if not raw:
        return PageNumber()
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        return PageNumber(problem=f"page: {raw[:20]!r} is not a page number (1, 2, 3 ...)")
    return PageNumber(int(raw))


@dataclass(frozen=True, slots=True)
class AccountRow:
    account: Account
    visitors: int
    by_provenance: tuple[tuple[str, int], ...]
    first_linked: datetime | None
    last_linked: datetime | None
    outcomes: OutcomeTotals


@dataclass(frozen=True, slots=True)
class Listing:
    rows: tuple[AccountRow, ...] = ()
    page: Page[Account] | None = None
    total: int = 0
    problem: str = ""
    provenances: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: tuple((SHORT_LABELS[p], str(p.label)) for p in Provenance)
    )


def _annotated(term: str) -> QuerySet[Account]:
    accounts = Account.objects.all()
    if term:
        accounts = accounts.filter(domain__contains=term)
    per_provenance = {
        f"n_{p.value}": Count("links__visitor_id", filter=Q(links__provenance=p), distinct=True)
        for p in Provenance
    }
    return accounts.annotate(
        n_visitors=Count("links__visitor_id", distinct=True),
        first_linked=Min("links__linked_at"),
        last_linked=Max("links__linked_at"),
        **per_provenance,
    ).order_by("-n_visitors", "domain")


def account_page(term: str, number: int) -> Listing:
    paginator = Paginator(_annotated(term), PER_PAGE)
    if number > paginator.num_pages:
        return Listing(
            problem=f"page: there is no page {number}; the last page is {paginator.num_pages}"
        )
    page = paginator.page(number)
    accounts: list[Account] = list(page.object_list)
    totals = outcome_totals([a.domain for a in accounts])
    rows = tuple(
        AccountRow(
            account=a,
            visitors=a.n_visitors,  # type: ignore[attr-defined]
            by_provenance=tuple((p.value, getattr(a, f"n_{p.value}")) for p in Provenance),
            first_linked=a.first_linked,  # type: ignore[attr-defined]
            last_linked=a.last_linked,  # type: ignore[attr-defined]
            outcomes=totals.get(a.domain, OutcomeTotals()),
        )
        for a in accounts
    )
    return Listing(rows=rows, page=page, total=paginator.count)


@dataclass(frozen=True, slots=True)
class ExperimentState:
    """A running account-level experiment as one account sees it."""

    key: str
    name: str
    account_arm: str  # "" when the account's hash falls outside the experiment's coverage
    shown: tuple[tuple[str, int], ...]  # arm, this account's exposed visitors first shown it
    contamination: Contamination

    @property
    def split(self) -> bool:
        return len(self.shown) > 1


@dataclass(frozen=True, slots=True)
class AccountDetail:
    account: Account
    visitors: int
    links: tuple[VisitorAccountLink, ...]
    links_total: int
    by_provenance: tuple[tuple[str, int], ...]  # provenance label, links
    totals: OutcomeTotals
    outcomes: tuple[OutcomeLine, ...]
    experiments: tuple[ExperimentState, ...]


def account_detail(account: Account) -> AccountDetail:
    links = VisitorAccountLink.objects.filter(account=account).order_by("-linked_at", "-pk")
    visitor_ids = set(links.values_list("visitor_id", flat=True))
    by_provenance = Counter(links.values_list("provenance", flat=True))
    return AccountDetail(
        account=account,
        visitors=len(visitor_ids),
        links=tuple(links[:MAX_LINKS_SHOWN]),
        links_total=links.count(),
        by_provenance=tuple((str(p.label), by_provenance[p.value]) for p in Provenance),
        totals=outcome_totals([account.domain]).get(account.domain, OutcomeTotals()),
        outcomes=tuple(outcome_lines(account.domain, MAX_OUTCOMES_SHOWN)),
        experiments=_experiments(account, visitor_ids),
    )


def _experiments(account: Account, visitor_ids: set[str]) -> tuple[ExperimentState, ...]:
    running = [e for e in running_experiments() if e.unit is RandomizationUnit.ACCOUNT]
    if not running:
        return ()
    names = dict(
        Experiment.objects.filter(key__in=[e.key for e in running]).values_list("key", "name")
    )
    # Only visitors whose account (under the precedence) is this one count for it.
    members = sorted(v for v, a in accounts_of_visitors(visitor_ids).items() if a.pk == account.pk)
    states = []
    for experiment in running:
        first_arm: dict[str, str] = {}
        exposures = (
            Event.objects.filter(
                type=EventType.EXPOSURE, experiment=experiment.key, visitor_id__in=members
            )
            .order_by("visitor_id", "occurred_at")
            .values_list("visitor_id", "arm")
        )
        for visitor, arm in exposures:
            first_arm.setdefault(visitor, arm)
        account_arm = experiment.arm_for(account.domain)
        states.append(
            ExperimentState(
                key=experiment.key,
                name=names.get(experiment.key, experiment.key),
                account_arm=account_arm.key if account_arm else "",
                shown=tuple(sorted(Counter(first_arm.values()).items())),
                contamination=contamination_of(experiment.key),
            )
        )
    return tuple(states)
