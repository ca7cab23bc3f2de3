"""What the profile app holds about a visitor, for the export and the erasure (persx.privacy)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest

from persx.privacy.holders import DataSubject
from persx.profiles.mappers import profile_to_fields, record_to_profile
from persx.profiles.models import VisitorProfileRecord
from persx.visitors.state import visitor


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}


class ProfilesHeld:
    name = "profile"
    models: tuple[type[models.Model], ...] = (VisitorProfileRecord,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        users = get_user_model().objects.filter(email__iexact=email) if email else []
        return set(
            VisitorProfileRecord.objects.filter(user__in=users).values_list("visitor_id", flat=True)
        )

    def export(self, subject: DataSubject, request: HttpRequest | None) -> dict[str, Any]:
        records = VisitorProfileRecord.objects.filter(visitor_id__in=subject.visitor_ids)
        stored = [
            {"visitor_id": r.visitor_id, **_jsonable(profile_to_fields(record_to_profile(r)))}
            for r in records
        ]
        cookie = visitor(request).profile if request is not None else None
        return {
            "stored_records": stored,
            "cookie": {"visitor_id": cookie.visitor_id, **_jsonable(profile_to_fields(cookie))}
            if cookie is not None
            else None,
        }

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.profiles.services import erase_records

        return erase_records(subject.visitor_ids)
