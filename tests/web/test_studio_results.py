"""Inline results and learning from them, from real events: exposures and conversions are
stored, the rollups run, the reports judge, and the studio shows it.

- a measured variant's cell (and the preview) shows its PLI, interval and verdict wording,
  linking to the report;
- the "underperforming" state comes from a real report verdict, and retiring the loser
  takes it off the page (a new revision) with its provenance kept;
- winners reach the drafting prompt (sent through the fake transport) as examples for the
  same block type and industry; losers do not.

Expected numbers come from the engine's statistics on the counts planted here (the engine
is checked against reference values in tests/engine/statistics); the wording is written out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client

from persx.analytics.services import update_rollups
from persx.charts.number_format import count, percent
from persx.content.models import StandardPage
from persx.engine.statistics import relative_lift, underperformance_verdict
from persx.experiments.mappers import to_definition
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.studio.cell_state import CellState
from persx.studio.coverage import build_matrix
from persx.studio.models import Draft, RetiredVariant, VariantReview
from persx.studio.results import VariantResult, invalidate_results
from persx.studio.services import request_draft
from tests.web.analytics_events import EventLog, at
from tests.web.conftest import SITE_DATA, client_with_profile, variants
from tests.web.test_studio_actions import EchoApi, provider_for

pytestmark = pytest.mark.django_db

# (industry, control visitors, control conversions, treatment visitors, conversions)
LOSER = ("travel", 1500, 300, 1500, 150)  # −50%: underperforming on evidence
WINNER = ("saas", 1500, 150, 1500, 300)  # +100%: on target on evidence
UNSURE = ("healthcare", 100, 10, 100, 12)  # +20%, far too few visitors


@pytest.fixture(autouse=True)
def fresh_results() -> Iterator[None]:
    invalidate_results()
    invalidate_experiments()
    yield
    invalidate_results()
    invalidate_experiments()


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def contact_block(block_type: str) -> str:
    return next(b["id"] for b in contact().body.raw_data if b["type"] == block_type)


@pytest.fixture
def measured() -> Experiment:
    """A running experiment on the contact page with the three planted outcomes."""
    experiment = Experiment.objects.create(
        key="exp-contact",
        name="Contact page PLI",
        status=Experiment.Status.RUNNING,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value=str(contact().pk),
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
    )
    log = EventLog()
    for industry, c_visitors, c_conv, t_visitors, t_conv in (LOSER, WINNER, UNSURE):
        for arm, visitors, conversions in (
            ("control", c_visitors, c_conv),
            ("personalized", t_visitors, t_conv),
        ):
            for i in range(visitors):
                visitor = f"{industry}-{arm}-{i}"
                log.exposure(
                    visitor, at(i % 7), experiment=experiment.key, arm=arm, industry=industry
                )
                if i < conversions:
                    log.event("form_submission", visitor, at(i % 7, 12))
    log.save()
    update_rollups()
    return experiment


def expected_text(c_visitors: int, c_conv: int, t_visitors: int, t_conv: int, words: str) -> str:
    lift = relative_lift(c_conv, c_visitors, t_conv, t_visitors)
    interval = f"{percent(lift.lower, 0, signed=True)} to {percent(lift.upper, 0, signed=True)}"
    return f"{percent(lift.lift, 0, signed=True)} ({interval}), {words}"


def matrix_cell(html: str, block_id: str, audience: str) -> str:
    row = html.split(f'data-block="{block_id}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(rf'<td[^>]*data-audience="{re.escape(audience)}".*?</td>', row, re.S)
    assert found is not None
    return found.group(0)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def test_cells_show_pli_interval_and_verdict_linking_to_the_report(
    admin_client: Client, measured: Experiment
) -> None:
    _, c_visitors, c_conv, t_visitors, t_conv = UNSURE
    verdict = underperformance_verdict(c_conv, c_visitors, t_conv, t_visitors, target=0.10)
    assert (verdict.visitors_still_needed or 0) > 0
    words = f"insufficient data: ~{count(verdict.visitors_still_needed)} more visitors"
    expected = expected_text(c_visitors, c_conv, t_visitors, t_conv, words)
    assert expected.startswith("+20% (")

    html = admin_client.get("/cms/studio/coverage/?industry=healthcare").content.decode()
    cell = matrix_cell(html, contact_block("hero"), "industry:healthcare")
    assert 'data-state="live"' in cell
    assert text_of(cell).endswith(expected)  # the PLI shown, the rest for screen readers
    assert 'href="/cms/measurement/experiments/exp-contact/"' in cell
    # Blocks of other pages are outside the experiment's scope: no result there.
    home_hero = next(
        r.block_id
        for r in build_matrix(underperforming=[]).rows
        if r.page_path == "/" and r.block_type == "hero"
    )
    assert "cell-result" not in matrix_cell(html, home_hero, "industry:healthcare")

    preview = admin_client.get(
        "/cms/studio/preview/",
        {"page": contact().pk, "block": contact_block("hero"), "audience": "industry:healthcare"},
    ).content.decode()
    shown = re.search(r'data-testid="preview-result"[^>]*>(.*?)</p>', preview, re.S)
    assert shown is not None
    assert expected in text_of(shown.group(1))


def test_results_say_unit_metric_family_and_adjustment(
    admin_client: Client, measured: Experiment
) -> None:
    """As the report pages do: the inline result is a visitor-level, unadjusted estimate of
    the conversion metric (the variant rows count visitors of the primary metric)."""
    basis = "visitor-level, conversion (form_submission), unadjusted"
    html = admin_client.get("/cms/studio/coverage/?industry=healthcare").content.decode()
    cell = matrix_cell(html, contact_block("hero"), "industry:healthcare")
    assert f'data-result-basis="{basis}"' in cell
    assert f"PLI, {basis}:" in text_of(cell)  # read out before the number
    assert basis in re.search(r'title="([^"]*)" data-testid="cell-result"', cell).group(1)  # type: ignore[union-attr]
    preview = admin_client.get(
        "/cms/studio/preview/",
        {"page": contact().pk, "block": contact_block("hero"), "audience": "industry:healthcare"},
    ).content.decode()
    shown = re.search(r'data-testid="preview-result-basis">(.*?)</span>', preview, re.S)
    assert shown is not None
    assert shown.group(1) == basis
    # The report's words for the same experiment: unit, family, adjustment.
    report = admin_client.get("/cms/measurement/experiments/exp-contact/").content.decode()
    assert "unit: visitor" in text_of(report)


def test_basis_names_a_wider_account_level_report() -> None:
    result = VariantResult(
        "industry:saas",
        "exp",
        "site",
        "",
        "",
        None,
        None,
        None,
        0,
        metric="form_submission",
        report_unit="account",
    )
    assert result.basis == (
        "visitor-level (the report's account-level interval is wider), "
        "conversion (form_submission), unadjusted"
    )


def test_underperforming_comes_from_the_report_and_retire_takes_it_off_the_page(
    admin_client: Client, measured: Experiment
) -> None:
    hero = contact_block("hero")
    _, c_visitors, c_conv, t_visitors, t_conv = LOSER
    verdict = underperformance_verdict(c_conv, c_visitors, t_conv, t_visitors, target=0.10)
    assert verdict.status.value == "underperforming"
    html = admin_client.get("/cms/studio/coverage/?industry=travel").content.decode()
    cell = matrix_cell(html, hero, "industry:travel")
    assert 'data-state="underperforming"' in cell
    words = "underperforming: below the +10% target on evidence"
    assert expected_text(c_visitors, c_conv, t_visitors, t_conv, words) in text_of(cell)
    on_target = build_matrix()
    row = next(r for r in on_target.rows if r.block_id == hero)
    states = {c.audience: c.state for c in row.cells}
    assert states["industry:travel"] is CellState.UNDERPERFORMING
    assert states["industry:saas"] is CellState.LIVE  # a winner is live, not flagged

    # A travel visitor in the personalized arm is served the variant, until it is retired.
    definition = to_definition(measured)
    visitor = next(
        f"{i:032x}"
        for i in range(1, 500)
        if (arm := definition.arm_for(f"{i:032x}")) is not None and arm.key == "personalized"
    )
    travel_content = next(
        v["content"]
        for b in SITE_DATA["contact"]["body"]
        if b["type"] == "hero"
        for v in b["variants"]
        if v["audience"] == "industry:travel"
    )

    def served() -> str:
        response = client_with_profile("travel", visitor_id=visitor).get("/contact/")
        return dict(variants(response.content))["hero"]

    assert served() == "industry:travel"
    VariantReview.objects.create(
        page=contact(), block_id=hero, audience="industry:travel", reviewed_at=at(0)
    )
    revisions = contact().revisions.count()

    refused = admin_client.post(
        "/cms/studio/retire/",
        {"page": contact().pk, "block": hero, "audience": "industry:travel", "reason": " "},
    )
    assert refused.status_code == 400
    assert refused.content.decode().startswith("reason: ")
    not_flagged = admin_client.post(
        "/cms/studio/retire/",
        {"page": contact().pk, "block": hero, "audience": "industry:saas", "reason": "why not"},
    )
    assert not_flagged.status_code == 400
    assert not_flagged.content.decode().startswith("audience: ")
    assert contact().revisions.count() == revisions

    response = admin_client.post(
        "/cms/studio/retire/",
        {
            "page": contact().pk,
            "block": hero,
            "audience": "industry:travel",
            "reason": "Underperforming on the contact page PLI report",
            "next": "/cms/studio/coverage/?industry=travel",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/cms/studio/coverage/?industry=travel"
    assert contact().revisions.count() == revisions + 1
    assert served() == "generic"
    retired = RetiredVariant.objects.get()
    assert (retired.audience, retired.block_type, retired.experiment) == (
        "industry:travel",
        "hero",
        "exp-contact",
    )
    assert retired.content == travel_content
    assert retired.reviewed_at == at(0)
    assert retired.revision_id == contact().latest_revision.pk
    assert not VariantReview.objects.filter(audience="industry:travel").exists()
    after = admin_client.get("/cms/studio/coverage/?industry=travel").content.decode()
    assert 'data-state="generic"' in matrix_cell(after, hero, "industry:travel")


def test_winners_are_the_prompt_examples_for_their_block_type_and_industry(
    measured: Experiment,
) -> None:
    hero = contact_block("hero")
    saas_hero = next(
        v["content"]
        for b in SITE_DATA["contact"]["body"]
        if b["type"] == "hero"
        for v in b["variants"]
        if v["audience"] == "industry:saas"
    )
    travel_hero = next(
        v["content"]
        for b in SITE_DATA["contact"]["body"]
        if b["type"] == "hero"
        for v in b["variants"]
        if v["audience"] == "industry:travel"
    )
    api = EchoApi()
    draft = request_draft(contact(), hero, "persona:saas-demand-gen", provider_for(api))
    assert isinstance(draft, Draft)
    (prompt,) = api.prompts()
    assert "Variants of this block type that won experiments (for style):" in prompt
    examples = prompt.split("won experiments (for style):", 1)[1]
    assert saas_hero["headline"] in examples
    assert travel_hero["headline"] not in examples  # a loser, and another industry

    # Another industry's cell gets no saas example; a travel cell gets none (it lost).
    api = EchoApi()
    request_draft(contact(), hero, "persona:travel-loyalty-crm", provider_for(api))
    assert "won experiments" not in api.prompts()[0]
    # Another block type gets no hero example.
    api = EchoApi()
    request_draft(contact(), contact_block("testimonial"), "industry:saas", provider_for(api))
    assert saas_hero["headline"] not in api.prompts()[0].split("Generic version", 1)[1]


@pytest.mark.parametrize(
    ("status", "lift", "interval", "needed", "text"),
    [
        ("", None, None, None, "no visitors in both arms yet"),
        (
            "insufficient_data",
            0.05,
            None,
            None,
            "+5% (interval not yet bounded), insufficient data: no conversions in the "
            "control arm yet",
        ),
        (
            "undecided",
            0.1,
            (0.02, 0.2),
            0,
            "+10% (+2% to +20%), undecided: close to the +10% target",
        ),
        (
            "not_underperforming",
            0.31,
            (0.12, 0.52),
            None,
            "+31% (+12% to +52%), on target: at or above +10% on evidence",
        ),
        (
            "insufficient_data",
            0.18,
            (-0.02, 0.41),
            3100,
            "+18% (−2% to +41%), insufficient data: ~3,100 more visitors",
        ),
    ],
)
def test_result_wording(
    status: str,
    lift: float | None,
    interval: tuple[float, float] | None,
    needed: int | None,
    text: str,
) -> None:
    result = VariantResult(
        "industry:saas",
        "exp",
        "site",
        "",
        status,
        lift,
        interval[0] if interval else None,
        interval[1] if interval else None,
        100,
        needed,
    )
    assert result.text == text
    assert result.winner is (status == "not_underperforming")
