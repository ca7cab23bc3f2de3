"""The drafting prompt offers winning variants as examples, and the validation errors on retry."""

from __future__ import annotations

from persx.engine.drafting.port import (
    SYSTEM_PROMPT,
    VERIFY_SYSTEM_PROMPT,
    DraftRequest,
    FactSheet,
    prompt_text,
    verify_prompt_text,
)

FACTS = FactSheet(audience="industry:saas", version=2, proof_points=("Trials up 12%.",))


def _request(examples: tuple[dict[str, str], ...] = ()) -> DraftRequest:
    return DraftRequest(
        block_type="cta",
        audience="industry:saas",
        audience_label="SaaS",
        schema={"type": "object"},
        facts=FACTS,
        base={"headline": "See it on your site"},
        examples=examples,
    )


def test_winning_variants_are_offered_as_examples() -> None:
    winner = {"headline": "Start your trial in a minute"}
    with_examples = prompt_text(_request((winner,)))
    assert "won experiments" in with_examples
    assert repr(winner) in with_examples
    assert "won experiments" not in prompt_text(_request())


def test_a_retry_names_each_validation_error() -> None:
    text = prompt_text(_request(), {"headline": "String should have at most 120 characters"})
    assert "- headline: String should have at most 120 characters" in text


def test_proof_points_are_numbered_and_each_sentence_must_cite_one() -> None:
    text = prompt_text(_request())
    assert "cite them by number):\n1. Trials up 12%." in text
    assert "cite the number of the proof point" in SYSTEM_PROMPT


def test_the_verifier_is_asked_about_every_numbered_sentence() -> None:
    facts = FactSheet(
        audience="industry:saas",
        version=4,
        summary="B2B SaaS growth teams.",
        proof_points=("Trials up 12%.",),
        customers=("Relaydesk",),
    )
    text = verify_prompt_text(facts, [("headline", "Trials up 12%."), ("text", "Book a demo.")])
    assert "Fact sheet version 4 for industry:saas" in text
    assert "Proof points:\n1. Trials up 12%." in text
    assert "Names it allows: Relaydesk" in text
    assert "0. [headline] Trials up 12%.\n1. [text] Book a demo." in text
    bare = verify_prompt_text(FactSheet("industry:saas", 0), [("text", "Book a demo.")])
    assert "Proof points: none" in bare
    assert "Names it allows" not in bare
    assert "supported only if" in VERIFY_SYSTEM_PROMPT
