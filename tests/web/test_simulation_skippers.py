"""simulate_traffic --skippers: planted form-skippers, the inferred layer trained on the
stated visitors' answers, and the experiment 'pli-inferred' (inferred profiles only)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from persx.analytics.models import ExperimentVisitor
from persx.demo import simulation, traffic_plan
from persx.demo.planted_browsing import planted_paths
from persx.demo.simulation_records import INFERRED_EXPERIMENT, SIMULATION_EXPERIMENT
from persx.engine.learning.inference import Signals
from persx.events import exposure_writer
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.inference.models import InferenceExample
from persx.inference.repository import invalidate_model
from persx.inference.services import store_model
from persx.inference.training import LabelledVisitor, train

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated() -> Iterator[None]:
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    invalidate_model()
    with override_settings(PERSX={**settings.PERSX, "DECISION_BUDGET_MS": 60_000.0}):
        yield
    invalidate_experiments()
    invalidate_model()


def test_planted_paths_point_at_the_true_industry_more_often_than_not() -> None:
    posts = {"saas": ["/blog/s/"], "travel": ["/blog/t/"], "healthcare": ["/blog/h/"]}
    rng = random.Random(1)
    runs = [planted_paths(rng, "saas", posts) for _ in range(2_000)]
    assert all(p[-1].startswith("/contact/") for p in runs)
    ctas = [p[-1] for p in runs if "cta=" in p[-1]]
    assert 0.5 < len(ctas) / len(runs) < 0.7  # the CTA channel fires 60% of the time
    assert sum(c.endswith("cta=saas") for c in ctas) / len(ctas) > 0.8
    landings = [p[0] for p in runs if p[0].startswith("/blog/")]
    assert sum(p.startswith("/blog/s/") for p in landings) / len(landings) > 0.7


def _signals(paths: list[str], tags_of: dict[str, list[str]]) -> Signals:
    """The signals a visitor who requested ``paths`` carries (as the site notes them)."""
    pages = [urlsplit(p).path for p in paths]
    query = dict(parse_qsl(urlsplit(paths[0]).query))
    cta = dict(parse_qsl(urlsplit(paths[-1]).query)).get("cta", "")
    return Signals(
        landing_path=pages[0],
        pages_viewed=tuple(pages),
        tags_read=tuple(f"industry:{i}" for page in pages for i in tags_of.get(page, ())),
        cta_industries=(cta,) if cta else (),
        utm=tuple(query.items()),
    )


def _store_planted_model(industries: list[str], count: int = 2_000) -> None:
    """A model trained on planted browsers of the demo's posts (the training command is
    tested in tests/web/test_inference.py; here the simulation is under test)."""
    posts = simulation.industry_posts()
    tags_of: dict[str, list[str]] = {}
    for industry, urls in posts.items():
        for url in urls:
            tags_of.setdefault(url, []).append(industry)
    rng = random.Random(11)
    visitors = []
    for _ in range(count):
        truth = rng.choice(industries)
        visitors.append(LabelledVisitor(_signals(planted_paths(rng, truth, posts), tags_of), truth))
    store_model(train(visitors, "planted-sim", seed=0), 0.9, count)


def test_without_a_model_skippers_stay_generic_and_the_stated_ones_leave_labels() -> None:
    heard: list[int] = []

    def fake_train() -> str:
        heard.append(InferenceExample.objects.count())
        return "trained (fake)"

    plan = traffic_plan.Plan(
        visitors=8,
        industries={"saas": 1.0, "travel": 1.0},
        lifts=traffic_plan.parse_lifts("0.5"),
        seed=3,
        skippers=0.5,
    )
    result = simulation.run(plan, train=fake_train)
    assert heard == [4]  # training ran between the phases, on the 4 stated answers
    assert result.training == "trained (fake)"
    assert result.skippers == 4
    assert (result.inferred, result.coverage, result.precision) == (0, 0.0, None)
    assert not ExperimentVisitor.objects.filter(experiment=INFERRED_EXPERIMENT).exists()
    assert Experiment.objects.get(key=INFERRED_EXPERIMENT).status == "stopped"


def test_skippers_are_inferred_measured_and_reported() -> None:
    industries = ["saas", "travel", "healthcare"]
    _store_planted_model(industries)
    plan = traffic_plan.Plan(
        visitors=48,
        industries=dict.fromkeys(industries, 1.0),
        lifts=traffic_plan.parse_lifts("0.5"),
        baselines=traffic_plan.parse_baselines("0.3,cta_click=0.3"),
        seed=7,
        skippers=1.0,
    )
    result = simulation.run(plan)
    assert result.skippers == 48
    assert result.inferred > 12  # the model speaks for a good share of them
    assert result.coverage == result.inferred / 48
    assert result.precision is not None
    assert result.precision >= 0.75  # ~0.9 by design; 48 visitors leave room for noise
    inferred_ids = {o.visitor_id for o in result.outcomes if o.inferred}
    in_inferred = set(
        ExperimentVisitor.objects.filter(experiment=INFERRED_EXPERIMENT).values_list(
            "visitor_id", flat=True
        )
    )
    assert in_inferred == inferred_ids  # exactly the profiled skippers
    assert not ExperimentVisitor.objects.filter(
        experiment=SIMULATION_EXPERIMENT, visitor_id__in=inferred_ids
    ).exists()
    assert Experiment.objects.get(key=INFERRED_EXPERIMENT).target_sources == ["inferred"]
    out = StringIO()
    call_command("persx_report", INFERRED_EXPERIMENT, stdout=out)
    assert "Inferred personalization vs generic" in out.getvalue()
    assert f"Visitors: {len(inferred_ids)}" in out.getvalue()
