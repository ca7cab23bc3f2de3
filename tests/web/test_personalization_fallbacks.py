"""Personalization never breaks the page: the three fallbacks of PersonalizationMiddleware.

Each test makes one real collaborator of the middleware fail (the context build, the
exposure queue, the live metrics) and checks that the page still answers 200, with generic
content where the failure is before the render, and that the failure is logged with its
reason. Without the middleware's ``except`` the exception reaches the test client and the
test fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from persx.events import exposure_writer
from persx.events.exposure_writer import PageRender
from persx.observability import metrics
from persx.personalization import context as personalization_context
from persx.personalization.preview import Preview
from tests.web.conftest import client_with_profile, variants

PERSONA = "healthcare-patient-acquisition"
PAGE = "/contact/"


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    exposure_writer.writer().discard_pending()
    yield
    exposure_writer.writer().discard_pending()


def failure_logged(caplog: pytest.LogCaptureFixture, message: str, reason: str) -> bool:
    """An ERROR line ``message`` from the personalization logger carrying the exception."""
    return any(
        record.name == "persx.personalization"
        and record.levelno == logging.ERROR
        and record.getMessage() == message
        and record.exc_info is not None
        and reason in str(record.exc_info[1])
        for record in caplog.records
    )


def pages_served(personalized: str) -> float:
    """Site pages counted by the live metrics, every profile layer together."""
    return sum(
        REGISTRY.get_sample_value(
            "persx_pages_served_total", {"profile_layer": layer, "personalized": personalized}
        )
        or 0.0
        for layer in (*metrics.PROFILE_LAYERS, metrics.OTHER)
    )


@pytest.mark.django_db
def test_a_context_that_cannot_be_built_serves_the_generic_page(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_with_profile("healthcare", PERSONA)
    personalized = variants(client.get(PAGE).content)
    generic = variants(Client().get(PAGE).content)
    assert personalized != generic  # the page has something to lose
    exposure_writer.writer().discard_pending()

    def broken_preview_lookup(request: object) -> Preview | None:
        raise RuntimeError("session store unreadable")

    # build_context's first step, for every request: read the staff preview.
    monkeypatch.setattr(personalization_context, "staff_preview", broken_preview_lookup)
    with caplog.at_level(logging.ERROR, logger="persx.personalization"):
        response = client.get(PAGE)

    assert response.status_code == 200
    assert variants(response.content) == generic
    assert failure_logged(
        caplog, "personalization context failed; serving generic", "session store unreadable"
    )
    # Generic for lack of a context, not a measured visitor: nothing queued.
    assert exposure_writer.writer().discard_pending() == 0


@pytest.mark.django_db
def test_an_exposure_queue_that_raises_leaves_the_page_and_its_metrics(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_with_profile("healthcare", PERSONA)
    expected = variants(client.get(PAGE).content)
    assert ("contact-form", f"persona:{PERSONA}") in expected
    exposure_writer.writer().discard_pending()

    def broken_submit(render: PageRender) -> bool:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(exposure_writer.writer(), "submit", broken_submit)
    personalized_pages = pages_served("yes")
    with caplog.at_level(logging.ERROR, logger="persx.personalization"):
        response = client.get(PAGE)

    assert response.status_code == 200
    assert variants(response.content) == expected  # the personalized page, unchanged
    assert failure_logged(caplog, "exposures could not be queued", "can't start new thread")
    # The page's live metrics are still recorded after the exposure failure.
    assert pages_served("yes") == personalized_pages + 1


@pytest.mark.django_db
def test_live_metrics_that_raise_leave_the_page_and_its_exposures(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_with_profile("healthcare", PERSONA)
    expected = variants(client.get(PAGE).content)
    exposure_writer.writer().discard_pending()

    def broken_record_page(seconds: float, profile_layer: str, personalized: bool) -> None:
        raise ValueError("Incorrect label count")

    # The last step of record_page_view: the page counter and render-time histogram.
    monkeypatch.setattr(metrics, "record_page", broken_record_page)
    with caplog.at_level(logging.ERROR, logger="persx.personalization"):
        response = client.get(PAGE)

    assert response.status_code == 200
    assert variants(response.content) == expected
    assert failure_logged(caplog, "page metrics failed", "Incorrect label count")
    # The exposures were queued before the metrics failed: one page view + one per block.
    served = response.wsgi_request.persx.served  # type: ignore[attr-defined]
    assert exposure_writer.writer().discard_pending() == 1 + len(served)
