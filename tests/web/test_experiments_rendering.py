"""Running experiments and the global holdout decide what real page requests render."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from persx.content.models import StandardPage
from persx.engine.deciding.bucketing import hash_unit
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT, Holdout
from persx.experiments import repository
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.experiments.services import create_experiment, start_experiment, stop_experiment
from tests.web.conftest import client_with_profile, variants

HOLDOUT_SEED = "persx-global-holdout"
HALF_AND_HALF = [
    {"key": "control", "kind": "generic", "weight": 0.5},
    {"key": "personalized", "kind": "personalized", "weight": 0.5},
]
ALL_CONTROL = [
    {"key": "control", "kind": "generic", "weight": 1.0},
    {"key": "personalized", "kind": "personalized", "weight": 0.0},
]
ALL_PERSONALIZED = [
    {"key": "control", "kind": "generic", "weight": 0.0},
    {"key": "personalized", "kind": "personalized", "weight": 1.0},
]


@pytest.fixture(autouse=True)
def fresh_experiments() -> Iterator[None]:
    """The running-experiments snapshot must not outlive a test's rolled-back rows."""
    invalidate_experiments()
    yield
    invalidate_experiments()


def visitor_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def experiment(key: str, arms: list[dict[str, Any]], **fields: Any) -> Experiment:
    return create_experiment(
        key=key, name=key, arms=arms, status=fields.pop("status", "running"), **fields
    )


