"""A draft through the studio with the real Anthropic client on a fake HTTP transport: the
model's per-sentence citations hold each sentence to its proof point, the second pass (the
verifier prompt, through the same client) flags a sentence it finds unsupported, both
calls' tokens are counted, and approval needs a note for those flags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from persx.content.models import StandardPage
from persx.studio.models import Draft
from persx.studio.services import ReviewRefused, approve_draft, request_draft, save_fact_sheet
from tests.web.test_generation_provider import MODEL, FakeApi, provider, reply

pytestmark = pytest.mark.django_db

PERSONA = "persona:saas-demand-gen"
CLAIM = "Demo requests rose 34% in one quarter."
CONTENT = {
    "eyebrow": "For demand generation teams",
    "headline": "Turn target-account visits into pipeline",
    "subheadline": CLAIM,
    "cta_label": "Talk to a strategist",
    "cta_url": "/contact/",
}


def tool_reply(tool: str, tool_input: dict[str, Any], tokens: tuple[int, int]) -> dict[str, Any]:
    """A Messages API reply that calls ``tool`` (the recorded shape)."""
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "tool_use", "id": "toolu_01", "name": tool, "input": tool_input}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    }


def contact_hero() -> tuple[StandardPage, str]:
    page = StandardPage.objects.get(slug="contact")
    return page, next(b["id"] for b in page.body.raw_data if b["type"] == "hero")


def test_citations_and_the_verifiers_doubt_become_flags_on_the_draft(
    django_user_model: Any,
) -> None:
    save_fact_sheet(
        PERSONA,
        proof_points="Relaydesk raised demo requests 34% in one quarter.\n"
        "Northbeam cut trial churn 34% with onboarding checklists.",
        customers="Relaydesk\nNorthbeam",
    )
    citations = [
        {"field": "eyebrow", "sentence": CONTENT["eyebrow"], "proof_point": 0},
        {"field": "subheadline", "sentence": CLAIM, "proof_point": 2},  # the wrong one
    ]
    verdicts = [
        {"sentence": 0, "supported": True},
        {"sentence": 1, "supported": True},
        {"sentence": 2, "supported": False, "reason": "the 34% is Relaydesk's result"},
        {"sentence": 3, "supported": True},
    ]
    api = FakeApi(
        reply(tool_reply("submit_draft", {**CONTENT, "citations": citations}, (900, 200))),
        reply(tool_reply("submit_verdicts", {"verdicts": verdicts}, (700, 60))),
    )
    page, hero = contact_hero()
    made = request_draft(page, hero, PERSONA, provider(api))
    assert isinstance(made, Draft)
    assert made.content == CONTENT  # the citations are not content
    assert [(f["field"], f["kind"], f["claim"]) for f in made.flags] == [
        ("subheadline", "figure", "34%"),
        ("subheadline", "unverified", CLAIM),
    ]
    assert made.flags[0]["message"] == (
        "“34%” is not backed by proof point 2, which the sentence cites"
    )
    assert (made.input_tokens, made.output_tokens) == (1600, 260)

    drafted, verified = api.requests
    assert "citations" in drafted["tools"][0]["input_schema"]["properties"]
    assert (
        "1. Relaydesk raised demo requests 34% in one quarter."
        in (drafted["messages"][0]["content"])
    )
    assert verified["tool_choice"] == {"type": "tool", "name": "submit_verdicts"}
    assert f"2. [subheadline] {CLAIM}" in verified["messages"][0]["content"]
    assert "You check website copy against a fact sheet" in json.dumps(verified["system"])

    editor = django_user_model.objects.create_superuser("reviewer", "r@example.com", "pw")
    # approval re-checks without the model's citations: proof point 1 backs the figure
    # now, while the verifier's doubt about the sentence stands until the sentence changes
    with pytest.raises(ReviewRefused, match=r"^override_note: 1 claim flag\(s\) .*unverified"):
        approve_draft(made, editor)
    approve_draft(made, editor, override_note="Relaydesk's figure; sentence names them now.")


def test_a_verifier_that_fails_leaves_a_flag_not_silence(django_user_model: Any) -> None:
    rate_limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}
    api = FakeApi(
        reply(tool_reply("submit_draft", dict(CONTENT, subheadline="See it live."), (10, 5))),
        reply(rate_limited, 429),
    )
    page, hero = contact_hero()
    made = request_draft(page, hero, PERSONA, provider(api))
    assert isinstance(made, Draft)
    assert [(f["kind"], f["field"]) for f in made.flags] == [("unverified", "draft")]
    assert "did not run (rate_limited)" in made.flags[0]["message"]
    editor: User = django_user_model.objects.create_superuser("reviewer", "r@example.com", "pw")
    with pytest.raises(ReviewRefused, match=r"^override_note: 1 claim flag"):
        approve_draft(made, editor)
