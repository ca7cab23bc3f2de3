"""Writes leads (and the visitor's ``form_submission`` event, in the same transaction)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from persx.engine.profile import ConsentState, VisitorProfile
from persx.events.event_types import EventType
from persx.events.services import record_visitor_event
from persx.http.row_security import visitor_rows
from persx.leads.models import Lead, leads_of


def record_lead(
    data: dict[str, Any],
    profile: VisitorProfile | None,
    page: str,
    consent: ConsentState | None = None,
) -> Lead:
    """Store the lead and its ``form_submission`` event together: both or neither.

    The lead is what the visitor asked for (to be contacted): stored whatever their analytics
    consent; the event only when ``consent`` allows measurement. One transaction that sees
    only this visitor's rows (``persx.http.row_security``).
    """
    with visitor_rows(profile.visitor_id if profile else ""):
        lead = Lead.objects.create(
            name=data["name"],
            email=data["email"],
            company=data.get("company", ""),
            message=data.get("message", ""),
            variant=data.get("variant", ""),
            page=page[:200],
            visitor_id=profile.visitor_id if profile else "",
            industry=(profile.industry or "") if profile else "",
            persona=(profile.persona or "") if profile else "",
        )
        record_visitor_event(
            EventType.FORM_SUBMISSION,
            profile,
            page.split("?", 1)[0],
            lead.created_at or timezone.now(),
            properties={"form": "contact", "lead": lead.pk, "variant": lead.variant},
            consent=consent,
        )
    return lead


def erase_leads(visitor_ids: frozenset[str], email: str) -> int:
    """Delete the leads of these visitors and, for a request by email, every lead sent with
    that address (inside the erasure)."""
    return leads_of(visitor_ids, email).delete()[0]
