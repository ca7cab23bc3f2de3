"""The drafting prompt offers winning variants as examples, and the validation errors on retry."""

from __future__ import annotations

from persx.engine.drafting.port import DraftRequest, FactSheet, prompt_text

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
