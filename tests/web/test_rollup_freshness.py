"""Reports fold new events in on load when the rollups are stale, and say how fresh they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from persx.analytics.freshness import RollupFreshness
from persx.analytics.models import ExperimentVisitor, RollupState
from persx.analytics.services import STATE_NAME
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, at

pytestmark = pytest.mark.django_db
KEY = "exp-fresh"


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


@pytest.fixture
def experiment() -> Experiment:
    return Experiment.objects.create(
        key=KEY,
        name="Freshness test",
        status=Experiment.Status.RUNNING,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value="999999",  # matches no page
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
    )


def store_visitors(first: int, count: int) -> None:
    log = EventLog()
    for i in range(first, first + count):
        arm = "control" if i % 2 else "personalized"
        log.exposure(f"fr{i}", at(0), experiment=KEY, arm=arm, industry="saas")
    log.save()


def freshness_line(html: str) -> str:
    match = re.search(r'data-testid="rollup-freshness">(.*?)</p>', html, re.S)
    assert match, "the report does not say how fresh its numbers are"
    return re.sub(r"<[^>]+>", "", match.group(1))


def in_rollups() -> int:
    return ExperimentVisitor.objects.filter(experiment=KEY).count()


def with_refresh(seconds: float) -> Any:
    return override_settings(PERSX={**settings.PERSX, "ROLLUP_REFRESH_SECONDS": seconds})


def test_opening_a_report_folds_in_events_when_the_rollups_are_stale(
    admin_client: Client, experiment: Experiment
) -> None:
    store_visitors(0, 6)
    assert in_rollups() == 0
    with with_refresh(3600):  # an hour: the second load below is surely within it
        page = admin_client.get(f"/cms/measurement/experiments/{KEY}/")
        assert page.status_code == 200
        assert in_rollups() == 6
        line = freshness_line(page.content.decode())
        assert re.search(r"Numbers updated \d+ s ago \(on opening this page\)\.", line), line

        # Fresh (updated under an hour ago): new events wait, and the page says so.
        store_visitors(6, 4)
        line = freshness_line(
            admin_client.get(f"/cms/measurement/experiments/{KEY}/").content.decode()
        )
        assert in_rollups() == 6
        assert "(on opening this page)" not in line
        assert re.search(r"\b4 newer events not counted yet", line), line
        assert "manage.py persx_rollup" in line

        # Two hours later the numbers are stale: the overview folds the waiting events in.
        RollupState.objects.filter(name=STATE_NAME).update(
            updated_at=timezone.now() - timedelta(hours=2)
        )
        line = freshness_line(admin_client.get("/cms/measurement/overview/").content.decode())
        assert in_rollups() == 10
        assert "(on opening this page)" in line
        assert "not counted yet" not in line
        assert "Every stored event is counted." in line


def test_with_the_on_load_update_off_the_page_only_reports_what_waits(
    admin_client: Client, experiment: Experiment
) -> None:
    store_visitors(0, 3)
    with with_refresh(0):
        line = freshness_line(admin_client.get("/cms/measurement/experiments/").content.decode())
    assert in_rollups() == 0
    assert "Numbers updated never." in line
    assert re.search(
        r"\b3 newer events not counted yet: manage.py persx_rollup folds them in\.", line
    )


@pytest.mark.parametrize(
    ("age", "text"),
    [(None, "never"), (0.4, "0 s ago"), (119, "119 s ago"), (125, "2 min ago"),
     (7300, "2 h ago"), (3 * 86400, "3 days ago")],
)  # fmt: skip
def test_age_in_words(age: float | None, text: str) -> None:
    assert RollupFreshness(None, age, 0, False, 0).age_text == text
