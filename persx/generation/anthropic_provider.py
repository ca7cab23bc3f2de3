"""The drafting port (``persx.engine.drafting.port.DraftProvider``) on Anthropic's Claude.

Uses the official ``anthropic`` SDK's Messages API with one forced tool whose input schema
is the block's JSON schema plus ``citations`` (for each sentence, the number of the proof
point it relies on), so the reply is structured. The same client answers the claim
checker's second pass (:meth:`AnthropicDraftProvider.verify`, a forced
``submit_verdicts`` tool: supported or not, per sentence). The SDK's own retries are off
(``max_retries=0``): a rate limit or a timeout is reported to the caller as a
:class:`ProviderError` (with ``retry-after`` when the API sends one), and the governed
loop (``draft_with_retry``) decides what happens next.

Configuration: the key comes from ``ANTHROPIC_API_KEY``; the model from
``PERSX_DRAFT_MODEL`` (``config().draft_model``, default in persx/settings/base.py). Without
a key there is no provider (:func:`provider_from_environment` returns None) and the studio
explains how to enable it.

The SDK is imported only when a provider is made or drafts (about 1.5 s of CPU): the site,
the admin and every management command import this module without paying for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from persx.config import config
from persx.engine.drafting.port import (
    SYSTEM_PROMPT,
    VERIFY_SYSTEM_PROMPT,
    Citation,
    DraftRequest,
    FactSheet,
    ProviderError,
    ProviderFailure,
    ProviderReply,
    Verdict,
    VerifierReply,
    prompt_text,
    verify_prompt_text,
)

if TYPE_CHECKING:
    import anthropic

TOOL_NAME = "submit_draft"
VERIFY_TOOL_NAME = "submit_verdicts"
CITATIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "One entry per sentence of the draft: its field, the sentence, and the "
    "number of the proof point it relies on (0 when it makes no claim).",
    "items": {
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "sentence": {"type": "string"},
            "proof_point": {"type": "integer", "minimum": 0},
        },
        "required": ["field", "sentence", "proof_point"],
    },
}
VERDICTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sentence": {"type": "integer", "minimum": 0},
                    "supported": {"type": "boolean"},
                    "reason": {"type": "string"},
                },
                "required": ["sentence", "supported"],
            },
        }
    },
    "required": ["verdicts"],
}
TIMEOUT_SECONDS = 60.0
MAX_TOKENS = 1500


class AnthropicDraftProvider:
    def __init__(
        self, client: anthropic.Anthropic, model: str, max_tokens: int = MAX_TOKENS
    ) -> None:
        self._client = client
        self._model = model
        self._max_tokens = max_tokens

    @property
    def model(self) -> str:
        return self._model

    def draft(
        self, request: DraftRequest, errors: Mapping[str, str] | None = None
    ) -> ProviderReply:
        schema = dict(request.schema)
        schema["properties"] = {**schema.get("properties", {}), "citations": CITATIONS_SCHEMA}
        message = self._call(
            SYSTEM_PROMPT,
            prompt_text(request, errors),
            TOOL_NAME,
            f"Submit the {request.block_type} variant for {request.audience}.",
            schema,
        )
        content = _tool_input(message, TOOL_NAME)
        raw_citations = content.pop("citations", None)
        return ProviderReply(
            content=content,
            model=message.model,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            citations=_citations(raw_citations),
        )

    def verify(self, facts: FactSheet, sentences: Sequence[tuple[str, str]]) -> VerifierReply:
        message = self._call(
            VERIFY_SYSTEM_PROMPT,
            verify_prompt_text(facts, sentences),
            VERIFY_TOOL_NAME,
            "Submit one verdict per numbered sentence.",
            VERDICTS_SCHEMA,
        )
        verdicts = []
        raw = _tool_input(message, VERIFY_TOOL_NAME).get("verdicts")
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, Mapping) and isinstance(item.get("sentence"), int):
                verdicts.append(
                    Verdict(
                        item["sentence"], item.get("supported") is True, str(item.get("reason", ""))
                    )
                )
        return VerifierReply(
            tuple(verdicts), message.usage.input_tokens, message.usage.output_tokens
        )

    def _call(
        self, system: str, prompt: str, tool_name: str, description: str, schema: dict[str, Any]
    ) -> anthropic.types.Message:
        import anthropic

        tool: dict[str, Any] = {
            "name": tool_name,
            "description": description,
            "input_schema": schema,
        }
        try:
            return self._client.messages.create(
                model=self._model,
                max_tokens=self._max_tokens,
                system=system,
                messages=[{"role": "user", "content": prompt}],
                tools=[cast("anthropic.types.ToolParam", tool)],
                tool_choice={"type": "tool", "name": tool_name},
            )
        except anthropic.RateLimitError as exc:
            raise ProviderError(
                ProviderFailure.RATE_LIMITED,
                "the model's rate limit was reached; try again later",
                _retry_after(exc.response.headers.get("retry-after")),
            ) from exc
        except anthropic.APITimeoutError as exc:
            raise ProviderError(
                ProviderFailure.TIMEOUT, "the model did not answer in time"
            ) from exc
        except anthropic.APIError as exc:
            raise ProviderError(
                ProviderFailure.UNAVAILABLE, f"the model API failed: {exc}"
            ) from exc


def _tool_input(message: anthropic.types.Message, tool_name: str) -> dict[str, Any]:
    for block in message.content:
        if block.type == "tool_use" and block.name == tool_name:
            return dict(block.input) if isinstance(block.input, Mapping) else {}
    return {}


def _citations(raw: object) -> tuple[Citation, ...]:
    """The reply's citations; malformed entries are dropped (the checker then holds the
    sentence to every proof point instead)."""
    found = []
    for item in raw if isinstance(raw, list) else []:
        if (
            isinstance(item, Mapping)
            and isinstance(item.get("field"), str)
            and isinstance(item.get("sentence"), str)
            and isinstance(item.get("proof_point"), int)
        ):
            found.append(Citation(item["field"], item["sentence"], item["proof_point"]))
    return tuple(found)


def _retry_after(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def provider_from_environment() -> AnthropicDraftProvider | None:
    """The configured provider, or None when ``ANTHROPIC_API_KEY`` is not set."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        return None
    import anthropic

    client = anthropic.Anthropic(api_key=key, max_retries=0, timeout=TIMEOUT_SECONDS)
    return AnthropicDraftProvider(client, config().draft_model)
