"""Accounts: finding a visitor's account, linking visitors to accounts, pinning units.

Public reads other apps import: :func:`account_for_email` (the account a work address
names, if it exists), :func:`account_of_visitor` (the visitor's account under the
precedence below) and :func:`units_of_visitor` (what account-level experiments hash for a
visitor). Writes: :func:`link_visitor` and its named forms (:func:`link_work_email`,
:func:`link_firmographic`, :func:`link_signed_in_org`, :func:`link_crm`), and
:func:`erase_links`.

Precedence of a visitor's account (docs/accounts.md): the most authoritative provenance
wins (a signed-in user's organisation, then a CRM record, then a work email, then the
firmographic lookup, an IP-range guess); between links of the same provenance, the
earliest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from persx.accounts.email_domains import company_domain, domain_of_email
from persx.accounts.models import (
    PRECEDENCE,
    Account,
    ExperimentUnitPin,
    Provenance,
    VisitorAccountLink,
)
from persx.engine.deciding.bucketing import RandomizationUnit
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.experiments.repository import running_experiments


def account_for_email(email: str) -> Account | None:
    """The existing account of a work address's domain; ``None`` for free-mail and
    disposable domains, malformed addresses and domains no account has yet. Never writes."""
    domain = company_domain(domain_of_email(email))
    if not domain:
        return None
    return Account.objects.filter(domain=domain).first()


def account_of_visitor(visitor_id: str) -> Account | None:
    """The visitor's account: the most authoritative link, the earliest among equals."""
    return accounts_of_visitors([visitor_id]).get(visitor_id)


def accounts_of_visitors(visitor_ids: Iterable[str]) -> dict[str, Account]:
    """:func:`account_of_visitor` for many visitors in one query (visitors without an
    account are absent)."""
    ids = [v for v in set(visitor_ids) if v]
    if not ids:
        return {}
    best: dict[str, tuple[int, datetime, int, Account]] = {}
    links = VisitorAccountLink.objects.filter(visitor_id__in=ids).select_related("account")
    for link in links:
        rank = (PRECEDENCE.index(link.provenance), link.linked_at, link.pk)
        held = best.get(link.visitor_id)
        if held is None or rank < held[:3]:
            best[link.visitor_id] = (*rank, link.account)
    return {visitor: entry[3] for visitor, entry in best.items()}


@dataclass(frozen=True, slots=True)
class VisitorUnits:
    """What account-level experiments hash for one visitor: their account key ("" when
    unknown) and the units pinned per experiment key."""

    account_key: str = ""
    pinned: tuple[tuple[str, str], ...] = ()


def units_of_visitor(visitor_id: str) -> VisitorUnits:
    """Two indexed reads; the request path calls it only while an account-level experiment
    runs."""
    if not visitor_id:
        return VisitorUnits()
    account = account_of_visitor(visitor_id)
    pins = ExperimentUnitPin.objects.filter(visitor_id=visitor_id).values_list(
        "experiment_key", "unit_id"
    )
    return VisitorUnits(account.domain if account else "", tuple(sorted(pins)))


def link_visitor(
    visitor_id: str,
    domain: str,
    provenance: Provenance,
    *,
    source_detail: str = "",
    name: str = "",
    industry: str = "",
    size: str = "",
    at: datetime | None = None,
) -> VisitorAccountLink | None:
    """Link the visitor to the account of ``domain`` (created when new), keeping provenance
    and time. ``None`` when there is no visitor id or the domain cannot name a company
    (free-mail, disposable, malformed). Linking the same visitor, account and provenance
    again changes nothing. Facts the account lacks (name, industry, size) are filled in;
    known ones are never overwritten.

    When the link changes the visitor's account, every running account-level experiment
    the visitor was already exposed to is pinned to the unit it hashed until now, so the
    visitor keeps the arm they were shown (docs/hashing.md, "Randomization unit").
    """
    account_domain = company_domain(domain)
    if not visitor_id or not account_domain:
        return None
    at = at or timezone.now()
    with transaction.atomic():
        before = account_of_visitor(visitor_id)
        account, _ = Account.objects.get_or_create(domain=account_domain)
        _fill_in(account, name=name[:160], industry=industry[:40], size=size[:40])
        # get_or_create: a concurrent identical link is found, not duplicated.
        link, _ = VisitorAccountLink.objects.get_or_create(
            visitor_id=visitor_id,
            account=account,
            provenance=provenance,
            defaults={"source_detail": source_detail[:200], "linked_at": at},
        )
        after = account_of_visitor(visitor_id)
        if after != before:
            _pin_exposed(visitor_id, before.domain if before else visitor_id, at)
    return link


