"""A fact sheet read as structure: its named entities and its proof points, each with the
subjects it is about, the figures it states and the terms it uses.

The claim checker backs a draft's figure with one proof point (the one the sentence
cites, or one about the same subject and the same thing), never with the sheet as a
whole; and it accepts a name only when it is one of the sheet's entities (its customers,
tools, certifications, the product's own names, and the names its texts use), never
because each of its words appears somewhere in the sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from persx.engine.drafting.port import FactSheet
from persx.engine.drafting.vocabulary import ACRONYMS, COMMON_WORDS, is_common

FIGURE = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d+(?:[.,]\d+)*(?:\s?(?:%|x\b|×|k\b|K\b|M\b|m\b|bn\b|B\b))?"
)
_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
}
_MULTIPLES = {"doubl": "2x", "twice": "2x", "tripl": "3x", "thrice": "3x", "quadrupl": "4x"}
QUANTITY = re.compile(
    r"\b(?:(?:doubl|tripl|quadrupl)(?:e|ed|es|ing)|twice|thrice|halv(?:e|ed|es|ing)|half|"
    r"(?:" + "|".join(_NUMBER_WORDS) + r"|\d+)[- ]?fold|"
    r"(?:" + "|".join(_NUMBER_WORDS) + r")|"
    r"(?:hundred|thousand|million|billion|dozen)s?)\b",
    re.IGNORECASE,
)
CERTIFICATION = re.compile(
    r"\b(?:SOC\s?[123](?:\s?Type\s?(?:I{1,2}|[12]))?|ISO(?:/IEC)?\s?\d{4,5}(?:-\d+)?|HIPAA|"
    r"HITRUST|PCI[\s-]?DSS|FedRAMP|GDPR|CCPA|SOX|FINRA|NIST(?:\s?\d+(?:-\d+)?)?|"
    r"CSA\s?STAR|TISAX|Cyber\s?Essentials)\b",
    re.IGNORECASE,
)
NAME = re.compile(r"\b[A-Z][a-zA-Z0-9&'’-]*(?:\s+[A-Z][a-zA-Z0-9&'’-]*)*")
_WORD = re.compile(r"[A-Za-z][a-z'’-]*")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*")


def mask_certifications(text: str) -> str:
    """``text`` with every certification blanked out (same length), so its digits are not
    figures and its capitals are not names."""
    return CERTIFICATION.sub(lambda m: " " * len(m.group()), text)


def _normalise_numeral(text: str) -> str:
    return re.sub(r"[\s,]", "", text).lower().replace("×", "x")


def _normalise_quantity(word: str) -> str:
    lowered = word.lower().replace(" ", "-")
    for stem, value in _MULTIPLES.items():
        if lowered.startswith(stem):
            return value
    if lowered.startswith("halv"):
        return "half"
    if lowered.endswith("fold"):
        count = lowered.removesuffix("fold").rstrip("-")
        return f"{_NUMBER_WORDS.get(count, count)}x"
    return _NUMBER_WORDS.get(lowered, lowered)


def figures_in(text: str) -> list[tuple[str, str]]:
    """Every figure in ``text`` as (as written, normalised): numerals, percentages, money,
    multipliers, and quantities in words (doubled, tripled, twice, half, two … ninety,
    hundreds, dozens, n-fold); "doubled" and "2x" normalise alike."""
    plain = mask_certifications(text)
    found = [
        (m.start(), m.group().strip(), _normalise_numeral(m.group()))
        for m in FIGURE.finditer(plain)
    ]
    found += [
        (m.start(), m.group(), _normalise_quantity(m.group())) for m in QUANTITY.finditer(plain)
    ]
    return [(shown, norm) for _, shown, norm in sorted(found)]


def known_words(*texts: str) -> frozenset[str]:
    """Words the texts use in lower case (so their capitalised form starts a sentence)."""
    return frozenset(w.replace("’", "'") for t in texts for w in _LOWER_WORD.findall(t))


def _at_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \"“‘'(—–-*")
    return before == "" or before[-1] in ".!?:\n>"


def named_runs(
    text: str,
    known: frozenset[str],
    title_case: bool = False,
    entities: Iterable[str] = (),
) -> list[str]:
    """The names in ``text``: runs of capitalised words, less the ordinary words a sentence
    starts with; single-letter words and trade acronyms are not names. In a ``title_case``
    text every word is capitalised, so a run is read as the ``entities`` it contains plus
    whatever else in it is not ordinary English."""
    plain = mask_certifications(text)
    by_length = sorted((e for e in entities if e), key=len, reverse=True)
    runs = []
    for match in NAME.finditer(plain):
        run = match.group()
        if title_case:
            for entity in by_length:
                found = re.search(rf"(?<!\w){re.escape(entity)}(?!\w)", run, re.IGNORECASE)
                if found:
                    runs.append(found.group())
                    run = run[: found.start()] + " | " + run[found.end() :]
            segments = [
                [w for w in part.split() if not is_common(w, known)] for part in run.split("|")
            ]
        else:
            words = run.split()
            if _at_sentence_start(plain, match.start()):
                while words and is_common(words[0], known):
                    words = words[1:]
            segments = [words]
        for words in segments:
            if not words:
                continue
            if len(words) == 1 and (
                len(words[0]) == 1 or words[0].lower().split("-")[0] in ACRONYMS
            ):
                continue
            runs.append(" ".join(words))
    return runs


def name_key(name: str) -> str:
    return re.sub(r"['’]s$", "", name.strip().lower())


def terms_of(text: str, names: Iterable[str] = ()) -> frozenset[str]:
    """The content words of ``text`` (not function words, figures or names), stemmed."""
    named = {w.lower() for n in names for w in n.split()}
    stems = set()
    for word in _WORD.findall(mask_certifications(text)):
        lowered = word.lower().strip("'’-")
        if len(lowered) < 4 or lowered in named or QUANTITY.fullmatch(lowered):
            continue
        if (lowered in COMMON_WORDS and lowered not in _CLAIM_NOUNS) or lowered in _TIME_UNITS:
            continue
        stems.add(_stem(lowered))
    return frozenset(stems)


# Common words that still say what a figure measures ("bookings up 27%").
_CLAIM_NOUN_LIST = """
    booking bookings revenue conversion conversions demo demos trial trials lead leads
    cart carts checkout pipeline patient patients visitor visitors traffic customers
    applications account accounts members guests rooms subscription subscriptions
    compliance prices pricing rate rates cost costs meetings growth"""
_CLAIM_NOUNS = frozenset(_CLAIM_NOUN_LIST.split())


# When, not what: a duration shared with a proof point does not make it the same claim.
_TIME_UNITS = frozenset(
    ["day", "days", "week", "weeks", "month", "months", "quarter", "quarters", "year", "years"]
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class ProofPoint:
    number: int  # 1-based, as the prompt lists it and a citation names it
    text: str
    subjects: frozenset[str]  # who it is about (lower-case names; tools etc. excluded)
    figures: frozenset[str]  # normalised
    terms: frozenset[str]  # what it is about


@dataclass(frozen=True, slots=True)
class SheetStructure:
    proof_points: tuple[ProofPoint, ...]
    entities: frozenset[str]  # every name a draft may use (lower case)
    neutral: frozenset[str]  # entities that are nobody's subject: tools, products, standards
    known: frozenset[str]  # words the sheet uses in lower case

    def is_entity(self, name: str) -> bool:
        key = name_key(name)
        return key in self.entities or any(e.startswith(key + " ") for e in self.entities)

    def is_neutral(self, name: str) -> bool:
        key = name_key(name)
        return key in self.neutral or any(e.startswith(key + " ") for e in self.neutral)

    def subject_of(self, name: str, point: ProofPoint) -> bool:
        key = name_key(name)
        return key in point.subjects or any(s.startswith(key + " ") for s in point.subjects)


def structure(sheet: FactSheet, product_names: Iterable[str] = ()) -> SheetStructure:
    """The sheet's entities and structured proof points."""
    known = known_words(sheet.text())
    neutral = {n.lower() for n in (*sheet.tools, *sheet.certifications, *product_names)}
    entities = {n.lower() for n in sheet.customers} | neutral
    for text in (sheet.summary, *sheet.pains, *sheet.goals, *sheet.proof_points):
        entities |= {name_key(n) for n in named_runs(text, known)}
    points = []
    for number, text in enumerate(sheet.proof_points, start=1):
        names = named_runs(text, known)
        points.append(
            ProofPoint(
                number=number,
                text=text,
                subjects=frozenset(name_key(n) for n in names) - neutral,
                figures=frozenset(norm for _, norm in figures_in(text)),
                terms=terms_of(text, names),
            )
        )
    return SheetStructure(tuple(points), frozenset(entities), frozenset(neutral), known)
