"""Writes leads (and the visitor's ``form_submission`` event, in the same transaction)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from persx.accounts.services import link_work_email
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.event_types import EventType
from persx.events.services import record_visitor_event
from persx.http.row_security import visitor_rows
from persx.leads.models import Lead, leads_of
from persx.privacy.tombstones import erased_among, event_write_guard


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

    A profile whose visitor id was erased (a copy of the old cookie, sent after "Forget me")
    is not the visitor's any more: the lead is stored as from a visitor without a profile
    (no visitor id, industry or persona) and no event is recorded. The tombstone is read
    under the erasure lock inside the transaction (``persx.privacy.tombstones``), so an
    erasure running at the same moment either deletes this lead or is seen by this write.
    """
    with transaction.atomic():
        event_write_guard(exclusive=False)
        if profile is not None and erased_among([profile.visitor_id]):
            return _store_lead(data, None, page, consent, measured=False)
        return _store_lead(data, profile, page, consent, measured=True)


def _store_lead(
    data: dict[str, Any],
    profile: VisitorProfile | None,
    page: str,
    consent: ConsentState | None,
    *,
    measured: bool,
) -> Lead:
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
        if measured:
            recorded = record_visitor_event(
                EventType.FORM_SUBMISSION,
                profile,
                page.split("?", 1)[0],
                lead.created_at or timezone.now(),
                properties={"form": "contact", "lead": lead.pk, "variant": lead.variant},
                consent=consent,
            )
            if recorded is not None and profile is not None:
                # The work address's company (never a free-mail or disposable domain).
                link_work_email(
                    profile.visitor_id,
                    lead.email,
                    source_detail=f"lead {lead.pk}",
                    company=lead.company,
                    industry=lead.industry,
                )
    return lead


def erase_leads(visitor_ids: frozenset[str], email: str) -> int:
    """Delete the leads of these visitors and, for a request by email, every lead sent with
    that address (inside the erasure)."""
    return leads_of(visitor_ids, email).delete()[0]
