"""The claim checker on planted claims: it catches every planted figure, name and
certification, and never flags what the fact sheet itself says."""

from __future__ import annotations

from typing import Any

import pytest

from persx.engine.drafting.claims import check_claims
from persx.engine.drafting.port import FactSheet

SHEET = FactSheet(
    audience="industry:healthcare",
    version=3,
    summary="Hospitals and health systems growing patient volume.",
    pains=("Referral leakage", "Long forms on mobile"),
    goals=("More online appointment bookings",),
    tools=("Epic MyChart", "Salesforce Health Cloud"),
    proof_points=(
        "Westbrook Ridge Health raised online bookings 27% year over year.",
        "No PHI ever touches PersX.",
        "Compliance sign-off in two weeks, on average 14 days.",
    ),
    customers=("Westbrook Ridge Health",),
    certifications=("HIPAA", "SOC 2 Type II"),
    words_to_avoid=("cure", "revolutionary"),
    tone="Calm, specific, no hype.",
)
ALLOWED = ("PersX", "Book", "See", "Get", "Personalize")


def flagged(content: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f.kind, f.claim) for f in check_claims(content, SHEET, ALLOWED)}


def test_the_sheets_own_claims_are_never_flagged() -> None:
    clean = {
        "headline": "Westbrook Ridge Health raised online bookings 27% year over year",
        "subheadline": "HIPAA-ready and SOC 2 Type II. No PHI ever touches PersX. "
        "Compliance sign-off in 14 days with Epic MyChart and Salesforce Health Cloud.",
        "cta_label": "Book a demo",
    }
    assert flagged(clean) == set()


PLANTED = [
    ("figure", "42%", "Lift bookings by 42% in a quarter"),
    ("figure", "3x", "Get 3x more appointments"),
    ("figure", "$1.2M", "Save $1.2M a year on acquisition"),
    ("figure", "12,000", "Trusted by 12,000 clinicians"),
    ("figure", "90", "Live in 90 days"),
    ("name", "Mercy General", "Mercy General doubled its bookings"),
    ("name", "Northwind Clinics", "Teams like Northwind Clinics personalize with us"),
    ("certification", "ISO 27001", "Certified ISO 27001 for peace of mind"),
    ("certification", "HITRUST", "HITRUST certified"),
    ("certification", "SOC 1", "Audited to SOC 1"),
    ("avoided_word", "revolutionary", "A revolutionary patient journey"),
    ("tone", "!", "Book today!"),
    ("tone", "guaranteed", "Results guaranteed within a quarter"),
]


@pytest.mark.parametrize(("kind", "claim", "sentence"), PLANTED, ids=[p[1] for p in PLANTED])
def test_each_planted_claim_is_caught(kind: str, claim: str, sentence: str) -> None:
    assert (kind, claim) in flagged({"headline": sentence})


def test_all_planted_claims_in_one_draft_across_fields() -> None:
    content = {
        "headline": PLANTED[0][2],
        "intro": " ".join(p[2] + "." for p in PLANTED[1:7]),
        "features": [{"title": "Security", "text": " ".join(p[2] for p in PLANTED[7:10])}],
        "reasons": [p[2] for p in PLANTED[10:]],
    }
    found = flagged(content)
    missed = [(k, c) for k, c, _ in PLANTED if (k, c) not in found]
    assert missed == []
    fields = {f.field for f in check_claims(content, SHEET, ALLOWED)}
    assert {"headline", "intro", "features.0.text", "reasons.0", "reasons.1"} <= fields


def test_links_are_not_claims() -> None:
    assert flagged({"cta_url": "/contact/?utm=2024", "cta_label": "Talk to us"}) == set()


def test_shouting_is_a_tone_flag_but_the_sheets_certifications_are_not() -> None:
    assert ("tone", "FREE") in flagged({"headline": "Book a FREE demo"})
    assert not {f for f in flagged({"headline": "HIPAA-ready"}) if f[0] == "tone"}


def test_nested_values_are_checked_with_their_path_and_other_values_are_skipped() -> None:
    content: dict[str, Any] = {
        "meta": {"note": "Bookings up 41% in a month"},
        "features": [{"title": "Calm scheduling", "text": "Cut no-shows by 63%"}, 3],
        "count": 7,
    }
    flags = check_claims(content, SHEET, ALLOWED)
    assert {(f.field, f.claim) for f in flags if f.kind == "figure"} == {
        ("meta.note", "41%"),
        ("features.0.text", "63%"),
    }


ISSUE_16 = [
    ("Acme cut no-shows 27% in a month", {("name", "Acme"), ("figure", "27%")}),
    ("Ridge Health Systems grew bookings", {("name", "Ridge Health Systems")}),
    ("Kaiser doubled its online bookings", {("name", "Kaiser"), ("figure", "doubled")}),
    ("Patient volume tripled in two weeks", {("figure", "tripled")}),
    ("Trusted by hundreds of health systems", {("figure", "hundreds")}),
]


@pytest.mark.parametrize(("sentence", "expected"), ISSUE_16, ids=[i[0] for i in ISSUE_16])
def test_the_shapes_the_old_checker_let_through_are_caught(
    sentence: str, expected: set[tuple[str, str]]
) -> None:
    assert expected <= flagged({"headline": sentence})


def test_a_sheet_figure_must_come_from_the_proof_point_about_the_same_thing() -> None:
    assert flagged({"headline": "Online bookings up 27% year over year"}) == set()
    (flag,) = check_claims({"headline": "No-shows down 27%"}, SHEET, ALLOWED)
    assert flag.message == "“27%” comes from proof point 1, which is not a claim like this one"
    (flag,) = check_claims({"headline": "Westbrook Ridge Health cut no-shows 27%"}, SHEET, ALLOWED)
    assert "about Westbrook Ridge Health" in flag.message


def test_a_quantity_in_words_is_backed_by_the_same_quantity_in_figures() -> None:
    sheet = FactSheet(
        "industry:saas",
        1,
        proof_points=("Relaydesk saw 2x more demo requests.", "Trials grew tenfold in a year."),
        customers=("Relaydesk",),
    )
    assert check_claims({"text": "Relaydesk doubled its demo requests."}, sheet) == []
    assert check_claims({"text": "Trials grew 10x."}, sheet) == []
    assert {f.claim for f in check_claims({"text": "Trials grew threefold."}, sheet)} == {
        "threefold"
    }
    assert {f.claim for f in check_claims({"text": "Demo requests halved."}, sheet)} == {"halved"}


def test_a_title_case_headline_is_read_word_by_word() -> None:
    headline = {"headline": "Grow Online Bookings With Epic MyChart And Westbrook Ridge Health"}
    assert flagged(headline) == set()
    assert flagged({"headline": "Grow Online Bookings Like Ridgeway Medical"}) == {
        ("name", "Ridgeway Medical")
    }
