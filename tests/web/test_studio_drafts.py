"""AI drafts through the studio's services: stored as drafts and never served (proved
through real page requests), reviewed into live variants with provenance, flags that need
an override note, rejection with a reason, versioned fact sheets.

The provider here implements the engine's drafting port in-process (the Anthropic adapter
is tested against a fake HTTP transport in test_generation_provider.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from persx.content.models import StandardPage
from persx.engine.drafting.port import (
    PROMPT_VERSION,
    DraftOutcome,
    DraftRequest,
    OutcomeStatus,
    ProviderError,
    ProviderFailure,
    ProviderReply,
)
from persx.studio.models import Draft, Origin, VariantReview
from persx.studio.services import (
    ReviewRefused,
    approve_draft,
    reject_draft,
    request_draft,
    save_fact_sheet,
)
from tests.web.conftest import client_with_profile, variants

pytestmark = pytest.mark.django_db

PERSONA = "persona:saas-demand-gen"
DRAFT_HEADLINE = "Turn target-account visits into pipeline your sales team can see"
CLEAN = {
    "eyebrow": "For demand generation teams",
    "headline": DRAFT_HEADLINE,
    "subheadline": "Show each target account its own use case on the contact page.",
    "cta_label": "Talk to a strategist",
    "cta_url": "/contact/",
}
CLAIMY = {**CLEAN, "subheadline": "Acme Robotics tripled pipeline in 30 days."}


class ScriptedProvider:
    """The drafting port, answering from a script (and recording what it was asked)."""

    model = "claude-test"

    def __init__(self, *replies: Mapping[str, Any] | ProviderError) -> None:
        self.replies = list(replies)
        self.requests: list[DraftRequest] = []

    def draft(self, request: DraftRequest, errors: Mapping[str, str] | None = None) -> Any:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, ProviderError):
            raise reply
        return ProviderReply(dict(reply), self.model, 100, 50)


@pytest.fixture
def editor(django_user_model: Any) -> User:
    return django_user_model.objects.create_superuser("reviewer", "r@example.com", "pw")


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def hero_id() -> str:
    return next(b["id"] for b in contact().body.raw_data if b["type"] == "hero")


def draft(content: Mapping[str, Any] = CLEAN) -> Draft:
    made = request_draft(contact(), hero_id(), PERSONA, ScriptedProvider(content))
    assert isinstance(made, Draft)
    return made


def persona_page() -> str:
    client = client_with_profile("saas", "saas-demand-gen")
    response = client.get("/contact/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_draft_is_never_served_until_approved(editor: User) -> None:
    pending = draft()
    assert pending.status == Draft.Status.PENDING
    html = persona_page()
    assert DRAFT_HEADLINE not in html
    assert dict(variants(html))["hero"] == "industry:saas"  # the persona's fallback, as before
    assert DRAFT_HEADLINE not in Client().get("/contact/").content.decode()

    approve_draft(pending, editor)
    html = persona_page()
    assert DRAFT_HEADLINE in html
    assert dict(variants(html))["hero"] == PERSONA


def test_approval_records_provenance(editor: User) -> None:
    pending = draft()
    review = approve_draft(pending, editor)
    assert (review.origin, review.model_name, review.prompt_version) == (
        Origin.AI,
        "claude-test",
        PROMPT_VERSION,
    )
    assert review.fact_sheet_version == "0"  # the catalog-derived sheet
    assert review.reviewer == editor
    assert review.reviewed_at is not None
    pending.refresh_from_db()
    assert pending.status == Draft.Status.APPROVED


def test_edit_then_approve_is_ai_edited_and_the_edit_is_what_goes_live(editor: User) -> None:
    pending = draft()
    edited = {**CLEAN, "headline": "Pipeline from every target-account visit"}
    review = approve_draft(pending, editor, edited=edited)
    assert review.origin == Origin.AI_EDITED
    assert "Pipeline from every target-account visit" in persona_page()


def test_an_invalid_edit_is_refused_naming_the_field_and_writes_nothing(editor: User) -> None:
    pending = draft()
    revisions = contact().revisions.count()
    with pytest.raises(ReviewRefused, match=r"^headline:"):
        approve_draft(pending, editor, edited={**CLEAN, "headline": "x" * 200})
    assert contact().revisions.count() == revisions
    assert not VariantReview.objects.exists()
    pending.refresh_from_db()
    assert pending.status == Draft.Status.PENDING


def test_open_claim_flags_need_an_override_note(editor: User) -> None:
    pending = draft(CLAIMY)
    kinds = {(f["kind"], f["claim"]) for f in pending.flags}
    assert {("name", "Acme Robotics"), ("figure", "30")} <= kinds
    with pytest.raises(ReviewRefused, match=r"^override_note:"):
        approve_draft(pending, editor)
    assert "Acme Robotics" not in persona_page()
    approve_draft(pending, editor, override_note="Acme gave written consent (ticket 881).")
    pending.refresh_from_db()
    assert pending.review_note.startswith("Acme gave written consent")
    assert "Acme Robotics" in persona_page()


def test_reject_needs_a_reason_and_is_never_served(editor: User) -> None:
    pending = draft()
    with pytest.raises(ReviewRefused, match=r"^reason:"):
        reject_draft(pending, editor, "  ")
    reject_draft(pending, editor, "Too close to the industry copy")
    pending.refresh_from_db()
    assert (pending.status, pending.review_note) == (
        Draft.Status.REJECTED,
        "Too close to the industry copy",
    )
    assert DRAFT_HEADLINE not in persona_page()
    with pytest.raises(ReviewRefused, match=r"^status:"):
        approve_draft(pending, editor)


@pytest.mark.parametrize(
    ("replies", "status"),
    [
        ((ProviderError(ProviderFailure.RATE_LIMITED, "429"),), OutcomeStatus.FAILED),
        (({**CLEAN, "headline": ""}, {**CLEAN, "headline": ""}), OutcomeStatus.INVALID),
    ],
    ids=["rate-limited", "invalid-twice"],
)
def test_a_failed_draft_stores_nothing(replies: tuple[Any, ...], status: OutcomeStatus) -> None:
    before = Draft.objects.count()
    outcome = request_draft(contact(), hero_id(), PERSONA, ScriptedProvider(*replies))
    assert isinstance(outcome, DraftOutcome)
    assert outcome.status is status
    assert Draft.objects.count() == before


def test_fact_sheets_are_versioned_and_drafts_record_the_version(editor: User) -> None:
    sheet = save_fact_sheet(PERSONA, proof_points="Relaydesk raised Tier 1 demo requests 34%.")
    assert sheet.version == 1
    sheet = save_fact_sheet(PERSONA, proof_points="Relaydesk raised Tier 1 demo requests 34%.")
    assert sheet.version == 1  # no change, no new version
    sheet = save_fact_sheet(
        PERSONA,
        proof_points="Relaydesk raised Tier 1 demo requests 34%.",
        customers="Relaydesk",
    )
    assert sheet.version == 2
    claim = "Relaydesk raised Tier 1 demo requests 34%."
    provider = ScriptedProvider({**CLEAN, "subheadline": claim})
    made = request_draft(contact(), hero_id(), PERSONA, provider)
    assert isinstance(made, Draft)
    assert made.fact_sheet_version == "2"
    assert made.flags == []  # the sheet's own claim is not flagged
    assert claim in provider.requests[0].facts.proof_points


def test_approval_rechecks_against_the_fact_sheet_as_it_is_now(editor: User) -> None:
    claim = "Relaydesk raised Tier 1 demo requests 34% in one quarter."
    save_fact_sheet(PERSONA, proof_points=claim, customers="Relaydesk")
    pending = draft({**CLEAN, "subheadline": claim})
    assert (pending.flags, pending.fact_sheet_version) == ([], "1")
    # after drafting, the figure is withdrawn from the sheet
    save_fact_sheet(
        PERSONA, proof_points="Relaydesk raised Tier 1 demo requests.", customers="Relaydesk"
    )
    with pytest.raises(
        ReviewRefused,
        match=r"^override_note: 1 claim flag\(s\) are open against fact sheet version 2 "
        r"\(figure “34%”\)",
    ):
        approve_draft(pending, editor)
    assert claim not in persona_page()
    review = approve_draft(pending, editor, override_note="Figure re-confirmed by Relaydesk.")
    assert review.fact_sheet_version == "2"
    pending.refresh_from_db()
    assert [(f["kind"], f["claim"]) for f in pending.flags] == [("figure", "34%")]


def test_a_flag_the_current_sheet_now_supports_needs_no_note(editor: User) -> None:
    claim = "Relaydesk raised Tier 1 demo requests 34% in one quarter."
    pending = draft({**CLEAN, "subheadline": claim})
    assert {(f["kind"], f["claim"]) for f in pending.flags} == {
        ("name", "Relaydesk"),
        ("name", "Tier"),
        ("figure", "1"),
        ("figure", "34%"),
    }
    save_fact_sheet(PERSONA, proof_points=claim, customers="Relaydesk")
    approve_draft(pending, editor)
    pending.refresh_from_db()
    assert (pending.status, pending.flags) == (Draft.Status.APPROVED, [])
