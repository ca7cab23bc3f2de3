"""Which delivered emails were clicked, and which clicks were followed by a conversion.

A conversion (any event type in ``CONVERSION_EVENT_TYPES``: the primary metrics of
``persx.events.experiment_metrics``, form submissions and email signups among them) by the
visitor a click restored, at or after the click and within the attribution window
(``PERSX_EMAIL_ATTRIBUTION_DAYS``, default 7), is attributed to the clicked message (and so
to its send). A recipient counts once, however many links they clicked or conversions
followed. Clicks and conversions are read from the relational event log; a click stored
without a visitor (no consent) cannot be followed, so it counts as a click only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from persx.email_delivery.delivery_settings import attribution_window
from persx.email_delivery.models import EmailMessage
from persx.events.event_types import CONVERSION_EVENT_TYPES, EventType
from persx.events.models import Event


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    """One delivered message: was it personalized, clicked, followed by a conversion."""

    message_id: int
    send_id: int
    personalized: bool
    clicked: bool
    converted: bool


def _message_of(properties: object) -> int | None:
    if isinstance(properties, dict):
        value = properties.get("message")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def recipient_outcomes(
    send_ids: Iterable[int] | None = None, window: timedelta | None = None
) -> list[RecipientOutcome]:
    """Every delivered (sent) message of these sends (all when None), with its outcome."""
    window = attribution_window() if window is None else window
    delivered = EmailMessage.objects.filter(status=EmailMessage.Status.SENT)
    if send_ids is not None:
        delivered = delivered.filter(send_id__in=list(send_ids))
    messages = {
        pk: (send_id, personalized)
        for pk, send_id, personalized in delivered.values_list("pk", "send_id", "personalized")
    }
    clicks: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for visitor_id, occurred_at, properties in Event.objects.filter(
        type=EventType.EMAIL_CLICK.value
    ).values_list("visitor_id", "occurred_at", "properties"):
        message_id = _message_of(properties)
        if message_id in messages:
            clicks[message_id].append((visitor_id, occurred_at))
    visitors = {v for found in clicks.values() for v, _ in found if v}
    conversions: dict[str, list[datetime]] = defaultdict(list)
    if visitors:
        for visitor_id, occurred_at in Event.objects.filter(
            type__in=CONVERSION_EVENT_TYPES, visitor_id__in=sorted(visitors)
        ).values_list("visitor_id", "occurred_at"):
            conversions[visitor_id].append(occurred_at)

    def converted(message_id: int) -> bool:
        return any(
            clicked_at <= at <= clicked_at + window
            for visitor_id, clicked_at in clicks.get(message_id, ())
            if visitor_id
            for at in conversions.get(visitor_id, ())
        )

    return [
        RecipientOutcome(
            message_id=pk,
            send_id=send_id,
            personalized=personalized,
            clicked=pk in clicks,
            converted=converted(pk),
        )
        for pk, (send_id, personalized) in sorted(messages.items())
    ]
