"""The second pass: the model, asked afresh, judges each sentence of a draft against the
fact sheet; a sentence it does not find supported becomes an ``unverified`` claim flag
(whatever the pattern checker concluded), and so does a sentence it gave no verdict for
or a pass that failed, so a reviewer never reads silence as agreement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from persx.engine.drafting.claims import ClaimFlag, sentences_of
from persx.engine.drafting.port import ClaimVerifier, FactSheet, ProviderError


@dataclass(frozen=True, slots=True)
class Verification:
    flags: tuple[ClaimFlag, ...]
    input_tokens: int = 0
    output_tokens: int = 0


def verify_draft(
    verifier: ClaimVerifier, facts: FactSheet, content: Mapping[str, Any]
) -> Verification:
    """Ask ``verifier`` about every sentence of ``content``; its doubts as flags."""
    sentences = sentences_of(content)
    if not sentences:
        return Verification(())
    try:
        reply = verifier.verify(facts, sentences)
    except ProviderError as exc:
        message = f"the verification pass did not run ({exc.kind.value}): {exc}"
        return Verification((ClaimFlag("draft", "unverified", "", message),))
    verdicts = {v.sentence: v for v in reply.verdicts}
    flags = []
    for number, (field, sentence) in enumerate(sentences):
        verdict = verdicts.get(number)
        if verdict is None:
            message = "the verification pass gave no verdict for this sentence"
        elif not verdict.supported:
            reason = f": {verdict.reason}" if verdict.reason else ""
            message = f"the verification pass found this sentence unsupported{reason}"
        else:
            continue
        flags.append(ClaimFlag(field, "unverified", sentence, message))
    return Verification(tuple(flags), reply.input_tokens, reply.output_tokens)
