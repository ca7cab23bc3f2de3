"""The drafting port (``persx.engine.drafting.port.DraftProvider``) on Anthropic's Claude.

Uses the official ``anthropic`` SDK's Messages API with one forced tool whose input schema
is the block's JSON schema, so the reply is structured. The SDK's own retries are off
(``max_retries=0``): a rate limit or a timeout is reported to the caller as a
:class:`ProviderError` (with ``retry-after`` when the API sends one), and the governed
loop (``draft_with_retry``) decides what happens next.

Configuration: the key comes from ``ANTHROPIC_API_KEY``; the model from
``PERSX_DRAFT_MODEL`` (default :data:`DEFAULT_MODEL`). Without a key there is no provider
(:func:`provider_from_environment` returns None) and the studio explains how to enable it.

The SDK is imported only when a provider is made or drafts (about 1.5 s of CPU): the site,
the admin and every management command import this module without paying for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from persx.engine.drafting.port import (
    SYSTEM_PROMPT,
    DraftRequest,
    ProviderError,
    ProviderFailure,
    ProviderReply,
    prompt_text,
)

if TYPE_CHECKING:
    import anthropic

DEFAULT_MODEL = "claude-sonnet-5-5"
TOOL_NAME = "submit_draft"
TIMEOUT_SECONDS = 60.0
MAX_TOKENS = 1500


class AnthropicDraftProvider:
    def __init__(
        self, client: anthropic.Anthropic, model: str = DEFAULT_MODEL, max_tokens: int = MAX_TOKENS
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
        import anthropic

        tool: dict[str, Any] = {
            "name": TOOL_NAME,
            "description": f"Submit the {request.block_type} variant for {request.audience}.",
            "input_schema": dict(request.schema),
        }
        try:
            message = self._client.messages.create(
                model=self._model,
                max_tokens=self._max_tokens,
                system=SYSTEM_PROMPT,
                messages=[{"role": "user", "content": prompt_text(request, errors)}],
                tools=[cast("anthropic.types.ToolParam", tool)],
                tool_choice={"type": "tool", "name": TOOL_NAME},
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
        content: dict[str, Any] = {}
        for block in message.content:
            if block.type == "tool_use" and block.name == TOOL_NAME:
                content = dict(block.input) if isinstance(block.input, Mapping) else {}
                break
        return ProviderReply(
            content=content,
            model=message.model,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
        )


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
    return AnthropicDraftProvider(client, os.environ.get("PERSX_DRAFT_MODEL") or DEFAULT_MODEL)
