"""What the ClickHouse event store holds about a visitor, for the export and the erasure.

Registered with :mod:`persx.privacy.holders` like the relational event log; it holds
nothing (and exports and erases nothing) unless ``PERSX['EVENT_STORE']`` is ClickHouse.
An erasure is a lightweight ``DELETE``: the rows disappear from every query at once and
from disk at the next merge of their parts.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.eventstore.selection import columnar_store
from persx.privacy.holders import DataSubject


class ColumnarEventsHeld:
    name = "columnar_events"
    models: tuple[type[models.Model], ...] = ()

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()  # events carry no address

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        store = columnar_store()
        if store is None or not subject.visitor_ids:
            return []
        return store.visitor_events(sorted(subject.visitor_ids))

    def erase(self, subject: DataSubject) -> int:
        store = columnar_store()
        if store is None or not subject.visitor_ids:
            return 0
        ids = sorted(subject.visitor_ids)
        held = len(store.visitor_events(ids))
        store.forget_visitors(ids)
        return held
