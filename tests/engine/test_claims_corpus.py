"""The claim checker on a planted-claims corpus: adversarial sentences it must flag, more
than half of them shapes the earlier checker let through (a figure matched anywhere in the
sheet, a name matched word by word, a sentence's first word never a name, no quantity
words), and legitimate sentences it must not flag. Detection and false-positive rates are
measured here.

``OLD_CHECKER_MISSED`` was recorded by running the checker as it was at commit 64004b4
over the corpus: it raised no flag at all for any of those sentences.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persx.engine.drafting.claims import SENTENCE_END, check_claims, is_title_case
from persx.engine.drafting.port import FactSheet
from persx.engine.drafting.proof import NAME, known_words, mask_certifications, named_runs

SHEET = FactSheet(
    audience="industry:healthcare",
    version=3,
    summary="Hospitals and health systems growing patient volume.",
    pains=("Referral leakage", "Long forms on mobile"),
    goals=("More online appointment bookings",),
    tools=("Epic MyChart", "Salesforce Health Cloud"),
    proof_points=(
        "Westbrook Ridge Health raised online bookings 27% year over year.",
        "Lakeside Orthopedics cut no-show rates 18% in six months.",
        "No PHI ever touches PersX.",
        "Compliance sign-off in two weeks, on average 14 days.",
        "Harbor Point Clinics doubled self-scheduled appointments in one quarter.",
    ),
    customers=("Westbrook Ridge Health", "Lakeside Orthopedics", "Harbor Point Clinics"),
    certifications=("HIPAA", "SOC 2 Type II"),
    words_to_avoid=("cure", "revolutionary"),
    tone="Calm, specific, no hype.",
)
PRODUCT = ("PersX",)

# (sentence, the flags it must raise as (kind, claim))
OLD_CHECKER_MISSED = [
    ("Acme cut no-shows 27% in a month.", [("figure", "27%"), ("name", "Acme")]),
    ("Lakeside Orthopedics raised online bookings 27% year over year.", [("figure", "27%")]),
    ("Westbrook Ridge Health cut no-show rates 18%.", [("figure", "18%")]),
    ("Harbor Point Clinics raised online bookings 27%.", [("figure", "27%")]),
    ("Westbrook Ridge Health doubled self-scheduled appointments.", [("figure", "doubled")]),
    ("Cut no-show rates 27% in six months.", [("figure", "27%")]),
    ("Bookings up 18% year over year.", [("figure", "18%")]),
    ("Self-scheduled appointments up 27%.", [("figure", "27%")]),
    ("Ridge Health Systems grew bookings.", [("name", "Ridge Health Systems")]),
    ("Teams at Westbrook Health book more visits.", [("name", "Westbrook Health")]),
    (
        "Harbor Ridge Clinics grew bookings 27%.",
        [("figure", "27%"), ("name", "Harbor Ridge Clinics")],
    ),
    ("Lakeside Health cut no-shows.", [("name", "Lakeside Health")]),
    ("Our partners at Salesforce Orthopedics see results.", [("name", "Salesforce Orthopedics")]),
    ("Epic Health Cloud customers book more visits.", [("name", "Epic Health Cloud")]),
    ("Kaiser doubled its online bookings.", [("figure", "doubled"), ("name", "Kaiser")]),
    ("Mayo trusts PersX for scheduling.", [("name", "Mayo")]),
    ("Intermountain cut no-shows with PersX.", [("name", "Intermountain")]),
    ("Sutter saw fewer abandoned forms.", [("name", "Sutter")]),
    ("Geisinger books more visits online.", [("name", "Geisinger")]),
    ("Patient volume tripled in two weeks.", [("figure", "tripled"), ("figure", "two")]),
    ("Trusted by hundreds of health systems.", [("figure", "hundreds")]),
    ("Dozens of hospitals personalize with PersX.", [("figure", "Dozens")]),
    ("Online bookings doubled at Westbrook Ridge Health.", [("figure", "doubled")]),
    ("No-show rates fell by half.", [("figure", "half")]),
    ("A tenfold lift in self-scheduled appointments.", [("figure", "tenfold")]),
    ("Thousands of patients book online every day.", [("figure", "Thousands")]),
    ("Twice the bookings in half the time.", [("figure", "Twice"), ("figure", "half")]),
    ("Forms are three times shorter.", [("figure", "three")]),
    ("Compliance sign-off in twelve days.", [("figure", "twelve")]),
    ("Harbor Point Clinics tripled self-scheduled appointments.", [("figure", "tripled")]),
]
OLD_CHECKER_CAUGHT = [
    ("Lift bookings by 42% in a quarter.", [("figure", "42%")]),
    ("Get 3x more appointments.", [("figure", "3x")]),
    ("Save $1.2M a year on acquisition.", [("figure", "$1.2M")]),
    ("Trusted by 12,000 clinicians.", [("figure", "12,000")]),
    ("Live in 90 days.", [("figure", "90")]),
    ("Mercy General doubled its bookings.", [("figure", "doubled"), ("name", "Mercy General")]),
    ("Teams like Northwind Clinics personalize with us.", [("name", "Northwind Clinics")]),
    ("Certified ISO 27001 for peace of mind.", [("certification", "ISO 27001")]),
    ("HITRUST certified.", [("certification", "HITRUST")]),
    ("Audited to SOC 1.", [("certification", "SOC 1")]),
    ("Cut no-shows by 63%.", [("figure", "63%")]),
    ("Bookings up 41% in a month.", [("figure", "41%")]),
    ("Partners like Cleveland Clinic trust us.", [("name", "Cleveland Clinic")]),
    ("Over 500 hospitals use PersX.", [("figure", "500")]),
    ("PCI DSS compliant checkout.", [("certification", "PCI DSS")]),
    ("Chosen by Banner Health.", [("name", "Banner")]),
]
LEGITIMATE = [
    "Westbrook Ridge Health raised online bookings 27% year over year.",
    "Online bookings rose 27% year over year at Westbrook Ridge Health.",
    "Lakeside Orthopedics cut no-show rates 18% in six months.",
    "Harbor Point Clinics doubled self-scheduled appointments in one quarter.",
    "Self-scheduled appointments doubled at Harbor Point Clinics.",
    "No PHI ever touches PersX.",
    "Compliance sign-off takes two weeks, 14 days on average.",
    "HIPAA-ready and SOC 2 Type II.",
    "Works with Epic MyChart and Salesforce Health Cloud.",
    "Personalize find-a-doctor pages by service line.",
    "Book a walkthrough with our healthcare team.",
    "Patients find the right provider faster.",
    "Health systems fill open appointment slots from the pages patients already visit.",
    "See how Westbrook Ridge Health grew online bookings.",
    "Shorter forms on mobile mean fewer abandoned bookings.",
    "Lakeside Orthopedics trimmed no-show rates by 18%.",
    "Referral leakage drops when every page answers the patient's question.",
    "Talk to a strategist about your scheduling journeys.",
    "Every change is measured against a holdout.",
    "Westbrook cut the wait for online bookings.",
    "Salesforce Health Cloud data stays where it is.",
    "Give each service line its own landing page.",
]

ADVERSARIAL = OLD_CHECKER_MISSED + OLD_CHECKER_CAUGHT


def flags_of(sentence: str) -> set[tuple[str, str]]:
    return {(f.kind, f.claim) for f in check_claims({"text": sentence}, SHEET, PRODUCT)}


def test_the_corpus_is_big_enough_and_half_of_it_beat_the_old_checker() -> None:
    assert len(ADVERSARIAL) >= 40
    assert len(OLD_CHECKER_MISSED) >= len(ADVERSARIAL) / 2
    assert len(LEGITIMATE) >= 20


@pytest.mark.parametrize(("sentence", "expected"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_each_adversarial_sentence_raises_its_flags(
    sentence: str, expected: list[tuple[str, str]]
) -> None:
    assert set(expected) <= flags_of(sentence)


@pytest.mark.parametrize("sentence", LEGITIMATE)
def test_each_legitimate_sentence_raises_none(sentence: str) -> None:
    assert flags_of(sentence) == set()


def test_detection_and_false_positive_rates() -> None:
    detected = sum(bool(flags_of(s)) for s, _ in ADVERSARIAL)
    false_positives = sum(bool(flags_of(s)) for s in LEGITIMATE)
    assert (detected, len(ADVERSARIAL)) == (len(ADVERSARIAL), 46)
    assert (false_positives, len(LEGITIMATE)) == (0, 22)
    # the legitimate sentences together, as one draft's fields, stay clean too
    draft = {"intro": " ".join(LEGITIMATE[:11]), "details": " ".join(LEGITIMATE[11:])}
    assert check_claims(draft, SHEET, PRODUCT) == []


DEMO_DATA = Path(__file__).resolve().parents[2] / "persx" / "demo" / "data"
# Every capitalised sentence start in the demo's pages and drafts that the checker reads
# as a name (not ordinary English): people, companies, products, trade terms; no ordinary
# word among them, so the sentence-initial rule adds no false flag there.
DEMO_SENTENCE_START_NAMES = {
    "AEP",  # Medicare's Annual Enrollment Period
    "Aisha Bello",
    "Alder",  # Alder & Finch
    "Danielle Whitford",
    "Elena Costa",
    "HubSpot",
    "Jess Marlowe",
    "Jonah Feld",
    "Klaviyo",
    "Luca Ferraro",
    "Maren Coast Hotels",
    "Maya Lindqvist",
    "Nadia Okafor",
    "Owen Pryce",
    "PersX",
    "Priyanka Nair",
    "Quarry Bank",
    "Renee Castillo",
    "VP Marketing",
    "Westbrook Ridge",
}


def _demo_texts() -> list[str]:
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str) and " " in value and not value.startswith("/"):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for name in ("site.json", "ai_drafts.json"):
        walk(json.loads((DEMO_DATA / name).read_text(encoding="utf-8")))
    return texts


def test_sentence_initial_words_of_the_demo_content_are_names_only_when_they_are() -> None:
    starts = set()
    texts = _demo_texts()
    for text in texts:
        known, title_case = known_words(text), is_title_case(text)
        for sentence in SENTENCE_END.split(text):
            first = NAME.match(mask_certifications(sentence).lstrip(" \"“‘'(—–-*"))
            for name in named_runs(sentence, known, title_case):
                if title_case or (first and name.split()[0] == first.group().split()[0]):
                    starts.add(name)
    assert len(texts) > 800
    assert starts == DEMO_SENTENCE_START_NAMES
