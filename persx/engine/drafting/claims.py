"""The claim checker: a draft may state only what its fact sheet states.

Flags, per field: any figure (numbers, percentages, money, multipliers) that does not
appear in the sheet; any customer-like name (a run of capitalised words that is not at a
sentence start and not in the sheet or the allowed vocabulary); any certification or
standard (SOC 2, ISO 27001, HIPAA, …) not in the sheet; words the sheet says to avoid; and
tone limits (exclamation marks, shouting, absolute promises). Conservative by design: a
false flag costs a reviewer a glance, a missed claim costs trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from persx.engine.drafting.port import FactSheet

FIGURE = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d+(?:[.,]\d+)*(?:\s?(?:%|x\b|×|k\b|K\b|M\b|m\b|bn\b|B\b))?"
)
NAME = re.compile(r"\b[A-Z][a-zA-Z0-9&'’-]*(?:\s+[A-Z][a-zA-Z0-9&'’-]*)*")
CERTIFICATION = re.compile(
    r"\b(?:SOC\s?[123](?:\s?Type\s?(?:I{1,2}|[12]))?|ISO(?:/IEC)?\s?\d{4,5}(?:-\d+)?|HIPAA|"
    r"HITRUST|PCI[\s-]?DSS|FedRAMP|GDPR|CCPA|SOX|FINRA|NIST(?:\s?\d+(?:-\d+)?)?|"
    r"CSA\s?STAR|TISAX|Cyber\s?Essentials)\b",
    re.IGNORECASE,
)
ABSOLUTES = ("guaranteed", "guarantee", "always", "never fails", "best in the world", "#1", "100%")
SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n)$")


@dataclass(frozen=True, slots=True)
class ClaimFlag:
    field: str
    kind: str  # figure | name | certification | avoided_word | tone
    claim: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "kind": self.kind,
            "claim": self.claim,
            "message": self.message,
        }


def _normalise_figure(text: str) -> str:
    return re.sub(r"[\s,]", "", text).lower()


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


def check_claims(
    content: Mapping[str, Any],
    sheet: FactSheet,
    allowed_names: Iterable[str] = (),
    link_fields: Iterable[str] = ("cta_url", "button_url"),
) -> list[ClaimFlag]:
    """Every unsupported claim in ``content`` (empty when the draft is clean)."""
    sheet_text = sheet.text()
    sheet_lower = sheet_text.lower()
    sheet_figures = {_normalise_figure(m.group()) for m in FIGURE.finditer(sheet_text)}
    allowed = {n.lower() for n in allowed_names} | {
        w.lower() for w in re.findall(r"[A-Za-z][\w&'’-]*", sheet_text)
    }
    skip = set(link_fields)
    flags: list[ClaimFlag] = []
    for field, text in _texts(content):
        if field in skip:
            continue
        for match in FIGURE.finditer(text):
            figure = match.group().strip()
            if _normalise_figure(figure) not in sheet_figures:
                flags.append(
                    ClaimFlag(field, "figure", figure, f"“{figure}” is not in the fact sheet")
                )
        for match in CERTIFICATION.finditer(text):
            cert = match.group()
            if cert.lower() not in sheet_lower:
                flags.append(
                    ClaimFlag(field, "certification", cert, f"“{cert}” is not in the fact sheet")
                )
        for match in NAME.finditer(text):
            name = match.group()
            if CERTIFICATION.fullmatch(name) or name.lower() in sheet_lower:
                continue
            words = name.split()
            at_start = SENTENCE_START.search(text[: match.start()]) is not None
            if at_start:
                words = words[1:]  # a sentence's first word is capitalised anyway
            unknown = [w for w in words if w.lower().strip("'’") not in allowed]
            if unknown:
                flags.append(
                    ClaimFlag(field, "name", name, f"“{name}” is not a name in the fact sheet")
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
