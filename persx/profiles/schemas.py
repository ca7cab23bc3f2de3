"""API shapes for the visitor's personalization state."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ProfileUpdate(BaseModel):
    """What a visitor may tell us about themselves (PUT /api/personalization)."""

    model_config = ConfigDict(extra="forbid")

    industry: str = Field(min_length=1, max_length=40, description="Industry slug (catalog).")
    goals: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="1–5 goal slugs; omitted keeps current goals.",
    )
    tools: list[str] | None = Field(
        default=None, max_length=20, description="Martech tool slugs; omitted keeps current."
    )
    role: str | None = Field(default=None, max_length=80, description="Job title, free text.")


class NamedRef(BaseModel):
    slug: str
    name: str


class PersonaRef(NamedRef):
    confidence: float


class PersonalizationState(BaseModel):
    has_profile: bool
    visitor_id: str | None = None
    industry: NamedRef | None = None
    persona: PersonaRef | None = None
    goals: list[str] = []
    tools: list[str] = []
    role: str = ""
    industry_source: str | None = None
    layer: str | None = Field(default=None, description="Which profile layer answered.")
    set_at: datetime | None = None
    updated_at: datetime | None = None
    needs_reconfirmation: bool = False


class Forgotten(BaseModel):
    forgotten: bool
    records_deleted: int = Field(description="Records erased, all kinds together.")
    erased: dict[str, int] = Field(
        default_factory=dict, description="Records erased per kind (profile, events, leads, ...)."
    )
