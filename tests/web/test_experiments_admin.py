"""Experiments in the Wagtail admin: structured form, field errors, status stamps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from wagtail.blocks.base import get_error_json_data

from persx.content.models import StandardPage
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments, running_experiments
from persx.experiments.services import create_experiment
from tests.web.conftest import client_with_profile, variants

ADD_URL = "/cms/snippets/persx_experiments/experiment/add/"
LIST_URL = "/cms/snippets/persx_experiments/experiment/"
CONTROL = {"key": "control", "kind": "generic", "weight": "0.5"}
PERSONALIZED = {"key": "personalized", "kind": "personalized", "weight": "0.5"}


def edit_url(experiment: Experiment) -> str:
    return f"/cms/snippets/persx_experiments/experiment/edit/{experiment.pk}/"


@pytest.fixture(autouse=True)
def fresh_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def form_data(arms: list[dict[str, str]] | None = None, **overrides: Any) -> dict[str, Any]:
    """What the admin form posts (the arms editor posts Wagtail's list-block fields)."""
    data: dict[str, Any] = {
        "name": "Contact form PLI",
        "key": "contact-pli",
        "hypothesis": "Industry reasons to reach out lift contact submissions by 15%.",
        "status": "draft",
        "scope_kind": "block_type",
        "scope_block_type": "contact_form",
        "scope_page": "",
        "coverage": "1",
        "target_industries": [],
        "requires_profile": "on",
        "primary_metric": "form_submission",
        "secondary_metrics": ["engagement", "bounce"],
        "namespace": "",
        "namespace_start": "0",
        "namespace_end": "1",
        "bucket_version": "1",
        "sequential_tuning_n": "5000",
    }
    arms = [CONTROL, PERSONALIZED] if arms is None else arms
    data["arms-count"] = str(len(arms))
    for i, arm in enumerate(arms):
        data.update({f"arms-{i}-deleted": "", f"arms-{i}-order": str(i), f"arms-{i}-id": ""})
        for field in ("key", "kind", "weight", "variant_key"):
            data[f"arms-{i}-value-{field}"] = arm.get(field, "")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def messages(error: Any) -> list[str]:
    """Every message in a (possibly nested block) validation error."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(node.get("messages", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(get_error_json_data(error))
    return found


def field_errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, "an invalid form re-renders the edit screen"
    form = response.context["form"]
    return {
        name: [m for e in errs for m in messages(e)] for name, errs in form.errors.as_data().items()
    }


@pytest.mark.django_db
def test_experiment_screens_load(admin_client: Client) -> None:
    experiment = create_experiment(key="hero-pli", name="Hero PLI", arms=[CONTROL, PERSONALIZED])
    for url in (LIST_URL, ADD_URL, edit_url(experiment)):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    html = admin_client.get(ADD_URL).content.decode()
    for label in ("Arms", "Coverage", "Namespace", "Industries", "Primary metric", "Block type"):
        assert label in html
    assert "Hero PLI" in admin_client.get(LIST_URL).content.decode()


@pytest.mark.django_db
def test_creating_a_running_experiment_stamps_it_and_it_takes_effect(admin_client: Client) -> None:
    arms = [
        {"key": "control", "kind": "generic", "weight": "1"},
        {"key": "personalized", "kind": "personalized", "weight": "0"},
    ]
    response = admin_client.post(ADD_URL, form_data(arms, status="running"))
    assert response.status_code == 302, response.context and response.context["form"].errors
    experiment = Experiment.objects.get(key="contact-pli")
    assert (experiment.scope_kind, experiment.scope_value) == ("block_type", "contact_form")
    assert experiment.arms == [
        {"key": "control", "kind": "generic", "weight": 1.0},
        {"key": "personalized", "kind": "personalized", "weight": 0.0},
    ]
    assert experiment.secondary_metrics == ["engagement", "bounce"]
    assert experiment.started_at is not None
    assert experiment.stopped_at is None
    assert [e.key for e in running_experiments()] == ["contact-pli"]
    page = client_with_profile("saas").get("/contact/")
    assert ("contact-reasons", "generic") in variants(page.content)


@pytest.mark.django_db
def test_editing_status_stamps_start_and_stop(admin_client: Client) -> None:
    experiment = create_experiment(key="contact-pli", name="Contact", arms=[CONTROL, PERSONALIZED])
    url = edit_url(experiment)
    assert admin_client.post(url, form_data(status="running")).status_code == 302
    experiment.refresh_from_db()
    started = experiment.started_at
    assert started is not None
    assert admin_client.post(url, form_data(status="stopped")).status_code == 302
    experiment.refresh_from_db()
    assert experiment.stopped_at is not None
    assert experiment.started_at == started
    assert running_experiments() == ()
    errors = field_errors(admin_client.post(url, form_data(status="draft")))
    assert any("status" in m for m in errors["status"])


@pytest.mark.django_db
def test_variant_arms_and_page_scope_are_stored(admin_client: Client) -> None:
    contact = StandardPage.objects.get(slug="contact")
    arms = [
        {"key": "control", "kind": "generic", "weight": "0.4"},
        {"key": "personalized", "kind": "personalized", "weight": "0.3"},
        {
            "key": "lead-copy",
            "kind": "variant",
            "weight": "0.3",
            "variant_key": "persona:saas-growth-lead",
        },
    ]
    data = form_data(arms, scope_kind="page", scope_block_type="", scope_page=str(contact.pk))
    data["target_industries"] = ["saas"]
    assert admin_client.post(ADD_URL, data).status_code == 302
    experiment = Experiment.objects.get(key="contact-pli")
    assert (experiment.scope_kind, experiment.scope_value) == ("page", str(contact.pk))
    assert experiment.arms[2] == {
        "key": "lead-copy",
        "kind": "variant",
        "weight": 0.3,
        "variant_key": "persona:saas-growth-lead",
    }
    assert experiment.target_industries == ["saas"]
    # The edit screen shows the stored scope and arms again.
    form = admin_client.get(edit_url(experiment)).context["form"]
    assert form.initial["scope_page"] == contact.pk
    assert [a["key"] for a in form.initial["arms"]] == ["control", "personalized", "lead-copy"]


@pytest.mark.parametrize(
    ("arms", "overrides", "field", "wording"),
    [
        ([CONTROL, {**PERSONALIZED, "weight": "0.4"}], {}, "arms", "add up to 1"),
        ([CONTROL], {}, "arms", "at least two arms"),
        (
            [CONTROL, {**PERSONALIZED, "key": "control"}],
            {},
            "arms",
            "key: 'control' is already used",
        ),
        ([{**CONTROL, "kind": "personalized"}, PERSONALIZED], {}, "arms", "generic control"),
        ([CONTROL, {**PERSONALIZED, "kind": "variant"}], {}, "arms", "variant_key"),
        ([CONTROL, {**PERSONALIZED, "weight": "1.5"}], {}, "arms", "less than or equal to 1"),
        (None, {"coverage": "1.5"}, "coverage", "coverage: must be a number between 0 and 1"),
        (None, {"namespace_end": "2"}, "namespace_end", "namespace range end: must be"),
        (
            None,
            {"namespace": "site", "namespace_start": "0.6", "namespace_end": "0.4"},
            "namespace_end",
            "namespace",
        ),
        (None, {"scope_block_type": ""}, "scope_block_type", "scope"),
        (None, {"scope_kind": "page", "scope_block_type": ""}, "scope_page", "scope"),
        (None, {"key": "global-holdout"}, "key", "reserved"),
        (None, {"primary_metric": "bounce"}, "primary_metric", "valid choice"),
        (None, {"target_industries": ["mining"]}, "target_industries", "valid choice"),
    ],
)
@pytest.mark.django_db
def test_invalid_input_is_refused_with_a_field_error(
    admin_client: Client,
    arms: list[dict[str, str]] | None,
    overrides: dict[str, Any],
    field: str,
    wording: str,
) -> None:
    errors = field_errors(admin_client.post(ADD_URL, form_data(arms, **overrides)))
    assert field in errors, errors
    assert any(wording in m for m in errors[field]), errors[field]
    assert not Experiment.objects.exists()


@pytest.mark.django_db
def test_running_experiments_in_one_namespace_may_not_overlap(admin_client: Client) -> None:
    create_experiment(
        key="left",
        name="Left",
        arms=[CONTROL, PERSONALIZED],
        status="running",
        namespace="site",
        namespace_end=0.5,
    )
    overlapping = form_data(status="running", namespace="site", namespace_start="0.4")
    errors = field_errors(admin_client.post(ADD_URL, overlapping))
    assert any("overlaps running experiment 'left'" in m for m in errors["namespace_start"])
    disjoint = form_data(status="running", namespace="site", namespace_start="0.5")
    assert admin_client.post(ADD_URL, disjoint).status_code == 302
    assert sorted(e.key for e in running_experiments()) == ["contact-pli", "left"]


@pytest.mark.django_db
def test_a_started_experiment_keeps_its_key_and_arms_unless_re_randomised(
    admin_client: Client,
) -> None:
    experiment = create_experiment(
        key="contact-pli", name="Contact", arms=[CONTROL, PERSONALIZED], status="running"
    )
    url = edit_url(experiment)
    # Unchanged arms (as the edit screen posts them back) save fine.
    assert admin_client.post(url, form_data(status="running", name="Renamed")).status_code == 302
    errors = field_errors(admin_client.post(url, form_data(status="running", key="other")))
    assert any("key: cannot change" in m for m in errors["key"])
    skewed = [{**CONTROL, "weight": "0.2"}, {**PERSONALIZED, "weight": "0.8"}]
    errors = field_errors(admin_client.post(url, form_data(skewed, status="running")))
    assert any("raise the bucket version" in m for m in errors["arms"])
    rerandomised = form_data(skewed, status="running", bucket_version="2")
    assert admin_client.post(url, rerandomised).status_code == 302
    experiment.refresh_from_db()
    assert (experiment.bucket_version, experiment.seed) == (2, "contact-pli:v2")
    assert [a["weight"] for a in experiment.arms] == [0.2, 0.8]
