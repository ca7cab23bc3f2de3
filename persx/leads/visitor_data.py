"""What the leads app holds about a visitor, for the export and the erasure (persx.privacy)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.leads.models import Lead, leads_of
from persx.privacy.holders import DataSubject


class LeadsHeld:
    name = "leads"
    models: tuple[type[models.Model], ...] = (Lead,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        if not email:
            return set()
        ids = Lead.objects.filter(email__iexact=email).values_list("visitor_id", flat=True)
        return {v for v in ids if v}

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        if subject.is_empty:
            return []
        return [
            {
                "name": lead.name,
                "email": lead.email,
                "company": lead.company,
                "message": lead.message,
                "page": lead.page,
                "visitor_id": lead.visitor_id,
                "industry": lead.industry,
                "persona": lead.persona,
                "variant": lead.variant,
                "created_at": lead.created_at.isoformat(),
            }
            for lead in leads_of(subject.visitor_ids, subject.email).order_by("created_at")
        ]

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.leads.services import erase_leads

        return erase_leads(subject.visitor_ids, subject.email)
