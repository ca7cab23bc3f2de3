"""API shapes of ``POST /api/events``: a batch of client events, validated whole.

The batch is validated in one pass by a pydantic ``TypeAdapter`` straight from the raw body
(JSON parsing and validation in pydantic-core, no per-event Python loop). Who the visitor is
(visitor id, industry, persona, consent) is never read from the body: it comes from the
server-side profile cookie.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from persx.events.event_types import CLIENT_EVENT_TYPES
from persx.events.models import Event

MAX_BATCH = 500
MAX_PROPERTIES_BYTES = 2048

# Every type a browser may send (``persx.events.event_types``). ``exposure`` is server-only:
# it is recorded by the request that rendered the variant, so a client cannot forge one.
if TYPE_CHECKING:
    ClientEventType = str
else:
    ClientEventType = Literal[CLIENT_EVENT_TYPES]

PropertyValue = str | int | float | bool | None

# The page column's width, read from the model that defines the row (as
# ``persx.events.event_row.WIDTHS`` is; that module's type hints read this one).
PAGE_WIDTH = int(Event._meta.get_field("page").max_length or 0)


class ClientEvent(BaseModel):
    """One event as the tracker sends it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    event_id: UUID = Field(description="Client-generated UUID; a replay is stored once.")
    type: ClientEventType
    occurred_at: AwareDatetime = Field(
        description="When it happened (ISO 8601 with offset). More than 5 minutes in the "
        "future is clamped to the receive time; older than 7 days is refused."
    )
    page: Annotated[str, Field(min_length=1, max_length=PAGE_WIDTH, pattern=r"^/")] = Field(
        description="Path of the page (no host)."
    )
    value: float | None = Field(
        default=None, ge=0, le=1e9, description="E.g. engagement seconds, scroll share."
    )
    properties: dict[str, PropertyValue] = Field(
        default_factory=dict,
        description=f"Small flat object, at most {MAX_PROPERTIES_BYTES} bytes as JSON.",
    )

    @field_validator("properties")
    @classmethod
    def _small_properties(cls, value: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        if value:
            size = len(json.dumps(value, separators=(",", ":")).encode())
            if size > MAX_PROPERTIES_BYTES:
                raise ValueError(
                    f"properties are {size} bytes as JSON; at most {MAX_PROPERTIES_BYTES}"
                )
        return value


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ClientEvent] = Field(min_length=1, max_length=MAX_BATCH)


class BatchAccepted(BaseModel):
    accepted: int = Field(description="Events stored by this request.")
    duplicates: int = Field(description="Replays of stored events (or repeated in the batch).")
    declined: int = Field(
        default=0, description="Not stored: the visitor declined consent (nothing is kept)."
    )


# Built once: validates the raw JSON body in one call.
BATCH_ADAPTER: TypeAdapter[EventBatch] = TypeAdapter(EventBatch)
