"""Writes to visitor profiles: the only module that changes VisitorProfileRecord."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from persx.engine.catalog import Catalog
from persx.engine.profile import Provenance, VisitorProfile
from persx.engine.profile_update import apply_choices
from persx.events.services import forget_visitor_events
from persx.inference.services import forget_examples
from persx.profiles.mappers import profile_to_fields, record_to_profile
from persx.profiles.models import VisitorProfileRecord


def new_visitor_id() -> str:
    """A random, opaque visitor id (128 bits, hex)."""
    return secrets.token_hex(16)


def save_profile(profile: VisitorProfile, user: Any | None = None) -> None:
    """Upsert the durable record; link it to ``user`` when signed in."""
    fields = profile_to_fields(profile)
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user"] = user
    with transaction.atomic():
        VisitorProfileRecord.objects.update_or_create(
            visitor_id=profile.visitor_id, defaults=fields
        )


def choose(
    catalog: Catalog,
    current: VisitorProfile | None,
    industry: str,
    provenance: Provenance,
    user: Any | None = None,
    *,
    goals: list[str] | tuple[str, ...] | None = None,
    tools: list[str] | tuple[str, ...] | None = None,
    role: str | None = None,
    durable: bool = True,
) -> VisitorProfile:
    """A visitor chooses an industry (and maybe goals, tools, role): the one way in.

    Applies the choices on top of the current profile (the engine decides persona and
    provenance), saves the durable record (unless ``durable`` is false: the cookie alone
    carries it) and returns the new profile; the caller hands it to
    ``VisitorState.remember`` so the cookie is written on the way out. Raises
    ``UnknownIndustryError`` for an industry the catalog does not know.
    """
    profile = apply_choices(
        catalog,
        current,
        new_visitor_id(),
        industry,
        timezone.now(),
        provenance,
        goals=goals,
        tools=tools,
        role=role,
    )
    if durable:
        save_profile(profile, user)
    return profile


def account_profile(user: Any) -> VisitorProfile | None:
    """The signed-in user's most recent profile, for a device that has no cookie yet."""
    record = VisitorProfileRecord.objects.filter(user=user).exclude(industry="").first()
    return record_to_profile(record) if record else None


def link_visitor_to_user(visitor_id: str, user: Any) -> None:
    VisitorProfileRecord.objects.filter(visitor_id=visitor_id).update(user=user)


def forget_visitor(visitor_id: str | None, user: Any | None = None) -> int:
    """Delete the visitor's records and events (and, when signed in, every record of the
    account and the events of each of its visitor ids)."""
    with transaction.atomic():
        visitor_ids = {visitor_id} if visitor_id else set()
        deleted = 0
        if user is not None and getattr(user, "is_authenticated", False):
            records = VisitorProfileRecord.objects.filter(user=user)
            visitor_ids |= set(records.values_list("visitor_id", flat=True))
            deleted += records.delete()[0]
        if visitor_id:
            deleted += VisitorProfileRecord.objects.filter(visitor_id=visitor_id).delete()[0]
        for vid in visitor_ids:
            forget_visitor_events(vid)
        forget_examples(visitor_ids)
        return deleted
