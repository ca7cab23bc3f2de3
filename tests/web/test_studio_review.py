"""The draft review pages through HTTP: list, approve (with the override note rule), edit,
reject; and the plain notice when drafting is not configured."""

from __future__ import annotations

import pytest
from django.test import Client

from persx.content.models import StandardPage
from persx.studio.models import Draft, Origin, VariantReview
from tests.web.conftest import client_with_profile, variants

pytestmark = pytest.mark.django_db

CONTENT = {
    "eyebrow": "For demand generation teams",
    "headline": "Turn target-account visits into pipeline",
    "subheadline": "Acme Robotics tripled pipeline in 30 days.",
    "cta_label": "Talk to a strategist",
    "cta_url": "/contact/",
}


@pytest.fixture
def flagged_draft() -> Draft:
    page = StandardPage.objects.get(slug="contact")
    hero = next(b["id"] for b in page.body.raw_data if b["type"] == "hero")
    return Draft.objects.create(
        page=page,
        block_id=hero,
        block_type="hero",
        audience="persona:saas-demand-gen",
        content=CONTENT,
        model_name="claude-test",
        prompt_version="draft-v1",
        fact_sheet_version="0",
        flags=[{"field": "subheadline", "kind": "name", "claim": "Acme Robotics", "message": "m"}],
    )


def test_without_a_key_the_studio_says_how_to_enable_drafting(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    for url in ("/cms/studio/coverage/", "/cms/studio/drafts/"):
        html = admin_client.get(url).content.decode()
        assert "AI drafting is off" in html
        assert "ANTHROPIC_API_KEY" in html
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert "AI drafting is on" in admin_client.get("/cms/studio/drafts/").content.decode()


def test_list_and_review_page(admin_client: Client, flagged_draft: Draft) -> None:
    html = admin_client.get("/cms/studio/drafts/").content.decode()
    pending = Draft.objects.filter(status=Draft.Status.PENDING).count()
    assert pending >= 2  # the demo's pre-made drafts and this one
    assert html.count('data-testid="draft-row"') == pending
    review = admin_client.get(f"/cms/studio/drafts/{flagged_draft.pk}/").content.decode()
    assert "Acme Robotics" in review
    # flagged when drafted: the name; checked against the sheet as it is now: the figures too
    assert "required: 3 claim flags open" in review
    assert "fact sheet as it is now (version 0; drafted against version 0)" in review


def test_approve_without_note_is_refused_then_with_note_goes_live(
    admin_client: Client, flagged_draft: Draft
) -> None:
    url = f"/cms/studio/drafts/{flagged_draft.pk}/"
    refused = admin_client.post(url, {"action": "approve", **CONTENT})
    assert refused.status_code == 400
    assert "override_note:" in refused.content.decode()
    assert not VariantReview.objects.exists()
    done = admin_client.post(
        url, {"action": "approve", "override_note": "Consent on file", **CONTENT}
    )
    assert done.status_code == 302
    review = VariantReview.objects.get()
    assert (review.origin, review.model_name) == (Origin.AI, "claude-test")
    html = client_with_profile("saas", "saas-demand-gen").get("/contact/").content.decode()
    assert dict(variants(html))["hero"] == "persona:saas-demand-gen"


def test_edit_then_approve_through_the_form(admin_client: Client, flagged_draft: Draft) -> None:
    edited = {**CONTENT, "subheadline": "Show each target account its own use case."}
    response = admin_client.post(
        f"/cms/studio/drafts/{flagged_draft.pk}/", {"action": "approve", **edited}
    )
    assert response.status_code == 302  # the edit removed the flagged claim: no note needed
    assert VariantReview.objects.get().origin == Origin.AI_EDITED


def test_reject_through_the_form(admin_client: Client, flagged_draft: Draft) -> None:
    url = f"/cms/studio/drafts/{flagged_draft.pk}/"
    assert admin_client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    assert admin_client.post(url, {"action": "reject", "reason": "Off tone"}).status_code == 302
    flagged_draft.refresh_from_db()
    assert flagged_draft.status == Draft.Status.REJECTED
    assert admin_client.post(url, {"action": "frobnicate"}).status_code == 400