def _fill_in(account: Account, **facts: str) -> None:
    missing = {
        field: value for field, value in facts.items() if value and not getattr(account, field)
    }
    if missing:
        Account.objects.filter(pk=account.pk).update(**missing)
        for field, value in missing.items():
            setattr(account, field, value)


def _pin_exposed(visitor_id: str, unit_before: str, at: datetime) -> None:
    """Pin the running account-level experiments this visitor has already been exposed to
    (and that are not pinned yet) to the unit they hashed before the change."""
    keys = [e.key for e in running_experiments() if e.unit is RandomizationUnit.ACCOUNT]
    if not keys:
        return
    exposed = set(
        Event.objects.filter(
            type=EventType.EXPOSURE, experiment__in=keys, visitor_id=visitor_id
        ).values_list("experiment", flat=True)
    )
    pinned = set(
        ExperimentUnitPin.objects.filter(
            visitor_id=visitor_id, experiment_key__in=exposed
        ).values_list("experiment_key", flat=True)
    )
    ExperimentUnitPin.objects.bulk_create(
        [
            ExperimentUnitPin(
                experiment_key=key, visitor_id=visitor_id, unit_id=unit_before, pinned_at=at
            )
            for key in sorted(exposed - pinned)
        ],
        ignore_conflicts=True,
    )


def link_work_email(
    visitor_id: str, email: str, *, source_detail: str = "", company: str = "", industry: str = ""
) -> VisitorAccountLink | None:
    """A visitor gave a work address (contact form, newsletter): its domain's account. The
    company name they typed and their stated industry fill in what the account lacks (a
    firmographic or signed-in source that knows better is never overwritten by them, and
    comes first when it is known first)."""
    return link_visitor(
        visitor_id,
        domain_of_email(email),
        Provenance.WORK_EMAIL,
        source_detail=source_detail,
        name=company,
        industry=industry,
    )


def link_firmographic(
    visitor_id: str, domain: str, *, company: str = "", industry: str = "", size: str = ""
) -> VisitorAccountLink | None:
    """The firmographic port named the company behind the visitor's network (it must know
    the company's domain: a company name alone does not make an account)."""
    return link_visitor(
        visitor_id,
        domain,
        Provenance.FIRMOGRAPHIC,
        source_detail="firmographic lookup",
        name=company,
        industry=industry,
        size=size,
    )


def link_signed_in_org(
    visitor_id: str, domain: str, *, organisation: str = ""
) -> VisitorAccountLink | None:
    """A signed-in user's organisation (PersX has no organisations for site users yet: a
    site with a login calls this when one signs in)."""
    return link_visitor(
        visitor_id,
        domain,
        Provenance.SIGNED_IN_ORG,
        source_detail="signed-in organisation",
        name=organisation,
    )


def link_crm(
    visitor_id: str, domain: str, *, record: str = "", name: str = ""
) -> VisitorAccountLink | None:
    """A CRM record ties the visitor to a company (e.g. a matched pipeline outcome)."""
    return link_visitor(
        visitor_id, domain, Provenance.CRM, source_detail=f"CRM {record}".strip(), name=name
    )


def erase_links(visitor_ids: frozenset[str]) -> int:
    """Delete these visitors' account links and pinned units (inside the erasure). An
    account left with no link and nothing else referring to it (an outcome, say) is
    deleted too: a company known only through an erased visitor is not kept."""
    ids = [v for v in visitor_ids if v]
    if not ids:
        return 0
    links = VisitorAccountLink.objects.filter(visitor_id__in=ids)
    touched = set(links.values_list("account_id", flat=True))
    removed = links.delete()[0]
    removed += ExperimentUnitPin.objects.filter(visitor_id__in=ids).delete()[0]
    for account in Account.objects.filter(pk__in=touched):
        if not _referred_to(account):
            account.delete()
    return removed


def _referred_to(account: Account) -> bool:
    """Any row of any model (links, another app's outcomes) still points at the account."""
    return any(
        relation.related_model._default_manager.filter(**{relation.field.name: account}).exists()
        for relation in Account._meta.related_objects
    )
