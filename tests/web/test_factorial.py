"""Factorial experiments through the real parts: the admin form (created, refused with the
field named), the one lifecycle of every kind, assignment that a visitor keeps, decisions
served on a real page with their exposures recorded per cell, and the report on a planted
history read back from real rollups."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from persx.analytics.services import update_rollups
from persx.engine.setup_errors import InvalidSetup
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.models import Status
from persx.experiments.repository import invalidate_factorials, running_factorials
from persx.factorial.models import FactorialExperiment
from persx.factorial.services import (
    create_factorial,
    save_factorial,
    set_factorial_status,
    start_factorial,
    stop_factorial,
)
from tests.web.analytics_events import EventLog, at
from tests.web.conftest import client_with_profile, variants

ADD = "/cms/snippets/persx_factorial/factorialexperiment/add/"
HERO_FORM = [
    {"block_type": "hero", "options": ["generic", "industry"]},
    {"block_type": "contact_form", "options": ["generic", "industry"]},
]


@pytest.fixture(autouse=True)
def no_stale_factorials() -> Iterator[None]:
    """A running factorial of a rolled-back test must not stay in this process's snapshot."""
    invalidate_factorials()
    yield
    invalidate_factorials()


def visitor_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def factorial(**fields: Any) -> FactorialExperiment:
    values: dict[str, Any] = {
        "key": "hero-form",
        "name": "Hero × contact form",
        "factors": HERO_FORM,
        "primary_metric": "form_submission",
    }
    values.update(fields)
    return create_factorial(**values)


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Hero × contact form",
        "key": "hero-form",
        "hypothesis": "Industry copy in both blocks adds up.",
        "status": "draft",
        "factor_1_block": "hero",
        "factor_1_options": ["generic", "industry"],
        "factor_2_block": "contact_form",
        "factor_2_options": ["industry", "generic"],
        "factor_3_block": "",
        "coverage": "1",
        "primary_metric": "form_submission",
        "bucket_version": "1",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- admin form ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_form_creates_a_factorial_experiment(admin_client: Client) -> None:
    assert admin_client.get(ADD).status_code == 200
    response = admin_client.post(ADD, form_data(status="running"))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = FactorialExperiment.objects.get(key="hero-form")
    assert row.factors == HERO_FORM  # options stored generic first, the reference
    assert (row.status, row.started_at is not None) == (Status.RUNNING, True)
    assert [d.key for d in running_factorials()] == ["hero-form"]
    edit = admin_client.get(f"/cms/snippets/persx_factorial/factorialexperiment/edit/{row.pk}/")
    assert 'value="contact_form" selected' in edit.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"factor_1_options": ["generic"]}, "options of block 1: tick two or three"),
        ({"factor_2_block": "hero"}, "blocks: each block can be one factor only"),
        ({"factor_3_options": ["generic", "industry"]}, "block 3: choose a block"),
        ({"factor_2_block": "", "factor_2_options": []}, "This field is required"),
        ({"coverage": "2"}, "coverage: must be a number between 0 and 1"),
        ({"factor_1_block": "carousel"}, "Select a valid choice"),
    ],
)
def test_the_admin_form_names_the_field(
    admin_client: Client, changes: dict[str, Any], message: str
) -> None:
    response = admin_client.post(ADD, form_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FactorialExperiment.objects.exists()


@pytest.mark.django_db
def test_a_third_block_makes_a_three_factor_design(admin_client: Client) -> None:
    response = admin_client.post(
        ADD,
        form_data(factor_3_block="cta", factor_3_options=["personalized", "generic", "industry"]),
    )
    assert response.status_code == 302
    row = FactorialExperiment.objects.get()
    assert row.factors[2] == {
        "block_type": "cta",
        "options": ["generic", "industry", "personalized"],
    }


# --- the one lifecycle -----------------------------------------------------------------------


@pytest.mark.django_db
def test_start_stop_and_resume_through_the_shared_lifecycle(admin_client: Client) -> None:
    row = factorial()
    assert row.status == Status.DRAFT
    assert running_factorials() == ()
    started = start_factorial("hero-form").started_at
    assert [d.key for d in running_factorials()] == ["hero-form"]
    stopped = stop_factorial("hero-form")
    assert stopped.stopped_at is not None
    assert running_factorials() == ()
    resumed = start_factorial("hero-form")
    assert (resumed.started_at, resumed.stopped_at) == (started, None)
    with pytest.raises(
        ValueError,
        match="a factorial experiment that has run cannot go back to draft; stop it instead",
    ):
        set_factorial_status("hero-form", Status.DRAFT)
    # The design is fixed once it has run: in the service and in the form.
    row = FactorialExperiment.objects.get()
    row.factors = [HERO_FORM[0], {"block_type": "cta", "options": ["generic", "industry"]}]
    with pytest.raises(InvalidSetup, match="factors: cannot change once the experiment has run"):
        save_factorial(row, Status.RUNNING, previous_factors=HERO_FORM)
    edit = f"/cms/snippets/persx_factorial/factorialexperiment/edit/{row.pk}/"
    response = admin_client.post(edit, form_data(status="running", factor_2_block="cta"))
    assert "factors: cannot change once the experiment has run" in response.content.decode()
    response = admin_client.post(edit, form_data(status="draft"))
    assert "a factorial experiment that has run cannot go back to draft" in (
        response.content.decode()
    )
    assert admin_client.post(edit, form_data(status="stopped")).status_code == 302
    assert FactorialExperiment.objects.get().status == Status.STOPPED


@pytest.mark.django_db
def test_a_stored_design_the_engine_refuses_is_skipped_on_the_request_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    factorial(status="running")
    FactorialExperiment.objects.filter(key="hero-form").update(
        factors=[{"block_type": "hero", "options": ["generic"]}]  # edited outside the admin
    )
    invalidate_factorials()
    with caplog.at_level(logging.ERROR, logger="persx.factorial"):
        assert running_factorials() == ()
    assert "hero-form is invalid" in caplog.text


# --- decisions on a page ---------------------------------------------------------------------


def _served(client: Client, caplog: pytest.LogCaptureFixture) -> dict[str, dict[str, str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client.get("/contact/")
    assert response.status_code == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "personalization served"]
    blocks: list[dict[str, str]] = line.blocks  # type: ignore[attr-defined]
    shown = dict(variants(response.content))
    served = {b["block"]: b for b in blocks}
    assert shown["contact-form"] == served["contact_form"]["variant"]
    return served


@pytest.mark.django_db
def test_each_visitor_sees_their_cell_on_every_block_and_keeps_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    factorial(status="running")
    (definition,) = running_factorials()
    seen: set[str] = set()
    for visitor_id in visitor_ids(12, seed=1):
        client = client_with_profile("saas", visitor_id=visitor_id)
        served = _served(client, caplog)
        cell = definition.cell_keys[definition.cell_for(visitor_id)]  # type: ignore[index]
        hero_option, form_option = cell.split(".")
        for block, option in (("hero", hero_option), ("contact_form", form_option)):
            decision = served[block]
            assert (decision["experiment"], decision["arm"]) == ("hero-form", cell)
            assert decision["variant"] == ("industry:saas" if option == "industry" else "generic")
        assert _served(client, caplog)["hero"]["arm"] == cell  # a reload keeps the cell
        seen.add(cell)
    assert seen == set(definition.cell_keys)


@pytest.mark.django_db
def test_exposures_are_recorded_per_cell(caplog: pytest.LogCaptureFixture) -> None:
    factorial(status="running")
    (definition,) = running_factorials()
    ids = visitor_ids(8, seed=2)
    for visitor_id in ids:
        _served(client_with_profile("saas", visitor_id=visitor_id), caplog)
    exposure_writer.writer().flush()
    rows = Event.objects.filter(type="exposure", experiment="hero-form", visitor_id__in=ids)
    assert {r.block for r in rows} == {"hero", "contact_form"}
    for row in rows:
        assert row.arm == definition.cell_keys[definition.cell_for(row.visitor_id)]  # type: ignore[index]


@pytest.mark.django_db
def test_a_stopped_factorial_no_longer_decides(caplog: pytest.LogCaptureFixture) -> None:
    factorial(status="running")
    stop_factorial("hero-form")
    served = _served(client_with_profile("saas", visitor_id="d" * 32), caplog)
    assert served["contact_form"].get("experiment") != "hero-form"
    assert served["contact_form"]["variant"] == "industry:saas"


# --- the report ------------------------------------------------------------------------------

# Planted (large, so 400 visitors a cell show it): the industry hero adds 10 points on its
# own, the industry form nothing on its own, both together 25 points (an interaction of
# +15 points): cells gg, gi, ig, ii.
PLANTED = {
    "generic.generic": 0.05,
    "generic.industry": 0.05,
    "industry.generic": 0.15,
    "industry.industry": 0.30,
}


def _planted_history(per_cell: int, rates: dict[str, float]) -> None:
    log = EventLog()
    rng = random.Random(7)
    for seed, (cell, rate) in enumerate(rates.items()):
        converted = round(per_cell * rate)
        for i, visitor in enumerate(visitor_ids(per_cell, seed=100 + seed)):
            log.exposure(visitor, at(0, 9), experiment="hero-form", arm=cell, block="hero")
            if i < converted:
                log.add("form_submission", visitor, at(0, 10 + rng.randrange(5)), industry="saas")
    Event.objects.bulk_create(log.rows)
    update_rollups()


@pytest.mark.django_db
def test_the_report_reads_a_planted_history_in_words(admin_client: Client) -> None:
    factorial(status="running")
    _planted_history(400, PLANTED)
    response = admin_client.get("/cms/measurement/factorial/hero-form/")
    assert response.status_code == 200
    html = response.content.decode()
    # With the interaction the form's main effect is not zero either: (5 + 30)/2 − (5 + 15)/2.
    assert "Both blocks matter. Hero: Industry converts 17.5 pp more than Generic" in html
    assert "Contact form: Industry converts 7.5 pp more than Generic" in html
    assert "They interact: the Hero and the Contact form" in html
    assert "Ship Hero: Industry with Contact form: Industry: the best observed combination" in html
    assert 'data-testid="cells-chart"' in html
    assert 'data-testid="effects-chart"' in html
    assert "30.0% of 400 visitors" in html  # the best cell's rate
    listing = admin_client.get("/cms/measurement/factorial/").content.decode()
    assert "/cms/measurement/factorial/hero-form/" in listing
    assert "Factorial reports" in admin_client.get("/cms/").content.decode()


@pytest.mark.django_db
def test_the_report_without_interaction_or_data(admin_client: Client) -> None:
    factorial(status="running")
    html = admin_client.get("/cms/measurement/factorial/hero-form/").content.decode()
    assert "Not every combination has visitors yet" in html
    assert 'data-testid="cells-chart"' not in html
    additive = {
        "generic.generic": 0.05,
        "generic.industry": 0.05,
        "industry.generic": 0.15,
        "industry.industry": 0.15,
    }
    _planted_history(400, additive)
    html = admin_client.get("/cms/measurement/factorial/hero-form/").content.decode()
    assert "They do not clearly interact" in html
    assert "The Hero block matters. Hero: Industry converts 10.0 pp more than Generic" in html
    assert "No clear effect of the Contact form block" in html
    assert "Ship Hero: Industry with Contact form: Generic" in html
    assert admin_client.get("/cms/measurement/factorial/nope/").status_code == 404


@pytest.mark.django_db
def test_the_reports_need_the_measurement_permission() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    factorial(status="running")
    _planted_history(50, PLANTED)
    clients = {}
    for name, group in (("eddie", "Editors"), ("ana", "Analysts")):
        user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-12345")
        user.groups.add(Group.objects.get(name=group))
        clients[name] = Client()
        clients[name].force_login(user)
    assert "Factorial reports" not in clients["eddie"].get("/cms/").content.decode()
    for url in ("/cms/measurement/factorial/", "/cms/measurement/factorial/hero-form/"):
        refused = clients["eddie"].get(url)
        assert refused.status_code in (302, 403), url
        assert b"What to ship" not in refused.content
        assert clients["ana"].get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_terminal_report_says_the_same_as_the_page(admin_client: Client) -> None:
    import io
    import json

    from django.core.management import CommandError, call_command

    factorial(status="running")
    _planted_history(400, PLANTED)
    page = admin_client.get("/cms/measurement/factorial/hero-form/").content.decode()
    text = io.StringIO()
    call_command("persx_factorial_report", "hero-form", stdout=text)
    out = text.getvalue()
    for sentence in (
        "Both blocks matter. Hero: Industry converts 17.5 pp more than Generic",
        "They interact: the Hero and the Contact form",
        "Ship Hero: Industry with Contact form: Industry: the best observed combination",
    ):
        assert sentence in out
        assert sentence in page
    assert "30.0%" in out
    assert "400 visitors" in out
    raw = io.StringIO()
    call_command("persx_factorial_report", "hero-form", "--format", "json", stdout=raw)
    data = json.loads(raw.getvalue())
    best = max(data["cells"], key=lambda c: c["rate"])
    assert (best["key"], best["visitors"], best["conversions"]) == ("industry.industry", 400, 120)
    hero = data["main_effects"][0]
    # (15 + 30)/2 − (5 + 5)/2 percentage points: the planted rates' main effect of the hero.
    assert hero["estimate"] == pytest.approx(0.175, abs=1e-9)
    assert hero["lower"] < 0.175 < hero["upper"]
    assert hero["clear"]
    assert data["interactions"][0]["clear"]
    with pytest.raises(CommandError, match="no factorial experiment 'nope'; known: hero-form"):
        call_command("persx_factorial_report", "nope")
