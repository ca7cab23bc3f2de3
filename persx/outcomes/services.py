"""Writes of the outcomes app: integration tokens, storing a batch of outcomes (API and
import alike), re-matching stored outcomes, attribution windows.

:func:`store_outcomes` is all or nothing: the batch is checked whole (each record by
:mod:`persx.outcomes.validation`, then against the database: an outcome id already stored
with other content, an outcome before its matched visitor's first exposure) and only a
batch without a single problem is written, in one transaction. A record equal to the one
stored under its id changes nothing, so sending the same batch or file again is harmless.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from persx.accounts.models import Provenance, VisitorAccountLink
from persx.accounts.services import link_crm
from persx.outcomes.matching import Match, Matcher, MatchKeys
from persx.outcomes.models import (
    DEFAULT_ATTRIBUTION_DAYS,
    AttributionWindow,
    Integration,
    IntegrationToken,
    MatchStatus,
    Outcome,
)
from persx.outcomes.validation import (
    OutcomeRecord,
    RowProblem,
    differing_fields,
    duplicate_problems,
)

TOKEN_PREFIX = "pxo_"


# --- tokens ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(integration: Integration, created_by: str = "") -> str:
    """A new bearer token for ``integration``; only its hash is stored, so the returned
    value is the one chance to see it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    IntegrationToken.objects.create(
        integration=integration,
        token_hash=token_hash(token),
        prefix=token[: len(TOKEN_PREFIX) + 6],
        created_by=created_by,
    )
    return token


