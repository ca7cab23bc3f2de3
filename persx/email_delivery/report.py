"""The email channel's Personalization Lift Index, per send and over every send.

Recipients are the delivered messages (status ``sent``), split by what they were shown:
**personalized** (at least one block chose an industry or persona variant for them) or
**generic** (every block generic). For each group: click rate = recipients who clicked /
delivered, CR = recipients with an attributed conversion (``attribution``) / delivered.
PLI = CR_personalized / CR_generic − 1 with the engine's Fieller interval
(``persx.engine.statistics.lift.relative_lift``, docs/statistics.md), the same headline
interval as the web reports; the click rates get the same comparison.

Honest reading: who gets a personalized email is not randomised (a contact with a known
industry gets the variant; one without gets generic), so the email PLI compares two
different groups of people, as the web's personalization rate does, unless the template's
blocks run an experiment (then its arms are the randomised comparison).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from persx.email_delivery.attribution import RecipientOutcome, recipient_outcomes
from persx.email_delivery.delivery_settings import attribution_window
from persx.email_delivery.models import EmailSend
from persx.engine.statistics.lift import LiftInterval, relative_lift

ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class GroupCounts:
    delivered: int
    clicked: int
    converted: int

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.delivered if self.delivered else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.delivered if self.delivered else None


@dataclass(frozen=True, slots=True)
class EmailPli:
    """One row of the report: a send (or every send)."""

    label: str
    send_id: int | None
    personalized: GroupCounts
    generic: GroupCounts
    pli: LiftInterval | None  # None: a group has no recipients yet
    click_pli: LiftInterval | None


@dataclass(frozen=True, slots=True)
class EmailReport:
    rows: tuple[EmailPli, ...]  # one per send, newest first
    overall: EmailPli
    window_days: int


def _counts(outcomes: Sequence[RecipientOutcome], personalized: bool) -> GroupCounts:
    group = [o for o in outcomes if o.personalized is personalized]
    return GroupCounts(
        delivered=len(group),
        clicked=sum(o.clicked for o in group),
        converted=sum(o.converted for o in group),
    )


def _lift(generic: int, generic_n: int, treated: int, treated_n: int) -> LiftInterval | None:
    if not generic_n or not treated_n:
        return None
    return relative_lift(generic, generic_n, treated, treated_n, alpha=ALPHA)


def email_pli(label: str, send_id: int | None, outcomes: Sequence[RecipientOutcome]) -> EmailPli:
    personalized, generic = _counts(outcomes, True), _counts(outcomes, False)
    return EmailPli(
        label=label,
        send_id=send_id,
        personalized=personalized,
        generic=generic,
        pli=_lift(
            generic.converted, generic.delivered, personalized.converted, personalized.delivered
        ),
        click_pli=_lift(
            generic.clicked, generic.delivered, personalized.clicked, personalized.delivered
        ),
    )


def email_report(send_ids: Iterable[int] | None = None) -> EmailReport:
    sends = EmailSend.objects.select_related("template").order_by("-created_at", "-pk")
    if send_ids is not None:
        sends = sends.filter(pk__in=list(send_ids))
    chosen = list(sends)
    outcomes = recipient_outcomes([s.pk for s in chosen])
    rows = tuple(
        email_pli(
            f"Send {s.pk}: {s.template}",
            s.pk,
            [o for o in outcomes if o.send_id == s.pk],
        )
        for s in chosen
    )
    return EmailReport(
        rows=rows,
        overall=email_pli("All sends", None, outcomes),
        window_days=attribution_window().days,
    )


def _interval_json(interval: LiftInterval | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    bounded = interval.interval_exists
    return {
        "lift": interval.lift if math.isfinite(interval.lift) else None,
        "lower": interval.lower if bounded else None,
        "upper": interval.upper if bounded else None,
        "interval_exists": bounded,
        "method": interval.method,
        "confidence": 1 - interval.alpha,
    }


def _group_json(counts: GroupCounts) -> dict[str, Any]:
    return {
        "delivered": counts.delivered,
        "clicked": counts.clicked,
        "converted": counts.converted,
        "click_rate": counts.click_rate,
        "conversion_rate": counts.conversion_rate,
    }


def row_json(row: EmailPli) -> dict[str, Any]:
    return {
        "label": row.label,
        "send": row.send_id,
        "personalized": _group_json(row.personalized),
        "generic": _group_json(row.generic),
        "pli": _interval_json(row.pli),
        "click_pli": _interval_json(row.click_pli),
    }


def report_json(report: EmailReport) -> dict[str, Any]:
    return {
        "attribution_window_days": report.window_days,
        "overall": row_json(report.overall),
        "sends": [row_json(r) for r in report.rows],
    }