def render(client: Client, path: str, caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    """Each block decision of one page view, from its "personalization served" log line."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client.get(path)
    assert response.status_code == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "personalization served"]
    blocks: list[dict[str, str]] = line.blocks  # type: ignore[attr-defined]
    return blocks


@pytest.mark.django_db
def test_running_contact_form_experiment_splits_visitors_by_their_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    experiment("contact-pli", HALF_AND_HALF, scope_kind="block_type", scope_value="contact_form")
    seen = {"control": 0, "personalized": 0}
    for visitor_id in visitor_ids(24, seed=1):
        client = client_with_profile("saas", visitor_id=visitor_id)
        hero, form, testimonial = render(client, "/contact/", caplog)
        # The published GrowthBook-compatible hash predicts every assignment.
        n = hash_unit("contact-pli:v1", visitor_id, 2)
        arm = "control" if n is not None and n < 0.5 else "personalized"
        seen[arm] += 1
        assert (form["experiment"], form["arm"], form["would_be"]) == (
            "contact-pli",
            arm,
            "industry:saas",
        )
        if arm == "control":
            assert (form["variant"], form["reason"]) == ("generic", "experiment_control")
        else:
            assert (form["variant"], form["reason"]) == ("industry:saas", "industry_match")
        # Blocks outside the experiment's scope are personalized as usual.
        for other in (hero, testimonial):
            assert "experiment" not in other
            assert other["reason"] == "industry_match"
        # The same visitor gets the same arm on every view.
        assert render(client, "/contact/", caplog)[1]["arm"] == arm
    assert seen["control"] >= 6
    assert seen["personalized"] >= 6


@pytest.mark.django_db
def test_control_is_visible_in_the_admin_bar(caplog: pytest.LogCaptureFixture) -> None:
    experiment("contact-pli", ALL_CONTROL, scope_kind="block_type", scope_value="contact_form")
    staff = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    client = client_with_profile("travel")
    client.force_login(staff)
    html = client.get("/contact/").content.decode()
    assert 'data-reason="experiment_control" data-experiment="contact-pli" data-arm="control"' in (
        html
    )
    assert ("contact-reasons", "generic") in variants(html)


@pytest.mark.django_db
def test_draft_and_stopped_experiments_have_no_effect(caplog: pytest.LogCaptureFixture) -> None:
    experiment("draft-one", ALL_CONTROL, status="draft")
    experiment("stopped-one", ALL_CONTROL, status="stopped")
    client = client_with_profile("saas")
    blocks = render(client, "/contact/", caplog)
    assert {b["reason"] for b in blocks} == {"industry_match"}
    assert all("experiment" not in b for b in blocks)
    # Starting one takes effect on the next request (the snapshot is invalidated on save)...
    started = start_experiment("draft-one")
    assert started.started_at is not None
    assert {b["reason"] for b in render(client, "/contact/", caplog)} == {"experiment_control"}
    # ...and stopping it ends it.
    stopped = stop_experiment("draft-one")
    assert stopped.stopped_at is not None
    assert {b["reason"] for b in render(client, "/contact/", caplog)} == {"industry_match"}


def split_by_holdout(ids: list[str], share: float) -> tuple[list[str], list[str]]:
    holdout = Holdout(HOLDOUT_SEED, share)
    return [v for v in ids if holdout.holds_out(v)], [v for v in ids if not holdout.holds_out(v)]


@pytest.mark.django_db
def test_held_out_visitors_see_generic_everywhere_even_in_an_experiment(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PERSX = {**settings.PERSX, "HOLDOUT_SHARE": 0.1, "HOLDOUT_SEED": HOLDOUT_SEED}
    experiment("everything-personalized", ALL_PERSONALIZED)
    held, kept = split_by_holdout(visitor_ids(60, seed=2), 0.1)
    assert held, "no held-out visitor among the sample"
    for visitor_id in held[:3]:
        client = client_with_profile("healthcare", visitor_id=visitor_id)
        for path in ("/", "/contact/"):
            blocks = render(client, path, caplog)
            assert {b["variant"] for b in blocks} == {"generic"}
            assert {b["reason"] for b in blocks} == {"holdout"}
            assert {b["experiment"] for b in blocks} == {HOLDOUT_EXPERIMENT}
            assert any(b["would_be"] == "industry:healthcare" for b in blocks)
    for visitor_id in kept[:3]:
        blocks = render(client_with_profile("healthcare", visitor_id=visitor_id), "/", caplog)
        assert {b["experiment"] for b in blocks} == {"everything-personalized"}
        assert "industry:healthcare" in {b["variant"] for b in blocks}


@pytest.mark.django_db
def test_staff_preview_and_wagtail_preview_bypass_experiments_and_holdout(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PERSX = {**settings.PERSX, "HOLDOUT_SHARE": 1.0}
    experiment("all-control", ALL_CONTROL)
    staff = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    client = client_with_profile("saas")
    client.force_login(staff)
    # Staff browsing as themselves are measured like anyone (here: everyone is held out)...
    assert {b["reason"] for b in render(client, "/contact/", caplog)} == {"holdout"}
    # ...but a preview shows what the audience sees when personalized.
    client.get("/?persx_preview=persona:saas-growth-lead")
    blocks = render(client, "/contact/", caplog)
    assert ("contact_form", "persona:saas-growth-lead") in {
        (b["block"], b["variant"]) for b in blocks
    }
    assert all("experiment" not in b for b in blocks)
    contact = StandardPage.objects.get(slug="contact")
    response = contact.make_preview_request(preview_mode="industry:healthcare")
    if hasattr(response, "render"):
        response.render()
    assert ("contact-reasons", "industry:healthcare") in variants(response.content)


@pytest.mark.django_db
def test_page_scoped_experiment_covers_only_its_page(caplog: pytest.LogCaptureFixture) -> None:
    contact = StandardPage.objects.get(slug="contact")
    experiment("contact-page", ALL_CONTROL, scope_kind="page", scope_value=str(contact.pk))
    client = client_with_profile("saas")
    assert {b["reason"] for b in render(client, "/contact/", caplog)} == {"experiment_control"}
    assert {b["reason"] for b in render(client, "/", caplog)} == {"industry_match"}


@pytest.mark.django_db
def test_targeting_admits_only_the_chosen_industries(caplog: pytest.LogCaptureFixture) -> None:
    experiment("travel-only", ALL_CONTROL, target_industries=["travel"])
    travel = render(client_with_profile("travel"), "/contact/", caplog)
    saas = render(client_with_profile("saas"), "/contact/", caplog)
    assert {b["reason"] for b in travel} == {"experiment_control"}
    assert {b["reason"] for b in saas} == {"industry_match"}
    anonymous = render(Client(), "/contact/", caplog)
    assert {b["reason"] for b in anonymous} == {"no_profile"}


@pytest.mark.django_db
def test_running_experiments_and_holdout_add_no_sql(settings: Any) -> None:
    def count() -> int:
        client = client_with_profile("saas")
        client.get("/contact/")  # warm in-process caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/contact/").status_code == 200
        return len(ctx.captured_queries)

    without = count()
    experiment("contact-pli", HALF_AND_HALF, scope_kind="block_type", scope_value="contact_form")
    experiment("site-pli", HALF_AND_HALF, namespace="site", namespace_end=0.5)
    settings.PERSX = {**settings.PERSX, "HOLDOUT_SHARE": 0.1}
    assert count() == without


@pytest.mark.django_db
def test_unavailable_experiments_serve_generic_not_personalized(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def database_down() -> Any:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(repository._running, "_build", database_down)
    invalidate_experiments()
    blocks = render(client_with_profile("saas"), "/contact/", caplog)
    assert {(b["variant"], b["reason"]) for b in blocks} == {("generic", "error")}


def first_idea(html: str) -> str:
    return html[html.index('class="card idea"') :].split('id="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_held_out_visitors_get_the_editorial_order_of_tagged_content(settings: Any) -> None:
    settings.PERSX = {**settings.PERSX, "HOLDOUT_SHARE": 0.1, "HOLDOUT_SEED": HOLDOUT_SEED}
    held, kept = split_by_holdout(visitor_ids(60, seed=2), 0.1)
    editorial = first_idea(Client().get("/test-ideas/").content.decode())
    held_page = client_with_profile("travel", visitor_id=held[0]).get("/test-ideas/")
    kept_page = client_with_profile("travel", visitor_id=kept[0]).get("/test-ideas/")
    assert first_idea(held_page.content.decode()) == editorial
    assert first_idea(kept_page.content.decode()) != editorial
