"""The studio's per-cell draft button, end to end through the admin: the real Anthropic
adapter (the official SDK) against a fake Messages API at the HTTP transport; without
``ANTHROPIC_API_KEY`` the button is disabled with the explanation and a forced request
is refused (409); bad cells are 400 naming the field; drafting failures are shown as
messages, never a 500. Also: the echoing fake API used by the other studio tests."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import pytest
from django.test import Client

from persx.content.models import StandardPage
from persx.generation.anthropic_provider import AnthropicDraftProvider
from persx.studio.models import Draft

pytestmark = pytest.mark.django_db

MODEL = "claude-test-studio"
BASE_MARKER = "Generic version of this block (rewrite it for the audience, same fields):"


def generic_of(prompt: str) -> dict[str, Any]:
    """The block's generic content as the prompt states it."""
    tail = prompt.split(BASE_MARKER, 1)[1].strip()
    return dict(ast.literal_eval(tail.split("\n\n", 1)[0]))


def tailored(content: dict[str, Any], prompt: str) -> dict[str, Any]:
    """A valid draft: the generic content with its first short text field rewritten."""
    audience = re.search(r"^Audience: (.+?) \(", prompt, re.MULTILINE)
    name = audience.group(1) if audience else "you"
    out = dict(content)
    for key in ("headline", "quote", "title"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = f"Made for {name}"[:60]
            break
    return out


def api_message(content: dict[str, Any], tokens: tuple[int, int] = (900, 150)) -> dict[str, Any]:
    return {
        "id": "msg_01studio",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "tool_use", "id": "toolu_01studio", "name": "submit_draft", "input": content}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    }


class EchoApi:
    """A fake Messages API: answers each request with a valid draft of the block it is
    asked about (or with what ``script`` says), and records every request body. The claim
    check's verification pass (the ``submit_verdicts`` tool) is answered apart: every
    sentence supported, no tokens counted (its cost is tested in
    test_studio_claim_verification.py), recorded in ``verifications``."""

    def __init__(self, script: list[Callable[[dict[str, Any]], httpx2.Response]] | None = None):
        self.script = list(script or [])
        self.requests: list[dict[str, Any]] = []
        self.verifications: list[dict[str, Any]] = []
        self.before_reply: Callable[[], None] | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages"
        body = json.loads(request.content)
        if body["tool_choice"]["name"] == "submit_verdicts":
            self.verifications.append(body)
            return httpx2.Response(200, json=all_supported(body))
        self.requests.append(body)
        if self.before_reply is not None:
            self.before_reply()
        if self.script:
            return self.script.pop(0)(body)
        prompt = body["messages"][0]["content"]
        return httpx2.Response(200, json=api_message(tailored(generic_of(prompt), prompt)))

    def prompts(self) -> list[str]:
        return [r["messages"][0]["content"] for r in self.requests]


def all_supported(body: dict[str, Any]) -> dict[str, Any]:
    """The verification pass's reply: a verdict of "supported" for every numbered sentence."""
    numbers = re.findall(r"^(\d+)\. \[", body["messages"][0]["content"], re.MULTILINE)
    verdicts = [{"sentence": int(n), "supported": True} for n in numbers]
    tool = {"type": "tool_use", "id": "toolu_verify", "name": "submit_verdicts"}
    return {
        **api_message({}, (0, 0)),
        "content": [{**tool, "input": {"verdicts": verdicts}}],
    }


def rate_limited(body: dict[str, Any]) -> httpx2.Response:
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    return httpx2.Response(429, json=error, headers={"retry-after": "30"})


def provider_for(api: EchoApi) -> AnthropicDraftProvider:
    client = anthropic.Anthropic(
        api_key="test-key",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
    )
    return AnthropicDraftProvider(client, model=MODEL)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> EchoApi:
    """Drafting is on, and the model behind it is the fake API."""
    api = EchoApi()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    for module in ("draft_views", "batch_views"):
        monkeypatch.setattr(
            f"persx.studio.{module}.provider_from_environment", lambda: provider_for(api)
        )
    return api


@pytest.fixture
def drafting_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def contact_hero() -> tuple[StandardPage, str]:
    page = StandardPage.objects.get(slug="contact")
    return page, next(b["id"] for b in page.body.raw_data if b["type"] == "hero")


def cell_post(audience: str = "persona:saas-demand-gen", **overrides: str) -> dict[str, str]:
    page, hero = contact_hero()
    return {
        "page": str(page.pk),
        "block": hero,
        "audience": audience,
        "next": "/cms/studio/coverage/",
        **overrides,
    }


def test_without_a_key_the_button_is_disabled_and_says_how_to_enable_it(
    admin_client: Client, drafting_off: None
) -> None:
    html = admin_client.get("/cms/studio/coverage/").content.decode()
    button = re.search(r'<button[^>]*data-testid="draft-cell"[^>]*>', html)
    assert button is not None
    assert "disabled" in button.group(0)
    assert 'aria-describedby="px-drafting-off"' in button.group(0)
    reason = re.search(r'id="px-drafting-off"[^>]*>(.*?)</p>', html, re.S)
    assert reason is not None
    assert "ANTHROPIC_API_KEY" in reason.group(1)

    before = Draft.objects.count()
    response = admin_client.post("/cms/studio/drafts/request/", cell_post())
    assert response.status_code == 409
    assert response.content.decode().startswith("drafting: AI drafting is off")
    assert "ANTHROPIC_API_KEY" in response.content.decode()
    assert Draft.objects.count() == before


