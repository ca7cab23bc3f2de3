"""What the outcomes app holds about a person, for the export and the erasure
(persx.privacy): CRM outcomes matched to their visitor ids or sent with their address.

Erasure deletes those outcomes (the CRM keeps its own records; importing them again stores
them again, unmatched to the erased visitor, whose leads are gone)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.outcomes.models import Outcome
from persx.privacy.holders import DataSubject


def _outcomes_of(subject: DataSubject) -> models.QuerySet[Outcome]:
    match = models.Q(visitor_id__in=sorted(v for v in subject.visitor_ids if v))
    if subject.email:
        match |= models.Q(email__iexact=subject.email)
    return Outcome.objects.filter(match)


class OutcomesHeld:
    name = "crm_outcomes"
    models: tuple[type[models.Model], ...] = (Outcome,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        if not email:
            return set()
        ids = Outcome.objects.filter(email__iexact=email).values_list("visitor_id", flat=True)
        return {v for v in ids if v}

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        if subject.is_empty:
            return []
        return [
            {
                "integration": outcome.integration.name,
                "outcome_id": outcome.outcome_id,
                "stage": outcome.stage,
                "amount": str(outcome.amount) if outcome.amount is not None else None,
                "currency": outcome.currency,
                "occurred_at": outcome.occurred_at.isoformat(),
                "email": outcome.email,
                "account": outcome.account or outcome.account_domain,
                "visitor_id": outcome.visitor_id,
            }
            for outcome in _outcomes_of(subject).select_related("integration").order_by("pk")
        ]

    def erase(self, subject: DataSubject) -> int:
        if subject.is_empty:
            return 0
        deleted, _ = _outcomes_of(subject).delete()
        return deleted
