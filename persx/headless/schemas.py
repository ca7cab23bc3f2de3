"""API shapes of ``POST /api/decisions``.

The request names what to decide (a page by URL path or id, and/or block keys
``"<page id>:<block id>"``) and, for app callers, the visitor. The OpenAPI document lists
the live pages, block keys and catalog choices as they are now
(:func:`persx.headless.openapi_choices.document_decision_choices`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_BLOCKS = 50


class StatedVisitor(BaseModel):
    """The visitor as an app states it (a browser's visitor is its profile cookie)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=8,
        max_length=32,
        description="The app's stable id for this visitor (the same id gets the same "
        "experiment arms; send the web profile's visitor id to match the site).",
    )
    industry: str | None = Field(
        default=None, description="A catalog industry slug (GET /api/catalog)."
    )
    persona: str | None = Field(
        default=None,
        description="A catalog persona slug; its industry is implied when industry is absent.",
    )
    consent: Literal["granted", "denied", "unknown"] = Field(
        default="unknown",
        description="The visitor's analytics consent in the app; 'denied' records nothing.",
    )


class DecisionRequest(BaseModel):
    """What to decide: ``page`` (all its personalizable blocks), ``blocks``, or both."""

    model_config = ConfigDict(extra="forbid")

    page: str | int | None = Field(
        default=None, description="A live page: its URL path ('/contact/') or its id."
    )
    blocks: list[str] | None = Field(
        default=None,
        max_length=MAX_BLOCKS,
        description="Block keys '<page id>:<block id>' (as answered in blocks[].key).",
    )
    visitor: StatedVisitor | None = Field(
        default=None,
        description="Apps: the visitor (required with an app key). Without a key the "
        "visitor is the profile cookie's; a stated visitor is then answered but not recorded.",
    )
    record: bool | None = Field(
        default=None,
        description="Record the page view and exposures, as a page view does (consent "
        "permitting). Absent: recorded when the caller may (a browser's cookie visitor, an "
        "app key with the decide+record scope). true with a 'decide' key: 403.",
    )


REQUEST_ADAPTER: TypeAdapter[DecisionRequest] = TypeAdapter(DecisionRequest)


class VisitorOut(BaseModel):
    industry: str | None
    persona: str | None
    held_out: bool = Field(description="In the global holdout: every block is generic.")


class BlockOut(BaseModel):
    key: str = Field(description="'<page id>:<block id>'")
    page: str = Field(description="The page's URL path.")
    type: str = Field(description="The block type (hero, contact_form, cta, ...).")
    variant: str = Field(description="'generic' or the audience key of the variant shown.")
    reason: str = Field(description="Why (industry_match, experiment_control, holdout, ...).")
    experiment: str | None = Field(description="The experiment that decided, if any.")
    arm: str | None = Field(description="The visitor's arm in that experiment.")
    content: dict[str, Any] = Field(description="The chosen content, in the block's schema.")


class DecisionsOut(BaseModel):
    visitor: VisitorOut
    recorded: bool = Field(description="The page view and exposures were queued for storage.")
    blocks: list[BlockOut]


class DirectoryBlock(BaseModel):
    key: str = Field(description="'<page id>:<block id>': what POST takes in blocks.")
    type: str


class DirectoryPage(BaseModel):
    page: str = Field(description="The page's URL path.")
    id: int
    title: str
    blocks: list[DirectoryBlock]


class Directory(BaseModel):
    pages: list[DirectoryPage]
