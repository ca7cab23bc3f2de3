"""Which visitor or account an outcome belongs to, and why not when it belongs to none.

The keys are tried in a fixed order, the first that resolves wins:

1. ``lead_id``: the contact-form lead with that id (``persx.leads``) and its visitor id;
2. ``email``: the earliest lead sent with that address (case-insensitive) that has a visitor;
3. ``account``: a company domain; it matches an account of ``persx.accounts`` with that
   domain, or a domain a visitor of the site left a lead from. A free-mail or disposable
   domain (gmail.com, mailinator.com …) never makes an account (the maintained lists of
   ``persx.accounts.email_domains``).

A visitor match also gives the account: the visitor's account in ``persx.accounts`` (its
most authoritative link), else the work domain of the lead's address. When no key
resolves, the reason is the first key's failure (:class:`MatchReason`). A matched visitor
whose first exposure (earliest ``exposure`` event) comes after the outcome is not credited:
the API and the import refuse such an outcome, and a later re-match marks it
``before_first_exposure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min, QuerySet
from django.db.models.functions import Lower

from persx.accounts.email_domains import company_domain, domain_of_email, normalized_domain
from persx.accounts.models import Account
from persx.accounts.services import accounts_of_visitors
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.leads.models import Lead
from persx.outcomes.models import MatchReason, MatchStatus


@dataclass(frozen=True, slots=True)
class MatchKeys:
    lead_id: int | None
    email: str
    account: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Match:
    status: str
    reason: str
    visitor_id: str = ""
    account: str = ""
    first_exposed_at: datetime | None = None

    @property
    def matched(self) -> bool:
        return self.status == MatchStatus.MATCHED

    @property
    def before_first_exposure(self) -> bool:
        return self.reason == MatchReason.BEFORE_FIRST_EXPOSURE


def is_free_mail(domain: str) -> bool:
    """Free-mail or disposable: a domain that never names a company."""
    return bool(normalized_domain(domain)) and not company_domain(domain)


def work_domain(email: str) -> str:
    """The company domain of an address, or "" for a free-mail or disposable address."""
    return company_domain(domain_of_email(email))


class Matcher:
    """Resolves many outcomes with a few queries: leads by id, leads by email, leads by
    domain and first exposures are each read once for the whole batch."""

    def __init__(self, keys: Sequence[MatchKeys]) -> None:
        lead_ids = {k.lead_id for k in keys if k.lead_id is not None}
        emails = {k.email for k in keys if k.email}
        domains = {k.account for k in keys if k.account and not is_free_mail(k.account)}
        self._leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=lead_ids)}
        # Case-insensitive: addresses are compared lower-cased on both sides.
        self._visitor_of_email = _earliest_visitor(
            (row["email_lower"], row["visitor_id"])
            for row in _leads_with_visitor()
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=sorted(emails))
            .values("email_lower", "visitor_id")
        )
        self._known_domains = set(
            Account.objects.filter(domain__in=sorted(domains)).values_list("domain", flat=True)
        )
        self._known_domains |= {
            domain
            for domain in domains - self._known_domains
            if _leads_with_visitor().filter(email__iendswith=f"@{domain}").exists()
        }
        visitors = {lead.visitor_id for lead in self._leads.values() if lead.visitor_id}
        visitors |= set(self._visitor_of_email.values())
        self._first_exposure = first_exposures(visitors)
        self._account_of = {v: a.domain for v, a in accounts_of_visitors(visitors).items()}

    def match(self, keys: MatchKeys) -> Match:
        failures: list[str] = []
        visitor_id, account, reason = "", "", ""
        if keys.lead_id is not None:
            lead = self._leads.get(keys.lead_id)
            if lead is None:
                failures.append(MatchReason.NO_SUCH_LEAD)
            elif not lead.visitor_id:
                failures.append(MatchReason.LEAD_WITHOUT_VISITOR)
            else:
                visitor_id, reason = lead.visitor_id, MatchReason.LEAD
                account = self._account_of.get(visitor_id) or work_domain(lead.email)
        if not reason and keys.email:
            found = self._visitor_of_email.get(keys.email)
            if found:
                visitor_id, reason = found, MatchReason.EMAIL
                account = self._account_of.get(visitor_id) or work_domain(keys.email)
            else:
                failures.append(MatchReason.EMAIL_NEVER_SEEN)
        if not reason and keys.account:
            if is_free_mail(keys.account):
                failures.append(MatchReason.FREE_MAIL)
            elif keys.account in self._known_domains:
                account, reason = keys.account, MatchReason.ACCOUNT
            else:
                failures.append(MatchReason.ACCOUNT_UNKNOWN)
        if not reason:
            return Match(MatchStatus.UNMATCHED, failures[0])
        first = self._first_exposure.get(visitor_id) if visitor_id else None
        if first is not None and keys.occurred_at < first:
            return Match(
                MatchStatus.UNMATCHED,
                MatchReason.BEFORE_FIRST_EXPOSURE,
                visitor_id,
                account or keys.account,
                first,
            )
        return Match(MatchStatus.MATCHED, reason, visitor_id, account or keys.account, first)


def _leads_with_visitor() -> QuerySet[Lead]:
    return Lead.objects.exclude(visitor_id="").order_by("created_at", "pk")


def _earliest_visitor(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    earliest: dict[str, str] = {}
    for email, visitor_id in pairs:
        earliest.setdefault(email, visitor_id)
    return earliest


def first_exposures(visitor_ids: Iterable[str]) -> dict[str, datetime]:
    """Each visitor's earliest exposure to any experiment (visitors never exposed are left
    out)."""
    ids = sorted({v for v in visitor_ids if v})
    if not ids:
        return {}
    rows = (
        Event.objects.filter(type=EventType.EXPOSURE, visitor_id__in=ids)
        .values("visitor_id")
        .annotate(first=Min("occurred_at"))
    )
    return {row["visitor_id"]: row["first"] for row in rows}
