"""Django tests run against the seeded demo site (seeded once per session)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from persx.catalog.repository import invalidate_catalog
from persx.config import config
from persx.content.routing import invalidate_routes
from persx.content.tagged_index import invalidate_tagged_index
from persx.engine.visitor.profile import Provenance, VisitorProfile
from persx.events import exposure_writer
from persx.experiments.repository import invalidate_bandits, invalidate_experiments
from persx.profiles import cookie

SITE_DATA = json.loads(
    (Path(settings.BASE_DIR) / "persx" / "demo" / "data" / "site.json").read_text()
)
INDUSTRIES = ["ecommerce", "healthcare", "saas", "financial-services", "travel"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from persx.demo.services import seed_demo

    with django_db_blocker.unblock():
        seed_demo()


@pytest.fixture(autouse=True)
def fresh_snapshots() -> Iterator[None]:
    """In-process caches must not leak rows from another test's rolled-back transaction."""
    invalidate_catalog()
    invalidate_tagged_index()
    invalidate_experiments()
    invalidate_bandits()
    invalidate_routes()
    exposure_writer.writer().discard_pending()  # exposures queued by earlier tests
    yield
    invalidate_catalog()
    invalidate_tagged_index()
    invalidate_experiments()
    invalidate_bandits()
    invalidate_routes()


@pytest.fixture
def admin_client(db: None) -> Client:
    """A client signed in as a fresh superuser (replaces pytest-django's own fixture)."""
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def profile_cookie(
    industry: str,
    persona: str | None = None,
    set_at: datetime | None = None,
    visitor_id: str = "0123456789abcdef0123456789abcdef",
    goals: tuple[str, ...] = (),
) -> str:
    now = timezone.now()
    profile = VisitorProfile(
        visitor_id,
        industry=industry,
        persona=persona,
        persona_confidence=0.9 if persona else 0.0,
        goals=goals,
        industry_source=Provenance.START_FORM,
        set_at=set_at or now,
        updated_at=set_at or now,
    )
    return cookie.encode(profile, now)


def client_with_profile(industry: str, persona: str | None = None, **kwargs: Any) -> Client:
    client = Client()
    client.cookies[config().profile_cookie_name] = profile_cookie(industry, persona, **kwargs)
    return client


class VariantParser(HTMLParser):
    """Collects (data-testid, data-variant) of every element that has a data-variant."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-variant" in found:
            self.blocks.append((found.get("data-testid") or "", found["data-variant"] or ""))


def variants(html: str | bytes) -> list[tuple[str, str]]:
    parser = VariantParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.blocks
