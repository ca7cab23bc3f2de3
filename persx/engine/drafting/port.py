"""AI drafting as a port: facts + a block's schema in, a structured draft out.

Pure contract (no SDK, no Django): :class:`DraftProvider` is what an adapter implements
(``persx.generation`` has the Anthropic one); :func:`draft_with_retry` is the governed loop
every provider runs under: the reply is validated against the block's schema (the caller
passes the validator), an invalid reply is retried once with the validation errors, and a
second invalid reply is reported, never returned as content. Rate limits and timeouts are
reported as such (the caller decides whether to try later).

A draft carries, per sentence, the proof point it relies on (:class:`Citation`), so the
claim checker can hold each sentence to its source. A provider that is also a
:class:`ClaimVerifier` answers a second, independent question through the same model:
is each sentence of a draft supported by the fact sheet (:func:`verify_prompt_text`)?
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

PROMPT_VERSION = "draft-v2"  # v2: per-sentence citations of the proof points


@dataclass(frozen=True, slots=True)
class FactSheet:
    """What a draft for one audience may say (pains, goals, tools, approved proof points,
    numbers, names, certifications), what it must not (words to avoid), and how (tone)."""

    audience: str
    version: int
    summary: str = ""
    pains: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    proof_points: tuple[str, ...] = ()  # approved claims, numbers and names included
    customers: tuple[str, ...] = ()  # customer names that may be mentioned
    certifications: tuple[str, ...] = ()
    words_to_avoid: tuple[str, ...] = ()
    tone: str = ""

    def text(self) -> str:
        """Everything the sheet states, as one text (what a claim must appear in)."""
        parts = [self.summary, *self.pains, *self.goals, *self.tools, *self.proof_points]
        return "\n".join([*parts, *self.customers, *self.certifications])


@dataclass(frozen=True, slots=True)
class DraftRequest:
    block_type: str
    audience: str
    audience_label: str
    schema: Mapping[str, Any]  # JSON schema of the block's content
    facts: FactSheet
    base: Mapping[str, Any]  # the generic content, as the starting point
    examples: Sequence[Mapping[str, Any]] = ()  # winning variants of this block type
    prompt_version: str = PROMPT_VERSION


@dataclass(frozen=True, slots=True)
class Citation:
    """The model's word for one sentence of its draft: the proof point it relies on
    (1-based, as the prompt numbers them; 0 when the sentence makes no claim)."""

    field: str
    sentence: str
    proof_point: int


@dataclass(frozen=True, slots=True)
class ProviderReply:
    content: Mapping[str, Any]
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    citations: tuple[Citation, ...] = ()


class ProviderFailure(StrEnum):
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"  # other transport/API errors


class ProviderError(Exception):
    def __init__(self, kind: ProviderFailure, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class DraftProvider(Protocol):
    """One model call. ``errors`` (field → message) asks for a corrected draft."""

    @property
    def model(self) -> str: ...

    def draft(
        self, request: DraftRequest, errors: Mapping[str, str] | None = None
    ) -> ProviderReply: ...


class OutcomeStatus(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # still invalid after the retry: reported, not saved as content
    FAILED = "failed"  # rate limit, timeout, unavailable


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    status: OutcomeStatus
    content: Mapping[str, Any] | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    failure: ProviderFailure | None = None
    message: str = ""
    attempts: int = 0
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    citations: tuple[Citation, ...] = ()


Validator = Callable[[Mapping[str, Any]], Mapping[str, str]]


def draft_with_retry(
    provider: DraftProvider, request: DraftRequest, validate: Validator
) -> DraftOutcome:
    """Ask once; if the reply fails ``validate``, ask once more with its errors."""
    errors: Mapping[str, str] | None = None
    tokens_in = tokens_out = 0
    for attempt in (1, 2):
        try:
            reply = provider.draft(request, errors)
        except ProviderError as exc:
            return DraftOutcome(
                OutcomeStatus.FAILED,
                failure=exc.kind,
                message=str(exc),
                attempts=attempt,
                model=provider.model,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
            )
        tokens_in += reply.input_tokens
        tokens_out += reply.output_tokens
        errors = validate(reply.content)
        if not errors:
            return DraftOutcome(
                OutcomeStatus.OK,
                content=reply.content,
                attempts=attempt,
                model=reply.model,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                citations=reply.citations,
            )
    return DraftOutcome(
        OutcomeStatus.INVALID,
        errors=dict(errors or {}),
        message="the model's draft did not fit the block's fields twice",
        attempts=2,
        model=provider.model,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
    )


SYSTEM_PROMPT = (
    "You write website copy variants for one audience of a B2B marketing site. Use only the "
    "facts in the fact sheet: every number, percentage, customer name and certification you "
    "write must appear there word for word. Follow the tone. Never use the words to avoid. "
    "Keep within every field's length limit. For every sentence you write, cite the number "
    "of the proof point it relies on (0 when it makes no claim). Reply by calling the "
    "submit_draft tool."
)


def prompt_text(request: DraftRequest, errors: Mapping[str, str] | None = None) -> str:
    """The user message for one draft (and, with ``errors``, for the corrected draft)."""
    facts = request.facts

    def listed(title: str, items: Sequence[str]) -> str:
        return f"{title}:\n" + "\n".join(f"- {i}" for i in items) if items else ""

    def numbered(title: str, items: Sequence[str]) -> str:
        lines = (f"{n}. {i}" for n, i in enumerate(items, start=1))
        return f"{title}:\n" + "\n".join(lines) if items else ""

    sections = [
        f"Block type: {request.block_type}",
        f"Audience: {request.audience_label} ({request.audience})",
        f"Fact sheet version {facts.version}:",
        facts.summary,
        listed("Pains", facts.pains),
        listed("Goals", facts.goals),
        listed("Tools they use", facts.tools),
        numbered(
            "Approved proof points (the only claims you may make; cite them by number)",
            facts.proof_points,
        ),
        listed("Customers you may name", facts.customers),
        listed("Certifications you may mention", facts.certifications),
        listed("Words to avoid", facts.words_to_avoid),
        f"Tone: {facts.tone}" if facts.tone else "",
        "Generic version of this block (rewrite it for the audience, same fields):",
        repr(dict(request.base)),
    ]
    if request.examples:
        sections.append("Variants of this block type that won experiments (for style):")
        sections.extend(repr(dict(e)) for e in request.examples)
    if errors:
        sections.append(
            "Your previous draft did not fit the block's fields. Fix exactly these errors:"
        )
        sections.extend(f"- {name}: {message}" for name, message in errors.items())
    return "\n\n".join(s for s in sections if s)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verifier's answer for one sentence (``sentence`` indexes the list it was given)."""

    sentence: int
    supported: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class VerifierReply:
    verdicts: tuple[Verdict, ...]
    input_tokens: int = 0
    output_tokens: int = 0


