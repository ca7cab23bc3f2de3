"""Writes leads."""

from __future__ import annotations

from typing import Any

from persx.engine.profile import VisitorProfile
from persx.leads.models import Lead


def record_lead(data: dict[str, Any], profile: VisitorProfile | None, page: str) -> Lead:
    return Lead.objects.create(
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
