"""What the accounts app holds about a visitor, for the export and the erasure
(persx.privacy): the visitor's account links and the units pinned for them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.accounts.models import ExperimentUnitPin, VisitorAccountLink
from persx.privacy.holders import DataSubject


class AccountLinksHeld:
    name = "account_links"
    models: tuple[type[models.Model], ...] = (VisitorAccountLink, ExperimentUnitPin)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()  # links keep no address; the leads holder finds visitors by email

    def export(self, subject: DataSubject, request: HttpRequest | None) -> dict[str, Any]:
        ids = [v for v in subject.visitor_ids if v]
        links = VisitorAccountLink.objects.filter(visitor_id__in=ids).select_related("account")
        pins = ExperimentUnitPin.objects.filter(visitor_id__in=ids).order_by("pinned_at")
        return {
            "links": [
                {
                    "visitor_id": link.visitor_id,
                    "account_domain": link.account.domain,
                    "account_name": link.account.name,
                    "provenance": link.provenance,
                    "source_detail": link.source_detail,
                    "linked_at": link.linked_at.isoformat(),
                }
                for link in links.order_by("linked_at", "id")
            ],
            "pinned_experiment_units": [
                {
                    "visitor_id": pin.visitor_id,
                    "experiment": pin.experiment_key,
                    "unit": pin.unit_id,
                    "pinned_at": pin.pinned_at.isoformat(),
                }
                for pin in pins
            ],
        }

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.accounts.services import erase_links

        return erase_links(subject.visitor_ids)