def revoke_token(token_id: int) -> bool:
    """Revoke a token (it stops working at once); False when it was already revoked."""
    return bool(
        IntegrationToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def integration_for_token(token: str) -> Integration | None:
    """The integration a live token belongs to (notes when it was last used)."""
    found = (
        IntegrationToken.objects.select_related("integration")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if found is None:
        return None
    IntegrationToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.integration


# --- storing outcomes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreResult:
    created: int = 0
    unchanged: int = 0
    matched: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # 409 when the only problems are outcome ids stored before with other content.
    conflict: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _keys(record: OutcomeRecord) -> MatchKeys:
    return MatchKeys(record.lead_id, record.email or "", record.account or "", record.occurred_at)


def _stored_content(outcome: Outcome) -> tuple[object, ...]:
    return (
        outcome.stage,
        outcome.amount,
        outcome.currency,
        outcome.occurred_at,
        outcome.lead_id,
        outcome.email,
        outcome.account_domain,
        outcome.record_id,
    )


def _conflicts(
    integration: Integration, records: Sequence[OutcomeRecord], first_row: int
) -> tuple[list[RowProblem], set[str]]:
    """Records whose id is stored with other content (the differing fields named), and
    the ids stored with the same content."""
    ids = {r.outcome_id for r in records}
    stored = {
        o.outcome_id: o for o in Outcome.objects.filter(integration=integration, outcome_id__in=ids)
    }
    problems, same = [], set()
    for offset, record in enumerate(records):
        old = stored.get(record.outcome_id)
        if old is None:
            continue
        fields = differing_fields(_stored_content(old), record.content())
        if not fields:
            same.add(record.outcome_id)
        for name in fields:
            problems.append(
                RowProblem(
                    first_row + offset,
                    name,
                    f"outcome {record.outcome_id!r} is already stored with another {name}; "
                    "an outcome id is never reused (send the new stage under a new id)",
                )
            )
    return problems, same


def _exposure_problems(
    records: Sequence[OutcomeRecord], matches: Sequence[Match], first_row: int
) -> list[RowProblem]:
    return [
        RowProblem(
            first_row + offset,
            "occurred_at",
            f"{record.occurred_at.isoformat()} is before the matched visitor's first exposure "
            f"({match.first_exposed_at.isoformat() if match.first_exposed_at else '?'})",
        )
        for offset, (record, match) in enumerate(zip(records, matches, strict=True))
        if match.before_first_exposure
    ]


def check_and_store(
    integration: Integration,
    records: Sequence[OutcomeRecord],
    *,
    first_row: int = 0,
    dry_run: bool = False,
    received_at: datetime | None = None,
) -> StoreResult:
    """Check ``records`` (already valid one by one) against each other and the database;
    store them all in one transaction when nothing is wrong (unless ``dry_run``).

    Two clients sending the same new outcome id at once: the second insert breaks the
    unique constraint, its transaction rolls back whole, and the batch is checked again,
    now finding the stored outcome (unchanged, or a conflict)."""
    try:
        return _check_and_store(integration, records, first_row, dry_run, received_at)
    except IntegrityError:
        return _check_and_store(integration, records, first_row, dry_run, received_at)


def _check_and_store(
    integration: Integration,
    records: Sequence[OutcomeRecord],
    first_row: int,
    dry_run: bool,
    received_at: datetime | None,
) -> StoreResult:
    problems = duplicate_problems(records, first_row)
    with transaction.atomic():
        conflicts, same = _conflicts(integration, records, first_row)
        matcher = Matcher([_keys(r) for r in records])
        matches = [matcher.match(_keys(r)) for r in records]
        problems += conflicts + _exposure_problems(records, matches, first_row)
        if problems:
            only_conflicts = bool(conflicts) and len(conflicts) == len(problems)
            return StoreResult(problems=sorted(problems, key=_order), conflict=only_conflicts)
        now = received_at or timezone.now()
        new: dict[str, Outcome] = {}
        for record, match in zip(records, matches, strict=True):
            if record.outcome_id in same or record.outcome_id in new:
                continue
            new[record.outcome_id] = _outcome(integration, record, match, now)
        if not dry_run:
            Outcome.objects.bulk_create(new.values(), batch_size=500)
            link_matched_visitors(new.values())
        matched = sum(1 for o in new.values() if o.match_status == "matched")
        return StoreResult(created=len(new), unchanged=len(records) - len(new), matched=matched)


def link_matched_visitors(outcomes: Iterable[Outcome]) -> int:
    """Link each visitor an outcome was matched to with the outcome's account (provenance
    ``crm``: the CRM says this person is with that company), unless that link exists;
    returns how many links were made."""
    pairs = {
        (o.visitor_id, o.account): o
        for o in outcomes
        if o.match_status == MatchStatus.MATCHED and o.visitor_id and o.account
    }
    if not pairs:
        return 0
    held = set(
        VisitorAccountLink.objects.filter(
            visitor_id__in={visitor for visitor, _ in pairs}, provenance=Provenance.CRM
        ).values_list("visitor_id", "account__domain")
    )
    made = 0
    for (visitor_id, domain), outcome in sorted(pairs.items(), key=lambda item: item[0]):
        if (visitor_id, domain) not in held:
            record = f"{outcome.integration.name} {outcome.record}"
            made += link_crm(visitor_id, domain, record=record) is not None
    return made


def _order(problem: RowProblem) -> tuple[int, str]:
    return (problem.row, problem.field)


def _outcome(
    integration: Integration, record: OutcomeRecord, match: Match, now: datetime
) -> Outcome:
    return Outcome(
        integration=integration,
        outcome_id=record.outcome_id,
        record_id=record.record_id or "",
        stage=record.stage,
        amount=record.amount,
        currency=record.currency or "",
        occurred_at=record.occurred_at,
        lead_id=record.lead_id,
        email=record.email or "",
        account_domain=record.account or "",
        visitor_id=match.visitor_id,
        account=match.account,
        match_status=match.status,
        match_reason=match.reason,
        matched_at=now,
        received_at=now,
    )


def rematch_outcomes(batch_size: int = 1000) -> int:
    """Match every stored outcome again (leads and exposures arrive after outcomes do);
    returns how many changed their match."""
    changed = 0
    last_pk = 0
    while True:
        outcomes = list(Outcome.objects.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not outcomes:
            return changed
        last_pk = outcomes[-1].pk
        keys = [MatchKeys(o.lead_id, o.email, o.account_domain, o.occurred_at) for o in outcomes]
        matcher = Matcher(keys)
        now = timezone.now()
        updated = []
        for outcome, key in zip(outcomes, keys, strict=True):
            match = matcher.match(key)
            new = (match.visitor_id, match.account, match.status, match.reason)
            if new != (
                outcome.visitor_id,
                outcome.account,
                outcome.match_status,
                outcome.match_reason,
            ):
                outcome.visitor_id, outcome.account = match.visitor_id, match.account
                outcome.match_status, outcome.match_reason = match.status, match.reason
                outcome.matched_at = now
                updated.append(outcome)
        Outcome.objects.bulk_update(
            updated, ["visitor_id", "account", "match_status", "match_reason", "matched_at"]
        )
        link_matched_visitors(updated)
        changed += len(updated)


# --- attribution windows ----------------------------------------------------------------


def attribution_days(experiment_key: str) -> int:
    window = AttributionWindow.objects.filter(experiment_key=experiment_key).first()
    return window.days if window else DEFAULT_ATTRIBUTION_DAYS


def set_attribution_days(experiment_key: str, days: int) -> AttributionWindow:
    """Set an experiment's attribution window (ValidationError outside 1..730 days)."""
    AttributionWindow(experiment_key=experiment_key, days=days).full_clean(validate_unique=False)
    window, _ = AttributionWindow.objects.update_or_create(
        experiment_key=experiment_key, defaults={"days": days}
    )
    return window
