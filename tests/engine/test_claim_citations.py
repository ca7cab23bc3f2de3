"""Per-sentence citations and the verification pass, in the engine: a sentence that cites
a proof point is held to that proof point; the verifier's doubts (or its silence, or its
failure) become ``unverified`` flags. The verifier here implements the port in-process;
the Anthropic adapter answers it over a fake HTTP transport in
tests/web/test_generation_provider.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from persx.engine.drafting.claims import check_claims, same_sentence, sentences_of
from persx.engine.drafting.port import (
    Citation,
    ClaimVerifier,
    DraftRequest,
    FactSheet,
    OutcomeStatus,
    ProviderError,
    ProviderFailure,
    ProviderReply,
    Verdict,
    VerifierReply,
    draft_with_retry,
)
from persx.engine.drafting.verification import verify_draft

SHEET = FactSheet(
    audience="industry:saas",
    version=5,
    proof_points=(
        "Relaydesk raised demo requests 34% in one quarter.",
        "Northbeam cut trial churn 34% with onboarding checklists.",
    ),
    customers=("Relaydesk", "Northbeam"),
)
SENTENCE = "Demo requests rose 34% in a quarter."
CONTENT = {"headline": "More demos from the same traffic", "text": SENTENCE, "cta_url": "/x/"}


def test_sentences_are_split_per_field_and_links_are_skipped() -> None:
    assert sentences_of({"a": "One. Two!\nThree?", "cta_url": "/x/"}) == [
        ("a", "One."),
        ("a", "Two!"),
        ("a", "Three?"),
    ]
    assert same_sentence("Demo requests rose 34% in a quarter", f"  {SENTENCE} ")


def test_a_cited_sentence_is_held_to_the_proof_point_it_cites() -> None:
    assert check_claims(CONTENT, SHEET) == []  # proof point 1 backs it
    right = (Citation("text", SENTENCE, 1),)
    assert check_claims(CONTENT, SHEET, citations=right) == []
    wrong = (Citation("text", SENTENCE, 2),)
    (flag,) = check_claims(CONTENT, SHEET, citations=wrong)
    assert (flag.field, flag.kind, flag.claim) == ("text", "figure", "34%")
    assert flag.message == "“34%” is not backed by proof point 2, which the sentence cites"
    missing = (Citation("text", SENTENCE, 7),)
    (flag,) = check_claims(CONTENT, SHEET, citations=missing)
    assert (flag.kind, flag.claim) == ("citation", "7")


def test_a_citation_of_another_field_or_sentence_does_not_apply() -> None:
    elsewhere = (Citation("headline", SENTENCE, 2), Citation("text", "Another one.", 2))
    assert check_claims(CONTENT, SHEET, citations=elsewhere) == []


class Verifier:
    """The port's second pass, answering from a script."""

    def __init__(self, verdicts: Sequence[Verdict] | ProviderError) -> None:
        self.verdicts = verdicts
        self.asked: list[Sequence[tuple[str, str]]] = []

    def verify(self, facts: FactSheet, sentences: Sequence[tuple[str, str]]) -> VerifierReply:
        self.asked.append(sentences)
        if isinstance(self.verdicts, ProviderError):
            raise self.verdicts
        return VerifierReply(tuple(self.verdicts), 300, 40)


def test_the_verifiers_doubt_and_silence_are_flags() -> None:
    verifier = Verifier([Verdict(0, True), Verdict(1, False, "34% is Relaydesk's, not yours")])
    assert isinstance(verifier, ClaimVerifier)
    result = verify_draft(verifier, SHEET, CONTENT)
    assert verifier.asked == [
        [("headline", "More demos from the same traffic"), ("text", SENTENCE)]
    ]
    (flag,) = result.flags
    assert (flag.field, flag.kind, flag.claim) == ("text", "unverified", SENTENCE)
    assert flag.message.endswith("unsupported: 34% is Relaydesk's, not yours")
    assert (result.input_tokens, result.output_tokens) == (300, 40)

    silent = verify_draft(Verifier([Verdict(1, False)]), SHEET, CONTENT)
    assert [(f.field, f.message) for f in silent.flags] == [
        ("headline", "the verification pass gave no verdict for this sentence"),
        ("text", "the verification pass found this sentence unsupported"),
    ]


def test_a_failed_verification_is_a_flag_and_an_empty_draft_asks_nothing() -> None:
    failing = Verifier(ProviderError(ProviderFailure.TIMEOUT, "the model did not answer in time"))
    (flag,) = verify_draft(failing, SHEET, CONTENT).flags
    assert (flag.field, flag.kind) == ("draft", "unverified")
    assert flag.message == (
        "the verification pass did not run (timeout): the model did not answer in time"
    )
    quiet = Verifier([])
    assert verify_draft(quiet, SHEET, {"cta_url": "/x/"}).flags == ()
    assert quiet.asked == []


class Drafter:
    """The drafting port, answering from a script."""

    model = "scripted"

    def __init__(self, *replies: ProviderReply | ProviderError) -> None:
        self.replies = list(replies)

    def draft(
        self, request: DraftRequest, errors: Mapping[str, str] | None = None
    ) -> ProviderReply:
        reply = self.replies.pop(0)
        if isinstance(reply, ProviderError):
            raise reply
        return reply


REQUEST = DraftRequest("cta", "industry:saas", "SaaS", {"type": "object"}, SHEET, {})
CITED = (Citation("text", SENTENCE, 1),)


def needs_text(content: Mapping[str, Any]) -> dict[str, str]:
    return {} if content.get("text") else {"text": "required"}


def test_the_governed_loop_carries_the_citations_of_the_reply_it_accepts() -> None:
    drafter = Drafter(
        ProviderReply({}, "scripted", 10, 5),
        ProviderReply(CONTENT, "scripted", 10, 5, CITED),
    )
    outcome = draft_with_retry(drafter, REQUEST, needs_text)
    assert (outcome.status, outcome.citations, outcome.attempts) == (OutcomeStatus.OK, CITED, 2)
    assert (outcome.input_tokens, outcome.output_tokens) == (20, 10)
    invalid = draft_with_retry(
        Drafter(ProviderReply({}, "scripted"), ProviderReply({}, "scripted")), REQUEST, needs_text
    )
    assert (invalid.status, invalid.errors, invalid.citations) == (
        OutcomeStatus.INVALID,
        {"text": "required"},
        (),
    )
    failed = draft_with_retry(
        Drafter(ProviderError(ProviderFailure.RATE_LIMITED, "429", 3.0)), REQUEST, needs_text
    )
    assert (failed.status, failed.failure) == (OutcomeStatus.FAILED, ProviderFailure.RATE_LIMITED)


def test_a_flag_is_stored_as_a_plain_dict() -> None:
    (flag,) = check_claims(CONTENT, SHEET, citations=(Citation("text", SENTENCE, 2),))
    assert flag.as_dict() == {
        "field": "text",
        "kind": "figure",
        "claim": "34%",
        "message": "“34%” is not backed by proof point 2, which the sentence cites",
    }
