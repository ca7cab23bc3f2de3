"""Every kind of experiment shares one status, one lifecycle and one admin form base.

The same transitions, stamps and messages hold for experiments and bandits, through the
services and through the admin; a third kind (a test-only factorial experiment, defined on
``AbstractExperiment`` in an isolated app registry) gets them without a lifecycle of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.test.utils import isolate_apps

from persx.engine.setup_errors import InvalidSetup
from persx.experiments import services
from persx.experiments.kind_form import SCOPE_PAGE_MISSING, ExperimentKindForm
from persx.experiments.lifecycle import kind_name, stamp_status_change, status_change_problem
from persx.experiments.models import AbstractExperiment, Bandit, Experiment, Status
from tests.web.test_bandits import ARMS, bandit_form_data
from tests.web.test_experiments_admin import CONTROL, PERSONALIZED, field_errors, form_data

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def factorial_kind() -> Iterator[type[AbstractExperiment]]:
    """A third kind: only what AbstractExperiment gives, no status rules of its own."""
    with isolate_apps("persx.experiments"):

        class FactorialExperiment(AbstractExperiment):
            key = models.SlugField(max_length=80)  # not unique: it has no table here

            class Meta:
                app_label = "persx_experiments"

        yield FactorialExperiment


def test_every_kind_has_the_one_status() -> None:
    assert Experiment.Status is Bandit.Status is Status
    for kind in (Experiment, Bandit):
        assert kind._meta.get_field("status").choices == Status.choices


@pytest.mark.parametrize(("kind", "name"), [(Experiment, "an experiment"), (Bandit, "a bandit")])
def test_the_lifecycle_names_each_kind_from_its_model(
    kind: type[AbstractExperiment], name: str
) -> None:
    assert kind_name(kind) == name
    for previous in (Status.RUNNING, Status.STOPPED):
        assert status_change_problem(kind, previous, Status.DRAFT) == (
            f"status: {name} that has run cannot go back to draft; stop it instead"
        )
    assert status_change_problem(kind, None, "paused") == "status: unknown status 'paused'"


def test_a_third_kind_joins_the_one_lifecycle(factorial_kind: type[AbstractExperiment]) -> None:
    assert kind_name(factorial_kind) == "a factorial experiment"
    assert status_change_problem(factorial_kind, Status.STOPPED, Status.DRAFT) == (
        "status: a factorial experiment that has run cannot go back to draft; stop it instead"
    )
    row = factorial_kind(key="pricing-grid", name="Pricing grid")
    assert row.status == Status.DRAFT
    for status, now in [
        (Status.RUNNING, T0),
        (Status.STOPPED, T0 + timedelta(days=3)),
        (Status.RUNNING, T0 + timedelta(days=4)),
    ]:
        previous, row.status = row.status, status
        assert status_change_problem(factorial_kind, previous, status) is None
        stamp_status_change(row, previous, now)
    assert (row.started_at, row.stopped_at) == (T0, None)  # resumed: first start kept


def _factorial_form(kind: type[AbstractExperiment]) -> type[ExperimentKindForm]:
    class FactorialExperimentForm(ExperimentKindForm):
        form_field_of = {"arms": None}  # a form-wide error

        class Meta:
            model = kind
            fields = ["key", "name", "status"]

        def stored_scope_page(self) -> str:
            return ""

        def clean_kind(self, data: dict[str, Any]) -> None:
            return None

        def check_with_engine(self, data: dict[str, Any]) -> None:
            if data["name"] == "one factor":
                raise InvalidSetup("arms", "a factorial experiment needs two factors")

        def save_row(self) -> AbstractExperiment:
            raise AssertionError("not saved in this test")

    return FactorialExperimentForm


@pytest.mark.django_db
def test_a_third_kind_form_gets_the_status_rule_and_engine_errors(
    factorial_kind: type[AbstractExperiment],
) -> None:
    form_class = _factorial_form(factorial_kind)
    has_run = factorial_kind(pk=7, key="pricing-grid", name="Pricing grid", status="stopped")
    form = form_class({"key": "pricing-grid", "name": "Grid", "status": "draft"}, instance=has_run)
    assert not form.is_valid()
    assert form.errors["status"] == [
        "status: a factorial experiment that has run cannot go back to draft; stop it instead"
    ]
    new = form_class({"key": "pricing-grid", "name": "one factor", "status": "draft"})
    assert not new.is_valid()
    assert new.non_field_errors() == ["arms: a factorial experiment needs two factors"]
    assert form_class({"key": "pricing-grid", "name": "Grid", "status": "running"}).is_valid()


# --- the same lifecycle for experiments and bandits, through their services ---------------


def _new_experiment() -> Experiment:
    return services.create_experiment(key="kinds", name="Kinds", arms=[CONTROL, PERSONALIZED])


def _new_bandit() -> Bandit:
    return services.create_bandit(
        key="kinds", name="Kinds", block_type="contact_form", audience="industry:saas", arms=ARMS
    )


KINDS: list[tuple[Callable[[], AbstractExperiment], Callable[..., AbstractExperiment], str]] = [
    (_new_experiment, services.set_status, "an experiment"),
    (_new_bandit, services.set_bandit_status, "a bandit"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("create", "set_status", "name"), KINDS, ids=["experiment", "bandit"])
def test_each_kind_goes_through_the_same_lifecycle(
    create: Callable[[], AbstractExperiment],
    set_status: Callable[..., AbstractExperiment],
    name: str,
) -> None:
    row = create()
    assert (row.status, row.started_at, row.stopped_at) == (Status.DRAFT, None, None)
    running = set_status("kinds", Status.RUNNING, T0)
    assert (running.started_at, running.stopped_at) == (T0, None)
    stopped = set_status("kinds", Status.STOPPED, T0 + timedelta(days=2))
    assert (stopped.started_at, stopped.stopped_at) == (T0, T0 + timedelta(days=2))
    with pytest.raises(ValueError, match=f"^status: {name} that has run cannot go back"):
        set_status("kinds", Status.DRAFT, T0 + timedelta(days=3))
    row.refresh_from_db()  # the refused change wrote nothing
    assert (row.status, row.stopped_at) == (Status.STOPPED, T0 + timedelta(days=2))
    resumed = set_status("kinds", Status.RUNNING, T0 + timedelta(days=4))
    assert (resumed.status, resumed.started_at, resumed.stopped_at) == (Status.RUNNING, T0, None)


# --- and through the admin -------------------------------------------------------------------

EXPERIMENT_ADMIN = "/cms/snippets/persx_experiments/experiment/"
BANDIT_ADMIN = "/cms/snippets/persx_experiments/bandit/"


def _admin_cases() -> list[tuple[str, Callable[..., dict[str, Any]], Callable[[], Any], str]]:
    return [
        (EXPERIMENT_ADMIN, form_data, _new_experiment, "an experiment"),
        (BANDIT_ADMIN, bandit_form_data, _new_bandit, "a bandit"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("admin", "data", "create", "name"), _admin_cases(), ids=["experiment", "bandit"]
)
def test_the_admin_refuses_draft_after_running_naming_the_kind(
    admin_client: Client,
    admin: str,
    data: Callable[..., dict[str, Any]],
    create: Callable[[], AbstractExperiment],
    name: str,
) -> None:
    row = create()
    key = row.key
    edit = f"{admin}edit/{row.pk}/"
    assert admin_client.post(edit, data(key=key, status="running")).status_code == 302
    errors = field_errors(admin_client.post(edit, data(key=key, status="draft")))
    assert errors["status"] == [
        f"status: {name} that has run cannot go back to draft; stop it instead"
    ]
    row.refresh_from_db()
    assert row.status == Status.RUNNING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "admin", "data"),
    [(Experiment, EXPERIMENT_ADMIN, form_data), (Bandit, BANDIT_ADMIN, bandit_form_data)],
    ids=["experiment", "bandit"],
)
# Not named "page": pytest-playwright would take it for its browser page and run the test
# with a browser (whose asyncio loop then breaks every ORM call after it in the process).
@pytest.mark.parametrize("missing_page", ["999999", "not-a-page"])
def test_a_scope_page_that_does_not_exist_is_a_field_error(
    admin_client: Client,
    kind: type[AbstractExperiment],
    admin: str,
    data: Callable[..., dict[str, Any]],
    missing_page: str,
) -> None:
    posted = data(scope_page=missing_page)
    if kind is Experiment:
        posted.update(scope_kind="page", scope_block_type="")
    errors = field_errors(admin_client.post(f"{admin}add/", posted))
    assert errors["scope_page"] == [SCOPE_PAGE_MISSING]
    assert not kind.objects.exists()
