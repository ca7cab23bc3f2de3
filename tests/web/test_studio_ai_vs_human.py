"""AI vs human, end to end: an AI draft approved as the challenger of a human variant sits
beside it (never served on its own), one click starts an experiment whose arms are the
human and the AI variant, real page requests serve each arm its copy, and the report built
from the exposures and conversions compares the two."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from django.test import Client

from persx.analytics.reports import report_for
from persx.analytics.services import update_rollups
from persx.content.models import StandardPage
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.mappers import to_definition
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.studio.models import AiHumanExperiment, Draft, VariantReview
from persx.studio.services import request_draft
from tests.web.analytics_events import EventLog
from tests.web.conftest import SITE_DATA, client_with_profile, variants
from tests.web.test_studio_actions import EchoApi, provider_for

pytestmark = pytest.mark.django_db

AUDIENCE = "industry:saas"
CHALLENGER = "industry:saas~ai"


@pytest.fixture(autouse=True)
def fresh_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def hero() -> str:
    return next(b["id"] for b in contact().body.raw_data if b["type"] == "hero")


HUMAN_HEADLINE = next(
    v["content"]["headline"]
    for b in SITE_DATA["contact"]["body"]
    if b["type"] == "hero"
    for v in b["variants"]
    if v["audience"] == AUDIENCE
)


def hero_of(visitor: str) -> tuple[str, str]:
    html = client_with_profile("saas", visitor_id=visitor).get("/contact/").content.decode()
    section = re.search(r'<section[^>]*data-testid="hero".*?</section>', html, re.S)
    assert section is not None
    return dict(variants(html))["hero"], unescape(section.group(0))


def cell_attrs(client: Client) -> str:
    html = client.get("/cms/studio/coverage/?industry=saas").content.decode()
    row = html.split(f'data-block="{hero()}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(rf'<td[^>]*data-audience="{AUDIENCE}"[^>]*>', row)
    assert found is not None
    return found.group(0)


def test_one_click_starts_ai_vs_human_and_the_report_compares_them(admin_client: Client) -> None:
    draft = request_draft(contact(), hero(), AUDIENCE, provider_for(EchoApi()))
    assert isinstance(draft, Draft)
    ai_headline = draft.content["headline"]
    assert ai_headline != HUMAN_HEADLINE
    assert "data-duel-eligible" not in cell_attrs(admin_client)  # no challenger yet

    review = admin_client.get(f"/cms/studio/drafts/{draft.pk}/").content.decode()
    assert 'data-testid="placement"' in review  # the audience already has a variant
    approved = admin_client.post(
        f"/cms/studio/drafts/{draft.pk}/",
        {"action": "approve", "placement": "challenger", "override_note": "Checked: as generic."},
    )
    assert approved.status_code == 302, approved.content.decode()[-2000:]
    audiences = [
        v["value"]["audience"]
        for b in contact().body.raw_data
        if b["id"] == hero()
        for v in b["value"]["variants"]
    ]
    assert AUDIENCE in audiences
    assert CHALLENGER in audiences
    assert VariantReview.objects.get(audience=CHALLENGER).origin == "ai"
    # Without an experiment the challenger is never served: saas visitors get the human copy.
    served, html = hero_of("f" * 32)
    assert served == AUDIENCE
    assert HUMAN_HEADLINE in html
    assert 'data-duel-eligible="1"' in cell_attrs(admin_client)

    started = admin_client.post(
        "/cms/studio/ai-vs-human/",
        {"page": contact().pk, "block": hero(), "audience": AUDIENCE},
    )
    duel = AiHumanExperiment.objects.get()
    experiment = Experiment.objects.get(key=duel.experiment_key)
    assert started.status_code == 302
    assert started["Location"] == f"/cms/measurement/experiments/{experiment.key}/"
    assert experiment.status == Experiment.Status.RUNNING
    assert (experiment.scope_kind, experiment.scope_value) == ("page", str(contact().pk))
    assert experiment.target_industries == ["saas"]
    assert [(a["key"], a["kind"], a.get("variant_key")) for a in experiment.arms] == [
        ("human", "personalized", None),
        ("ai", "variant", CHALLENGER),
    ]
    attrs = cell_attrs(admin_client)
    assert "data-duel-eligible" not in attrs
    assert f'data-duel-url="/cms/measurement/experiments/{experiment.key}/"' in attrs
    again = admin_client.post(
        "/cms/studio/ai-vs-human/",
        {"page": contact().pk, "block": hero(), "audience": AUDIENCE},
    )
    assert again.status_code == 400
    assert "already running" in again.content.decode()

    # Real page views: each visitor gets its arm's copy, as the engine assigns it.
    invalidate_experiments()
    definition = to_definition(experiment)
    visitors = [f"{i:032x}" for i in range(1, 41)]
    by_arm: dict[str, list[str]] = {"human": [], "ai": []}
    for visitor in visitors:
        served, html = hero_of(visitor)
        arm = definition.arm_for(visitor)
        assert arm is not None
        by_arm[arm.key].append(visitor)
        if arm.key == "ai":
            assert served == CHALLENGER
            assert ai_headline in html
        else:
            assert served == AUDIENCE
            assert HUMAN_HEADLINE in html
    assert by_arm["human"]
    assert by_arm["ai"]
    assert exposure_writer.flush() > 0
    exposures = Event.objects.filter(type="exposure", experiment=experiment.key, block="hero")
    assert set(exposures.values_list("arm", flat=True)) == {"human", "ai"}

    # Conversions: every AI-arm visitor, one human-arm visitor in four.
    log = EventLog()
    converted = by_arm["ai"] + by_arm["human"][::4]
    for visitor in converted:
        first = exposures.filter(visitor_id=visitor).order_by("occurred_at").first()
        assert first is not None
        log.event("form_submission", visitor, first.occurred_at)
    log.save()
    update_rollups()
    report = report_for(experiment.key)
    assert report is not None
    assert report.design.control == "human"
    primary = report.primary("ai")
    assert primary is not None
    assert (primary.control.visitors, primary.treatment.visitors) == (
        len(by_arm["human"]),
        len(by_arm["ai"]),
    )
    assert primary.treatment.conversions == len(by_arm["ai"])
    assert primary.control.conversions == len(by_arm["human"][::4])
    page = admin_client.get(f"/cms/measurement/experiments/{experiment.key}/")
    assert page.status_code == 200
    assert "with ai (variant) vs" in page.content.decode()
    assert "with human (personalized)" in page.content.decode()


def test_a_cell_without_a_challenger_cannot_start_one(admin_client: Client) -> None:
    response = admin_client.post(
        "/cms/studio/ai-vs-human/",
        {"page": contact().pk, "block": hero(), "audience": AUDIENCE},
    )
    assert response.status_code == 400
    assert response.content.decode().startswith("audience: no approved AI variant")
    assert not Experiment.objects.filter(key__startswith="ai-vs-human").exists()


def test_approving_as_challenger_needs_a_live_variant(admin_client: Client) -> None:
    persona = "persona:saas-demand-gen"  # no hero variant of its own on the contact page
    draft = request_draft(contact(), hero(), persona, provider_for(EchoApi()))
    assert isinstance(draft, Draft)
    review = admin_client.get(f"/cms/studio/drafts/{draft.pk}/").content.decode()
    assert 'data-testid="placement"' not in review
    response = admin_client.post(
        f"/cms/studio/drafts/{draft.pk}/",
        {"action": "approve", "placement": "challenger", "override_note": "Checked."},
    )
    assert response.status_code == 400
    assert "as_challenger: the block has no live variant" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Draft.Status.PENDING
