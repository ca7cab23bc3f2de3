"""A page is personalized as a whole: all its blocks for the visitor, or none of them.

Before, the budget was wall-clock time checked block by block, so on a busy machine the
scheduler could spend it mid-page (hero personalized, the rest generic). Now a page's
blocks are decided in one pass before any renders, on the thread's CPU clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from persx.engine.deciding.decision import Decision
from persx.personalization import context as personalization_context
from tests.web.conftest import client_with_profile, variants

REAL_BUDGET_MS = 25.0


def served_reasons(caplog: pytest.LogCaptureFixture) -> list[list[str]]:
    return [
        [b["reason"] for b in r.blocks]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.getMessage() == "personalization served"
    ]


@pytest.fixture
def cpu_hogs() -> Iterator[None]:
    """Two pure-Python busy threads: they compete for the GIL and both cores."""
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += sum(i * i for i in range(2000))

    threads = [threading.Thread(target=spin, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


@pytest.mark.django_db
def test_cpu_contention_alone_never_triggers_the_fallback(
    settings: Any, caplog: pytest.LogCaptureFixture, cpu_hogs: None
) -> None:
    settings.PERSX = {**settings.PERSX, "DECISION_BUDGET_MS": REAL_BUDGET_MS}
    client = client_with_profile("healthcare")
    with caplog.at_level(logging.INFO, logger="persx"):
        for _ in range(6):
            response = client.get("/contact/")
            assert response.status_code == 200
            assert {v for _, v in variants(response.content)} == {"industry:healthcare"}
    pages = served_reasons(caplog)
    assert len(pages) == 6
    assert all(set(reasons) == {"industry_match"} for reasons in pages), pages


@pytest.mark.django_db
def test_time_spent_descheduled_inside_a_decision_does_not_count(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each decision is taken off the CPU for longer than the whole page budget (as a
    preempted thread would be); on the thread's CPU clock the page stays personalized."""
    settings.PERSX = {**settings.PERSX, "DECISION_BUDGET_MS": REAL_BUDGET_MS}
    real = personalization_context.decide_block

    def descheduled(*args: Any, **kwargs: Any) -> Decision:
        personalization_context.time.sleep(2 * REAL_BUDGET_MS / 1000)
        return real(*args, **kwargs)

    monkeypatch.setattr(personalization_context, "decide_block", descheduled)
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client_with_profile("saas").get("/")
    assert {v for _, v in variants(response.content)} == {"industry:saas"}
    (reasons,) = served_reasons(caplog)
    assert set(reasons) == {"industry_match"}


@pytest.mark.django_db
def test_running_over_the_budget_mid_page_serves_the_whole_page_generic(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The third block's decision burns the page's whole budget: no block is personalized."""
    settings.PERSX = {**settings.PERSX, "DECISION_BUDGET_MS": REAL_BUDGET_MS}
    real = personalization_context.decide_block
    calls = {"n": 0}

    def third_is_slow(*args: Any, **kwargs: Any) -> Decision:
        calls["n"] += 1
        if calls["n"] == 3:
            burn_until = personalization_context.time.thread_time() + 2 * REAL_BUDGET_MS / 1000
            while personalization_context.time.thread_time() < burn_until:
                pass
        return real(*args, **kwargs)

    monkeypatch.setattr(personalization_context, "decide_block", third_is_slow)
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client_with_profile("saas").get("/")
    assert response.status_code == 200
    shown = [v for _, v in variants(response.content)]
    assert len(shown) >= 3
    assert set(shown) == {"generic"}
    (reasons,) = served_reasons(caplog)
    assert set(reasons) == {"timeout"}
