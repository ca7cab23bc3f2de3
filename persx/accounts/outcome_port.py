"""The CRM outcomes an account's admin screen shows, read through a port.

``persx.outcomes`` sits above ``persx.accounts`` in the layers (it matches outcomes to
accounts), so the accounts screen cannot import it. The outcomes app registers a reader
here when it starts (:func:`read_outcomes_with`); without one the screen shows no outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutcomeTotals:
    """One account's matched outcomes: how many, and the pipeline created and revenue won,
    per currency (each CRM record counted once, at its furthest stage)."""

    outcomes: int = 0
    pipeline: tuple[tuple[str, Decimal], ...] = ()
    won: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    """One outcome as the account's page lists it (no email: the visitor id only)."""

    integration: str
    record: str
    stage: str
    amount: Decimal | None
    currency: str
    occurred_at: datetime
    visitor_id: str
    matched_by: str


class OutcomeReader(Protocol):
    def totals(self, domains: Sequence[str]) -> dict[str, OutcomeTotals]: ...

    def lines(self, domain: str, limit: int) -> list[OutcomeLine]: ...


_readers: list[OutcomeReader] = []


def read_outcomes_with(reader: OutcomeReader) -> None:
    """Use ``reader`` for accounts' outcomes (the outcomes app, at start)."""
    _readers.append(reader)


def outcome_totals(domains: Sequence[str]) -> dict[str, OutcomeTotals]:
    return _readers[-1].totals(domains) if _readers and domains else {}


def outcome_lines(domain: str, limit: int) -> list[OutcomeLine]:
    return _readers[-1].lines(domain, limit) if _readers else []
