"""The Anthropic drafting adapter against a fake HTTP transport (no network): the real SDK
client sends real requests to ``httpx2.MockTransport``, which answers with recorded
response shapes of the Messages API: success, invalid output then a corrected retry,
still invalid, 429 with retry-after, and a timeout."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import pytest

from persx.content.schemas import SCHEMAS
from persx.engine.drafting.port import (
    Citation,
    DraftRequest,
    FactSheet,
    OutcomeStatus,
    ProviderError,
    ProviderFailure,
    Verdict,
    draft_with_retry,
)
from persx.generation.anthropic_provider import AnthropicDraftProvider, provider_from_environment
from persx.generation.validation import draft_errors

MODEL = "claude-sonnet-5-5"
VALID = {
    "eyebrow": "For health systems",
    "headline": "Westbrook Ridge Health raised online bookings 27% year over year",
    "subheadline": "Personalize find-a-doctor pages without PHI ever touching PersX.",
    "cta_label": "Book a walkthrough",
    "cta_url": "/contact/",
}
TOO_LONG = {**VALID, "headline": "x" * 200}
MISSING_HEADLINE = {k: v for k, v in VALID.items() if k != "headline"}


def message(content: dict[str, Any]) -> dict[str, Any]:
    """A recorded Messages API reply that calls the forced tool."""
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq9",
                "name": "submit_draft",
                "input": content,
            }
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 812, "output_tokens": 143},
    }


RATE_LIMITED = {
    "type": "error",
    "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded"},
}

Handler = Callable[[httpx2.Request], httpx2.Response]


class FakeApi:
    def __init__(self, *responses: Handler) -> None:
        self.responses = list(responses)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages"
        sent_key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        assert sent_key.removeprefix("Bearer ") == "test-key"
        self.requests.append(json.loads(request.content))
        return self.responses.pop(0)(request)


def reply(body: dict[str, Any], status: int = 200, **headers: str) -> Handler:
    return lambda request: httpx2.Response(status, json=body, headers=headers)


def timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("timed out", request=request)


def provider(api: FakeApi) -> AnthropicDraftProvider:
    client = anthropic.Anthropic(
        api_key="test-key",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
    )
    return AnthropicDraftProvider(client, model=MODEL)


REQUEST = DraftRequest(
    block_type="hero",
    audience="industry:healthcare",
    audience_label="Healthcare",
    schema=SCHEMAS["hero"].model_json_schema(),
    facts=FactSheet(
        "industry:healthcare",
        4,
        proof_points=("Westbrook Ridge Health raised online bookings 27% year over year.",),
    ),
    base={"headline": "Show every visitor the right page", "cta_url": "/contact/"},
)


def validate(content: Any) -> dict[str, str]:
    return draft_errors("hero", content)


@pytest.fixture(autouse=True)
def no_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def test_success_is_validated_and_carries_model_and_usage() -> None:
    api = FakeApi(reply(message(VALID)))
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.status is OutcomeStatus.OK
    assert outcome.content == VALID
    assert (outcome.model, outcome.attempts) == (MODEL, 1)
    assert (outcome.input_tokens, outcome.output_tokens) == (812, 143)
    (sent,) = api.requests
    assert sent["model"] == MODEL
    assert sent["tool_choice"] == {"type": "tool", "name": "submit_draft"}
    assert sent["tools"][0]["input_schema"]["properties"]["headline"]["maxLength"] == 120
    prompt = sent["messages"][0]["content"]
    assert "Westbrook Ridge Health raised online bookings 27%" in prompt
    assert "Fact sheet version 4" in prompt


def test_invalid_output_is_retried_once_with_the_validation_errors() -> None:
    api = FakeApi(reply(message(TOO_LONG)), reply(message(VALID)))
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.status is OutcomeStatus.OK
    assert outcome.content == VALID
    assert outcome.attempts == 2
    assert (outcome.input_tokens, outcome.output_tokens) == (1624, 286)
    first, second = (r["messages"][0]["content"] for r in api.requests)
    assert "previous draft" not in first
    assert "Fix exactly these errors" in second
    assert "- headline: headline: String should have at most 120 characters" in second


def test_still_invalid_after_the_retry_is_reported_not_returned() -> None:
    api = FakeApi(reply(message(TOO_LONG)), reply(message(MISSING_HEADLINE)))
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.status is OutcomeStatus.INVALID
    assert outcome.content is None
    assert "headline" in outcome.errors
    assert len(api.requests) == 2


def test_429_is_reported_as_rate_limited_with_retry_after_and_not_retried() -> None:
    api = FakeApi(reply(RATE_LIMITED, 429, **{"retry-after": "17"}))
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.failure is ProviderFailure.RATE_LIMITED
    assert len(api.requests) == 1
    with pytest.raises(ProviderError, match="rate limit") as raised:
        provider(FakeApi(reply(RATE_LIMITED, 429, **{"retry-after": "17"}))).draft(REQUEST)
    assert raised.value.retry_after == 17.0


def test_timeout_is_reported_as_timeout() -> None:
    api = FakeApi(timeout)
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.failure is ProviderFailure.TIMEOUT
    assert outcome.content is None


def test_no_key_no_provider(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    assert provider_from_environment() is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    settings.PERSX = {**settings.PERSX, "DRAFT_MODEL": "claude-haiku-5-5"}
    configured = provider_from_environment()
    assert configured is not None
    assert configured.model == "claude-haiku-5-5"


def test_a_missing_required_field_is_an_error_not_a_blank() -> None:
    assert set(draft_errors("hero", MISSING_HEADLINE)) == {"headline"}
    assert draft_errors("hero", VALID) == {}


def test_citations_come_back_beside_the_content_and_malformed_ones_are_dropped() -> None:
    citations = [
        {"field": "headline", "sentence": VALID["headline"], "proof_point": 1},
        {"field": "headline", "sentence": "no number"},
        "not an object",
    ]
    api = FakeApi(reply(message({**VALID, "citations": citations})))
    outcome = draft_with_retry(provider(api), REQUEST, validate)
    assert outcome.content == VALID
    assert outcome.citations == (Citation("headline", VALID["headline"], 1),)
    schema = api.requests[0]["tools"][0]["input_schema"]
    assert schema["properties"]["citations"]["items"]["required"] == [
        "field",
        "sentence",
        "proof_point",
    ]
    assert "cite the number of the proof point" in api.requests[0]["system"]


def test_the_verifier_is_asked_through_the_same_client() -> None:
    verdicts = {
        "verdicts": [
            {"sentence": 0, "supported": True},
            {"sentence": 1, "supported": False, "reason": "not in the sheet"},
            {"sentence": "two", "supported": True},
        ]
    }
    answer = message(verdicts)
    answer["content"][0]["name"] = "submit_verdicts"
    api = FakeApi(reply(answer))
    sentences = [("headline", "Bookings up 27%."), ("subheadline", "Kaiser loves it.")]
    result = provider(api).verify(REQUEST.facts, sentences)
    assert result.verdicts == (Verdict(0, True, ""), Verdict(1, False, "not in the sheet"))
    assert (result.input_tokens, result.output_tokens) == (812, 143)
    (sent,) = api.requests
    assert sent["tool_choice"] == {"type": "tool", "name": "submit_verdicts"}
    assert "1. [subheadline] Kaiser loves it." in sent["messages"][0]["content"]
    with pytest.raises(ProviderError) as raised:
        provider(FakeApi(timeout)).verify(REQUEST.facts, sentences)
    assert raised.value.kind is ProviderFailure.TIMEOUT
    unanswered = provider(FakeApi(reply(message(VALID)))).verify(REQUEST.facts, sentences)
    assert unanswered.verdicts == ()  # the wrong tool: no verdicts, so every sentence is flagged