def test_the_button_drafts_the_cell_and_opens_its_review(
    admin_client: Client, fake_api: EchoApi
) -> None:
    html = admin_client.get("/cms/studio/coverage/").content.decode()
    button = re.search(r'<button[^>]*data-testid="draft-cell"[^>]*>', html)
    assert button is not None
    assert "disabled" not in button.group(0)

    response = admin_client.post("/cms/studio/drafts/request/", cell_post())
    draft = Draft.objects.get(audience="persona:saas-demand-gen", model_name=MODEL)
    assert response.status_code == 302
    assert response["Location"] == f"/cms/studio/drafts/{draft.pk}/"
    assert (draft.status, draft.block_type) == (Draft.Status.PENDING, "hero")
    assert draft.content["headline"].startswith("Made for")
    assert (draft.input_tokens, draft.output_tokens) == (900, 150)
    (prompt,) = fake_api.prompts()
    assert "Audience: Demand Gen Diana (SaaS) (persona:saas-demand-gen)" in prompt
    review = admin_client.get(response["Location"]).content.decode()
    assert "is ready for review" in review
    matrix = admin_client.get("/cms/studio/coverage/?industry=saas").content.decode()
    page, hero = contact_hero()
    row = matrix.split(f'data-page="{page.pk}" data-block="{hero}"', 1)[1].split("</tr>", 1)[0]
    cell = re.search(r'<td[^>]*data-audience="persona:saas-demand-gen"[^>]*>', row)
    assert cell is not None
    assert 'data-state="draft"' in cell.group(0)
    assert f'data-draft="{draft.pk}"' in cell.group(0)


def test_a_rate_limited_draft_is_a_message_not_a_500(
    admin_client: Client, fake_api: EchoApi
) -> None:
    fake_api.script = [rate_limited]
    before = Draft.objects.count()
    response = admin_client.post("/cms/studio/drafts/request/", cell_post(), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/cms/studio/coverage/"
    html = response.content.decode()
    assert "The draft for Demand Gen Diana (SaaS) failed (failed)" in html
    assert "rate limit" in html
    assert Draft.objects.count() == before


def test_a_draft_invalid_twice_is_a_message_naming_the_field(
    admin_client: Client, fake_api: EchoApi
) -> None:
    too_long = api_message({"headline": "x" * 300, "cta_url": "/contact/"})
    fake_api.script = [lambda body: httpx2.Response(200, json=too_long)] * 2
    response = admin_client.post("/cms/studio/drafts/request/", cell_post(), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "failed (invalid)" in html
    assert "headline: " in html
    assert len(fake_api.requests) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "999999"}, "page"),
        ({"block": "not-a-block"}, "block"),
        ({"audience": "persona:nobody"}, "audience"),
        ({"audience": ""}, "audience"),
    ],
)
def test_a_bad_cell_is_400_naming_the_field(
    admin_client: Client, fake_api: EchoApi, overrides: dict[str, str], field: str
) -> None:
    response = admin_client.post("/cms/studio/drafts/request/", cell_post(**overrides))
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")
    assert fake_api.requests == []


def test_drafting_needs_a_post_and_an_editor(fake_api: EchoApi, admin_client: Client) -> None:
    assert admin_client.get("/cms/studio/drafts/request/").status_code == 405
    anonymous = Client().post("/cms/studio/drafts/request/", cell_post())
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    assert fake_api.requests == []


def test_the_preview_has_the_same_button_for_its_block_and_audience(
    admin_client: Client, fake_api: EchoApi
) -> None:
    page, hero = contact_hero()
    url = f"/cms/studio/preview/?page={page.pk}&block={hero}&audience=persona:saas-demand-gen"
    html = admin_client.get(url).content.decode()
    form = re.search(r'<form[^>]*data-testid="preview-draft-form".*?</form>', html, re.S)
    assert form is not None
    assert f'name="block" value="{hero}"' in form.group(0)
    assert 'name="audience" value="persona:saas-demand-gen"' in form.group(0)
    assert "disabled" not in re.search(r"<button[^>]*>", form.group(0)).group(0)  # type: ignore[union-attr]
    response = admin_client.post("/cms/studio/drafts/request/", cell_post(next=url))
    draft = Draft.objects.get(audience="persona:saas-demand-gen", model_name=MODEL)
    assert response["Location"] == f"/cms/studio/drafts/{draft.pk}/"
    again = admin_client.get(url).content.decode()
    assert f'href="/cms/studio/drafts/{draft.pk}/" data-testid="preview-review"' in again


def test_without_a_key_the_preview_button_is_disabled(
    admin_client: Client, drafting_off: None
) -> None:
    page, hero = contact_hero()
    html = admin_client.get(
        f"/cms/studio/preview/?page={page.pk}&block={hero}&audience=industry:saas"
    ).content.decode()
    form = re.search(r'<form[^>]*data-testid="preview-draft-form".*?</form>', html, re.S)
    assert form is not None
    assert "disabled" in re.search(r"<button[^>]*>", form.group(0)).group(0)  # type: ignore[union-attr]
    assert "ANTHROPIC_API_KEY" in form.group(0)
