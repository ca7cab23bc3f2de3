"""Writes to visitor profiles: the only module that changes VisitorProfileRecord."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile
from persx.engine.visitor.profile_update import apply_choices
from persx.http.row_security import visitor_rows
from persx.privacy import services as privacy_services
from persx.privacy.holders import DataSubject, ids_of
from persx.privacy.models import DataRequestChannel
from persx.privacy.tombstones import erased_among, event_write_guard
from persx.profiles.mappers import profile_to_fields, record_to_profile
from persx.profiles.models import VisitorProfileRecord


def new_visitor_id() -> str:
    """A random, opaque visitor id (128 bits, hex)."""
    return secrets.token_hex(16)


def save_profile(profile: VisitorProfile, user: Any | None = None) -> bool:
    """Upsert the durable record; link it to ``user`` when signed in. Nothing is written
    for an erased visitor id (a copy of the old cookie signing in): returns whether it was."""
    with transaction.atomic():
        if _erased(profile.visitor_id):
            return False
        _write_record(profile, user)
    return True


def _write_record(profile: VisitorProfile, user: Any | None) -> None:
    fields = profile_to_fields(profile)
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user"] = user
    with visitor_rows(profile.visitor_id):
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
    consent: ConsentState | None = None,
) -> VisitorProfile:
    """A visitor chooses an industry (and maybe goals, tools, role): the one way in.

    Applies the choices on top of the current profile (the engine decides persona and
    provenance), saves the durable record (unless ``durable`` is false: the cookie alone
    carries it) and returns the new profile; the caller hands it to
    ``VisitorState.remember`` so the cookie is written on the way out. Raises
    ``UnknownIndustryError`` for an industry the catalog does not know. ``consent`` (the
    request's analytics consent) is copied onto the profile, so what is stored with it says
    what the visitor allowed.

    When the industry changes, the goals carried over from the old profile that are not
    goals of the new industry are dropped (:func:`goals_for_industry`); the persona is
    re-scored within the new industry by the engine. A durable write for a visitor id that
    was erased (a copy of the old cookie) starts a new visitor instead: the tombstone
    covers profile records too.
    """

    def applied(base: VisitorProfile | None) -> VisitorProfile:
        profile = apply_choices(
            catalog,
            base,
            new_visitor_id(),
            industry,
            timezone.now(),
            provenance,
            goals=goals_for_industry(catalog, base, industry, goals),
            tools=tools,
            role=role,
        )
        if consent is not None and profile.consent is not consent:
            profile = profile.with_changes(consent=consent)
        return profile

    if not durable:
        return applied(current)
    with transaction.atomic():
        if current is not None and _erased(current.visitor_id):
            current = None
        profile = applied(current)
        _write_record(profile, user)
    return profile


def goals_for_industry(
    catalog: Catalog,
    current: VisitorProfile | None,
    industry: str,
    goals: list[str] | tuple[str, ...] | None,
) -> list[str] | tuple[str, ...] | None:
    """The goals to apply with a choice of ``industry`` (``None``: keep the current ones).

    Goals are worded per industry ("Improve patient acquisition" is a healthcare goal): when
    the industry changes, a goal carried over from the old profile (kept, or still ticked on
    the start form) that no persona of the new industry works on is dropped. A goal the
    visitor adds in this very choice stays: that is a stated answer. Tools are the visitor's
    martech stack, a fact about their company that crosses industries: they are kept.
    """
    if current is None or current.industry == industry:
        return goals
    own = set(catalog.goals_for(industry))
    chosen = goals if goals is not None else current.goals
    return [g for g in chosen if g in own or g not in current.goals]


def _erased(visitor_id: str) -> bool:
    """Whether ``visitor_id`` was erased; inside the write's transaction, under the erasure
    lock (shared), so an erasure running now either finishes first or waits for this write
    (``persx.privacy.tombstones``)."""
    event_write_guard(exclusive=False)
    return bool(erased_among([visitor_id]))


def account_profile(user: Any) -> VisitorProfile | None:
    """The signed-in user's most recent profile, for a device that has no cookie yet."""
    record = VisitorProfileRecord.objects.filter(user=user).exclude(industry="").first()
    return record_to_profile(record) if record else None


def visitors_of_account(user: Any | None) -> set[str]:
    """The visitor ids a signed-in account has used (its profile records)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(VisitorProfileRecord.objects.filter(user=user).values_list("visitor_id", flat=True))


def forget_visitor(
    visitor_id: str | None,
    user: Any | None = None,
    channel: DataRequestChannel = DataRequestChannel.VISITOR_PAGE,
) -> dict[str, int]:
    """Forget me: erase everything held about this visitor (and, when signed in, about every
    visitor id of the account) in every app that holds visitor data (``persx.privacy``):
    records, events (also those still queued), leads, signals examples, rollup
    contributions; the ids are tombstoned. Records erased per kind."""
    ids = ids_of({visitor_id or ""} | visitors_of_account(user))
    if not ids:
        return {}
    return privacy_services.erase(DataSubject(ids), channel)


def export_visitor(
    request: HttpRequest,
    visitor_id: str | None,
    user: Any | None,
    channel: DataRequestChannel,
) -> dict[str, Any]:
    """Everything held about this visitor (and the account's other visitor ids) as one JSON
    document: profile (stored and cookie), events, leads, behaviour signals, rollup rows. The
    request is logged without the data (``persx.privacy``)."""
    ids = ids_of({visitor_id or ""} | visitors_of_account(user))
    # Read-only and about these visitors alone: under row-level security (PostgreSQL), a
    # holder that forgot a filter exports these visitors' rows, never anyone else's. (The
    # erasure is not scoped: it re-aggregates rollup cells over every visitor in them.)
    with visitor_rows(*sorted(ids)):
        return privacy_services.export(DataSubject(ids), request, channel)


def erase_records(visitor_ids: frozenset[str]) -> int:
    """Delete the durable profile records of these visitors (inside the erasure)."""
    if not visitor_ids:
        return 0
    return VisitorProfileRecord.objects.filter(visitor_id__in=visitor_ids).delete()[0]