@runtime_checkable
class ClaimVerifier(Protocol):
    """The second pass: is each sentence supported by the fact sheet?"""

    def verify(self, facts: FactSheet, sentences: Sequence[tuple[str, str]]) -> VerifierReply: ...


VERIFY_SYSTEM_PROMPT = (
    "You check website copy against a fact sheet, sentence by sentence. A sentence is "
    "supported only if the fact sheet states everything it claims: each number or quantity "
    "belongs to the proof point about the same subject and the same measure, each customer, "
    "product or certification it names is in the sheet. A sentence that claims nothing "
    "(an invitation, a description of the product's approach) is supported. Reply by "
    "calling the submit_verdicts tool with one verdict per sentence."
)


def verify_prompt_text(facts: FactSheet, sentences: Sequence[tuple[str, str]]) -> str:
    """The user message asking for a verdict on each numbered sentence."""
    points = "\n".join(f"{n}. {p}" for n, p in enumerate(facts.proof_points, start=1))
    names = ", ".join([*facts.customers, *facts.tools, *facts.certifications])
    lines = "\n".join(f"{i}. [{field}] {text}" for i, (field, text) in enumerate(sentences))
    return "\n\n".join(
        part
        for part in (
            f"Fact sheet version {facts.version} for {facts.audience}:",
            facts.summary,
            f"Proof points:\n{points}" if points else "Proof points: none",
            f"Names it allows: {names}" if names else "",
            f"Sentences to check (answer for every number):\n{lines}",
        )
        if part
    )
