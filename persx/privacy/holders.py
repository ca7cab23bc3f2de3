"""Who holds what about a visitor: each app that stores visitor data registers a holder.

The apps that keep visitor data (events, inference, profiles, leads, analytics, demo) sit
above this one, so they register at start-up (their ``AppConfig.ready``) and the export
and the erasure ask every registered holder. ``tests/web/test_data_rights.py`` checks that
every model with a ``visitor_id`` column is covered by some holder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models
from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class DataSubject:
    """Whose data: visitor ids (from the cookie, an account, or leads with the address) and,
    for requests by email, the address itself (leads sent without a visitor id)."""

    visitor_ids: frozenset[str]
    email: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.visitor_ids and not self.email


class VisitorDataHolder(Protocol):
    @property
    def name(self) -> str:
        """The section of the export and the key of the erasure counts."""
        ...

    @property
    def models(self) -> tuple[type[models.Model], ...]:
        """The models whose rows about a visitor this holder exports and erases."""
        ...

    def visitor_ids_for_email(self, email: str) -> set[str]: ...

    def export(self, subject: DataSubject, request: HttpRequest | None) -> Any:
        """JSON-ready data about the subject (``request``: the visitor's own, for cookies)."""
        ...

    def erase(self, subject: DataSubject) -> int:
        """Delete (or anonymise) the subject's data; how many records. Runs inside the
        erasure's transaction, after the tombstones are written."""
        ...


_holders: dict[str, VisitorDataHolder] = {}


def register(holder: VisitorDataHolder) -> None:
    _holders[holder.name] = holder


def registered() -> tuple[VisitorDataHolder, ...]:
    return tuple(_holders[name] for name in sorted(_holders))


def covered_models() -> set[type[models.Model]]:
    return {model for holder in registered() for model in holder.models}


def ids_of(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v for v in values if v)
