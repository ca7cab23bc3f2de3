"""Which delivered emails were clicked, and which clicks were followed by a conversion.

A conversion (any event type in ``CONVERSION_EVENT_TYPES``: the primary metrics of
``persx.events.experiment_metrics``, form submissions and email signups among them) by the
visitor a click restored, at or after the click and within the attribution window
(``PERSX_EMAIL_ATTRIBUTION_DAYS``, default 7), is attributed to the clicked message (and so
to its send). A recipient counts once, however many links they clicked or conversions
followed. Clicks and conversions are read from the configured event store (the relational
log, or ClickHouse); a click stored without a visitor (no consent) cannot be followed, so it
counts as a click only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from persx.email_delivery.delivery_settings import attribution_window
from persx.email_delivery.models import EmailMessage
from persx.events.event_types import CONVERSION_EVENT_TYPES, EventType
from persx.events.models import Event
from persx.eventstore.selection import columnar_store


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


def _events(
    types: Sequence[str], visitor_ids: Sequence[str] | None = None
) -> Iterable[tuple[str, datetime, object]]:
    """(visitor id, occurred at, properties) of the stored events of these types, from the
    configured event store: the relational log, or ClickHouse when raw events go there."""
    columnar = columnar_store()
    if columnar is not None:
        return columnar.events_of_types(types, visitor_ids)
    events = Event.objects.filter(type__in=list(types))
    if visitor_ids is not None:
        events = events.filter(visitor_id__in=list(visitor_ids))
    return events.values_list("visitor_id", "occurred_at", "properties")


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
    for visitor_id, occurred_at, properties in _events([EventType.EMAIL_CLICK.value]):
        message_id = _message_of(properties)
        if message_id in messages:
            clicks[message_id].append((visitor_id, occurred_at))
    visitors = {v for found in clicks.values() for v, _ in found if v}
    conversions: dict[str, list[datetime]] = defaultdict(list)
    if visitors:
        for visitor_id, occurred_at, _ in _events(CONVERSION_EVENT_TYPES, sorted(visitors)):
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
