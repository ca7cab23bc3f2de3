"""Scheduled variants (``live_from``/``live_until``) through real page requests and the
request context's clock port."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from persx.content.blocks import HeroBlock
from persx.content.models import StandardPage
from persx.content.page_personalization import page_blocks
from persx.engine.deciding.decision import Reason
from persx.personalization.context import use_preview
from tests.web.conftest import client_with_profile, variants

HOUR = timedelta(hours=1)


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def schedule(
    block_type: str, audience: str, live_from: datetime | None, live_until: datetime | None
) -> None:
    """Publish the contact page with one variant's window set (as an editor would)."""
    page = contact()
    raw = page.body.raw_data
    for block in raw:
        if block["type"] == block_type:
            for variant in block["value"]["variants"]:
                value = variant.get("value", variant)
                if value["audience"] == audience:
                    value["live_from"] = live_from.isoformat() if live_from else None
                    value["live_until"] = live_until.isoformat() if live_until else None
    page.body = raw
    page.save_revision().publish()


def served(client: Client, caplog: pytest.LogCaptureFixture) -> dict[str, tuple[str, str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client.get("/contact/")
    assert response.status_code == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "personalization served"]
    blocks: list[dict[str, str]] = line.blocks  # type: ignore[attr-defined]
    return {b["block"]: (b["variant"], b["reason"]) for b in blocks}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("live_from", "live_until"),
    [(1, None), (None, -1), (-48, -24), (24, 48)],
    ids=["upcoming", "expired", "past-window", "future-window"],
)
def test_out_of_window_variant_is_absent_on_the_page(
    caplog: pytest.LogCaptureFixture, live_from: int | None, live_until: int | None
) -> None:
    now = datetime.now(UTC)
    schedule(
        "hero",
        "industry:healthcare",
        now + live_from * HOUR if live_from is not None else None,
        now + live_until * HOUR if live_until is not None else None,
    )
    blocks = served(client_with_profile("healthcare"), caplog)
    assert blocks["hero"] == ("generic", Reason.VARIANT_SCHEDULED)
    assert blocks["contact_form"] == ("industry:healthcare", Reason.INDUSTRY_MATCH)
    html = client_with_profile("healthcare").get("/contact/").content
    assert ("hero", "generic") in variants(html)


@pytest.mark.django_db
def test_in_window_variant_is_served(caplog: pytest.LogCaptureFixture) -> None:
    now = datetime.now(UTC)
    schedule("hero", "industry:healthcare", now - HOUR, now + HOUR)
    blocks = served(client_with_profile("healthcare"), caplog)
    assert blocks["hero"] == ("industry:healthcare", Reason.INDUSTRY_MATCH)


@pytest.mark.django_db
def test_scheduled_out_persona_variant_falls_back_to_the_industry_variant(
    caplog: pytest.LogCaptureFixture,
) -> None:
    persona = "persona:healthcare-patient-acquisition"
    client = client_with_profile("healthcare", "healthcare-patient-acquisition")
    assert served(client, caplog)["contact_form"] == (persona, Reason.PERSONA_MATCH)
    schedule("contact_form", persona, datetime.now(UTC) + HOUR, None)
    assert served(client, caplog)["contact_form"] == ("industry:healthcare", Reason.INDUSTRY_MATCH)


START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
END = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - TICK, ("generic", Reason.VARIANT_SCHEDULED)),
        (START, ("industry:healthcare", Reason.INDUSTRY_MATCH)),
        (END - TICK, ("industry:healthcare", Reason.INDUSTRY_MATCH)),
        (END, ("generic", Reason.VARIANT_SCHEDULED)),
    ],
)
def test_boundaries_through_the_contexts_clock(
    rf: Any, now: datetime, expected: tuple[str, Reason]
) -> None:
    """The page's one-pass decision reads the injected wall clock (once per page)."""
    schedule("hero", "industry:healthcare", START, END)
    page = contact()
    context = use_preview(rf.get("/contact/"), "industry:healthcare")
    reads: list[datetime] = []

    def clock() -> datetime:
        reads.append(now)
        return now

    context.clock = clock
    blocks = page_blocks(page)
    context.decide_page(blocks, str(page.pk))
    hero = next(b for b in blocks if b.block_type == "hero")
    decision = context.choose("hero", "base", hero.variants, str(page.pk), key=hero.key)
    assert (decision.decision.variant_key, decision.decision.reason) == expected
    assert len(reads) == 1  # one read for the whole page


@pytest.mark.django_db
def test_page_without_schedules_never_reads_the_clock(rf: Any) -> None:
    page = contact()
    context = use_preview(rf.get("/contact/"), "industry:healthcare")
    never: Callable[[], datetime] = lambda: pytest.fail("clock read")  # noqa: E731
    context.clock = never
    context.decide_page(page_blocks(page), str(page.pk))


@pytest.mark.django_db
def test_live_until_before_live_from_is_refused_naming_the_field() -> None:
    block = HeroBlock()
    value = block.to_python(
        {
            "base": {"headline": "Hi"},
            "variants": [
                {
                    "audience": "industry:saas",
                    "content": {"headline": "Hi SaaS"},
                    "live_from": END.isoformat(),
                    "live_until": START.isoformat(),
                }
            ],
        }
    )
    with pytest.raises(ValidationError) as raised:
        block.clean(value)
    variant_errors = raised.value.block_errors["variants"].block_errors[0].block_errors
    assert set(variant_errors) == {"live_until"}
