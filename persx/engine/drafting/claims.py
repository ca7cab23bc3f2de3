"""The claim checker: a draft may state only what its fact sheet states.

Reads the draft sentence by sentence against the sheet's structure
(:mod:`persx.engine.drafting.proof`) and flags:

- a figure (numerals, percentages, money, multipliers, and quantities in words: doubled,
  tripled, twice, half, hundreds, dozens, two … ninety, n-fold) that no single proof point
  backs: the proof point must state that figure, be about the sentence's subject (every
  customer-like name it uses) and share what it measures (a content term). A sentence
  that cites a proof point (the model's structured output does) is held to that one;
- a name that is not one of the sheet's entities (customers, tools, certifications, the
  product's names, names its texts use), matched whole: "Ridge Health Systems" is not
  "Westbrook Ridge Health". A capitalised word that starts a sentence is a name unless it
  is ordinary English (:mod:`persx.engine.drafting.vocabulary`, or used in lower case in
  the draft or the sheet); a title-case field is read word by word the same way;
- a certification or standard (SOC 2, ISO 27001, HIPAA, …) the sheet does not state;
  words the sheet says to avoid; tone (exclamation marks, shouting, absolute promises).

Conservative by design: a false flag costs a reviewer a glance, a missed claim costs trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from persx.engine.drafting.port import Citation, FactSheet
from persx.engine.drafting.proof import (
    CERTIFICATION,
    ProofPoint,
    SheetStructure,
    figures_in,
    known_words,
    named_runs,
    structure,
    terms_of,
)

ABSOLUTES = ("guaranteed", "guarantee", "always", "never fails", "best in the world", "#1", "100%")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MINOR = "a an and as at by for from in of on or the to with your our"
_MINOR_WORDS = frozenset(_MINOR.split())
LINK_FIELDS = ("cta_url", "button_url")


@dataclass(frozen=True, slots=True)
class ClaimFlag:
    field: str
    kind: str  # figure | name | certification | citation | unverified | avoided_word | tone
    claim: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "kind": self.kind,
            "claim": self.claim,
            "message": self.message,
        }


def _texts(content: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, str]]:
    for key, value in content.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, Mapping):
            yield from _texts(value, f"{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{name}.{i}", item
                elif isinstance(item, Mapping):
                    yield from _texts(item, f"{name}.{i}.")


def sentences_of(
    content: Mapping[str, Any], link_fields: Iterable[str] = LINK_FIELDS
) -> list[tuple[str, str]]:
    """Every sentence of the draft's text, as (field, sentence); links are not text."""
    skip = set(link_fields)
    return [
        (field, sentence.strip())
        for field, text in _texts(content)
        if field not in skip
        for sentence in SENTENCE_END.split(text)
        if sentence.strip()
    ]


def same_sentence(a: str, b: str) -> bool:
    """Whether two renderings of a sentence are the same (case, spacing, end stop aside)."""

    def plain(s: str) -> str:
        return re.sub(r"\s+", " ", s).strip().rstrip(".!?").lower()

    return plain(a) == plain(b)


def is_title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w.lower() not in _MINOR_WORDS]
    return len(words) >= 3 and all(w[0].isupper() for w in words)


def _backs(
    facts: SheetStructure,
    point: ProofPoint,
    figure: str,
    subjects: Sequence[str],
    terms: frozenset[str],
) -> bool:
    return (
        figure in point.figures
        and all(facts.subject_of(s, point) for s in subjects)
        and bool(point.terms & terms)
    )


def _figure_message(
    facts: SheetStructure, shown: str, figure: str, cited: int | None, subjects: Sequence[str]
) -> str:
    if cited is not None:
        return f"“{shown}” is not backed by proof point {cited}, which the sentence cites"
    holders = [p.number for p in facts.proof_points if figure in p.figures]
    if not holders:
        return f"“{shown}” is not in any proof point of the fact sheet"
    about = f" about {', '.join(subjects)}" if subjects else ""
    listed = ", ".join(str(n) for n in holders)
    return f"“{shown}” comes from proof point {listed}, which is not a claim{about} like this one"


def _sentence_flags(
    field: str,
    sentence: str,
    facts: SheetStructure,
    known: frozenset[str],
    title_case: bool,
    cited: int | None,
) -> list[ClaimFlag]:
    flags = []
    names = named_runs(sentence, known, title_case, facts.entities)
    for name in names:
        if not facts.is_entity(name):
            flags.append(
                ClaimFlag(field, "name", name, f"“{name}” is not a name in the fact sheet")
            )
    figures = figures_in(sentence)
    if not figures:
        return flags
    subjects = [n for n in names if not facts.is_neutral(n)]
    terms = terms_of(sentence, names)
    candidates: Sequence[ProofPoint] = facts.proof_points
    if cited is not None:
        if not 1 <= cited <= len(facts.proof_points):
            message = f"the sentence cites proof point {cited}, which the fact sheet does not have"
            return [*flags, ClaimFlag(field, "citation", str(cited), message)]
        candidates = (facts.proof_points[cited - 1],)
    for shown, figure in figures:
        if not any(_backs(facts, p, figure, subjects, terms) for p in candidates):
            message = _figure_message(facts, shown, figure, cited, subjects)
            flags.append(ClaimFlag(field, "figure", shown, message))
    return flags


def check_claims(
    content: Mapping[str, Any],
    sheet: FactSheet,
    allowed_names: Iterable[str] = (),
    link_fields: Iterable[str] = LINK_FIELDS,
    citations: Sequence[Citation] = (),
) -> list[ClaimFlag]:
    """Every unsupported claim in ``content`` (empty when the draft is clean).

    ``allowed_names`` are the product's own names; ``citations`` the proof point each
    sentence relies on (from the model's structured output)."""
    facts = structure(sheet, allowed_names)
    sheet_lower = sheet.text().lower()
    skip = set(link_fields)
    texts = [(field, text) for field, text in _texts(content) if field not in skip]
    known = facts.known | known_words(*(text for _, text in texts))
    flags: list[ClaimFlag] = []
    for field, text in texts:
        title_case = is_title_case(text)
        for sentence in SENTENCE_END.split(text):
            cited = next(
                (
                    c.proof_point
                    for c in citations
                    if c.field == field and c.proof_point and same_sentence(c.sentence, sentence)
                ),
                None,
            )
            flags += _sentence_flags(field, sentence, facts, known, title_case, cited)
        for match in CERTIFICATION.finditer(text):
            cert = match.group()
            if cert.lower() not in sheet_lower:
                flags.append(
                    ClaimFlag(field, "certification", cert, f"“{cert}” is not in the fact sheet")
                )
        lowered = text.lower()
        for word in sheet.words_to_avoid:
            if word and re.search(rf"\b{re.escape(word.lower())}\b", lowered):
                flags.append(
                    ClaimFlag(field, "avoided_word", word, f"the fact sheet says to avoid “{word}”")
                )
        if "!" in text:
            flags.append(ClaimFlag(field, "tone", "!", "no exclamation marks"))
        for shout in re.findall(r"\b[A-Z]{4,}\b", text):
            if not CERTIFICATION.fullmatch(shout) and shout.lower() not in sheet_lower:
                flags.append(ClaimFlag(field, "tone", shout, f"“{shout}” reads as shouting"))
        for absolute in ABSOLUTES:
            if absolute in lowered and absolute not in sheet_lower:
                flags.append(
                    ClaimFlag(field, "tone", absolute, f"“{absolute}” is an absolute promise")
                )
    return flags
