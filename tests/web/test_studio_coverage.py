"""The coverage matrix on the seeded demo: states, counts, filter, CSV, command, admin page.

The expected cells are read from the demo's own data file (site.json), not from the code
under test: a block's variants decide whether an audience has its own variant, inherits
its industry's, or gets generic.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from persx.content.models import StandardPage
from persx.demo.ai_drafts import DRAFTS_FILE
from persx.studio.cell_state import CellState
from persx.studio.coverage import build_matrix
from persx.studio.models import Draft, VariantReview
from persx.studio.results import Underperforming
from tests.web.conftest import INDUSTRIES, SITE_DATA

pytestmark = pytest.mark.django_db

PERSONALIZABLE = {
    "hero",
    "feature_grid",
    "contact_form",
    "cta",
    "testimonial",
    "related",
    "newsletter_signup",
}


DEMO_DRAFTS = json.loads(DRAFTS_FILE.read_text())["drafts"]


def demo_blocks() -> list[tuple[str, str, set[str]]]:
    """(page title, block type, audiences with a variant or a seeded draft) for every
    personalizable block; drafted audiences are marked ``draft:<audience>``."""
    found = []
    for key in ("home", "about", "contact"):
        for block in SITE_DATA[key]["body"]:
            if block["type"] in PERSONALIZABLE:
                audiences = {v["audience"] for v in block.get("variants", [])}
                audiences |= {
                    f"draft:{d['audience']}"
                    for d in DEMO_DRAFTS
                    if (d["page"], d["block_type"]) == (key, block["type"])
                }
                found.append((SITE_DATA[key]["title"], block["type"], audiences))
    signup = SITE_DATA["blog"]["signup"]  # after every post
    for post in SITE_DATA["blog"]["posts"]:
        if post.get("cta"):
            audiences = {v["audience"] for v in post["cta"].get("variants", [])}
            found.append((post["title"], "cta", audiences))
        found.append((post["title"], signup["type"], {v["audience"] for v in signup["variants"]}))
    return found


def expected_state(audiences: set[str], column: str) -> CellState:
    if column in audiences:
        return CellState.LIVE
    if f"draft:{column}" in audiences:
        return CellState.DRAFT
    if column.startswith("persona:"):
        industry = next(i for i in INDUSTRIES if column.removeprefix("persona:").startswith(i))
        if f"industry:{industry}" in audiences:
            return CellState.INHERITED
    return CellState.GENERIC


def test_every_demo_block_and_audience_has_the_state_its_data_implies() -> None:
    matrix = build_matrix(underperforming=[])
    assert len(matrix.columns) == 5 + 15
    assert [c.key for c in matrix.columns if c.kind == "industry"] == [
        f"industry:{i}" for i in INDUSTRIES
    ]
    expected = demo_blocks()
    assert sorted((r.page_title, r.block_type) for r in matrix.rows) == sorted(
        (title, block_type) for title, block_type, _ in expected
    )
    by_row = {(r.page_title, r.block_type): r for r in matrix.rows}
    for title, block_type, audiences in expected:
        row = by_row[(title, block_type)]
        for col, cell in zip(matrix.columns, row.cells, strict=True):
            assert cell.state is expected_state(audiences, col.key), (title, block_type, col.key)


def test_counts_per_column_add_up_and_coverage_counts_served_cells() -> None:
    matrix = build_matrix(underperforming=[])
    for index, col in enumerate(matrix.columns):
        states = [row.cells[index].state for row in matrix.rows]
        assert sum(matrix.counts[col.key].values()) == len(matrix.rows)
        for state in CellState:
            assert matrix.counts[col.key][state] == states.count(state)
    served = sum(
        1
        for _, _, audiences in demo_blocks()
        for col in matrix.columns
        if expected_state(audiences, col.key) in (CellState.LIVE, CellState.INHERITED)
    )
    assert matrix.served_count == served
    assert matrix.coverage == pytest.approx(served / (len(matrix.rows) * 20))


def test_filter_by_industry_keeps_the_industry_and_its_personas() -> None:
    matrix = build_matrix(industry="travel", underperforming=[])
    assert [c.key for c in matrix.columns] == [
        "industry:travel",
        "persona:travel-hotel-direct-bookings",
        "persona:travel-ancillary-revenue",
        "persona:travel-loyalty-crm",
    ]
    assert all(len(r.cells) == 4 for r in matrix.rows)


def _contact_block(block_type: str) -> tuple[StandardPage, str]:
    page = StandardPage.objects.get(slug="contact")
    block_id = next(b["id"] for b in page.body.raw_data if b["type"] == block_type)
    return page, block_id


def _cell(block_type: str, audience: str, **kwargs: Any) -> Any:
    matrix = build_matrix(**{"underperforming": [], **kwargs})
    row = next(r for r in matrix.rows if r.page_path == "/contact/" and r.block_type == block_type)
    return next(c for c in row.cells if c.audience == audience)


def test_pending_draft_stale_review_and_underperforming_flags_reach_their_cells() -> None:
    page, hero = _contact_block("hero")
    Draft.objects.create(
        page=page,
        block_id=hero,
        block_type="hero",
        audience="persona:saas-growth-lead",
        content={"headline": "x"},
    )
    assert _cell("hero", "persona:saas-growth-lead").state is CellState.DRAFT
    assert _cell("hero", "industry:saas").has_draft is False

    VariantReview.objects.create(
        page=page,
        block_id=hero,
        audience="industry:saas",
        reviewed_at=datetime.now(UTC) - timedelta(days=91),
    )
    assert _cell("hero", "industry:saas").state is CellState.STALE
    assert _cell("hero", "industry:travel").state is CellState.LIVE

    flag = Underperforming("industry:travel", "exp", "block_type", "hero", "below target")
    assert _cell("hero", "industry:travel", underperforming=[flag]).state is (
        CellState.UNDERPERFORMING
    )
    assert _cell("testimonial", "industry:travel", underperforming=[flag]).state is (CellState.LIVE)
    other_page = Underperforming("industry:travel", "exp", "page", str(page.pk + 999), "")
    assert _cell("hero", "industry:travel", underperforming=[other_page]).state is CellState.LIVE


def test_a_scheduled_variant_shows_as_scheduled_and_its_personas_lose_the_inheritance() -> None:
    page, hero = _contact_block("hero")
    raw = page.body.raw_data
    for block in raw:
        if block["id"] == hero:
            for item in block["value"]["variants"]:
                value = item.get("value", item)
                if value["audience"] == "industry:saas":
                    value["live_from"] = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    page.body = raw
    page.save_revision().publish()
    cell = _cell("hero", "industry:saas")
    assert cell.state is CellState.SCHEDULED
    assert cell.detail.startswith("upcoming: from ")
    assert _cell("hero", "persona:saas-growth-lead").state is CellState.GENERIC


def test_admin_page_renders_the_matrix_with_counts(admin_client: Client) -> None:
    response = admin_client.get("/cms/studio/coverage/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="coverage-row"') == len(demo_blocks())
    assert html.count('class="px-cell') == len(demo_blocks()) * 20
    assert 'data-testid="coverage-counts"' in html
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.strip().startswith("Variant coverage")
    assert "<" not in title  # a script tag in the title block shows as text in the tab
    assert html.count("persx_studio/coverage.js") == 1


def test_admin_page_filter_and_bad_filter(admin_client: Client) -> None:
    html = admin_client.get("/cms/studio/coverage/?industry=saas").content.decode()
    assert html.count('class="px-cell') == len(demo_blocks()) * 4
    bad = admin_client.get("/cms/studio/coverage/?industry=mining")
    assert bad.status_code == 400
    assert b"industry" in bad.content


def test_studio_needs_an_admin_login(client: Client) -> None:
    for url in ("/cms/studio/coverage/", "/cms/studio/coverage.csv", "/cms/studio/preview/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_csv_export_matches_the_matrix(admin_client: Client) -> None:
    response = admin_client.get("/cms/studio/coverage.csv?industry=healthcare")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "coverage-healthcare.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(demo_blocks())
    expected = {(title, block_type): audiences for title, block_type, audiences in demo_blocks()}
    columns = [c for c in rows[0] if c.startswith(("industry:", "persona:"))]
    assert columns[0] == "industry:healthcare"
    assert len(columns) == 4
    for row in rows:
        audiences = expected[(row["page"], row["block_type"])]
        for column in columns:
            assert row[column] == expected_state(audiences, column).value, (row, column)


def test_command_prints_the_matrix_and_fails_under_a_threshold() -> None:
    out = io.StringIO()
    call_command("persx_coverage", "--fail-under", "10%", stdout=out)
    text = out.getvalue()
    assert "Coverage:" in text
    assert "OK: at or above 10%" in text
    coverage = build_matrix().coverage
    with pytest.raises(CommandError, match="under --fail-under 99%"):
        call_command("persx_coverage", "--fail-under", "99", stdout=io.StringIO())
    assert coverage < 0.99


def test_command_csv_and_bad_arguments() -> None:
    out = io.StringIO()
    call_command("persx_coverage", "--csv", "--industry", "saas", stdout=out)
    header = out.getvalue().splitlines()[0].split(",")
    assert header[5:] == [
        "industry:saas",
        "persona:saas-growth-lead",
        "persona:saas-demand-gen",
        "persona:saas-customer-marketing",
    ]
    with pytest.raises(CommandError, match="--industry"):
        call_command("persx_coverage", "--industry", "mining", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--fail-under"):
        call_command("persx_coverage", "--fail-under", "lots", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--fail-under"):
        call_command("persx_coverage", "--fail-under", "150%", stdout=io.StringIO())


def test_the_demo_ships_marked_ai_drafts_awaiting_review_once() -> None:
    from persx.demo.ai_drafts import seed_ai_drafts

    drafts = Draft.objects.filter(status=Draft.Status.PENDING)
    assert drafts.count() == len(DEMO_DRAFTS)
    assert {d.origin for d in drafts} == {"ai"}
    assert all(d.model_name.startswith("demo (pre-made") for d in drafts)
    flagged = [d for d in drafts if d.flags]
    assert [(f["kind"], f["claim"]) for d in flagged for f in d.flags] == [("figure", "41%")]
    assert seed_ai_drafts() == []
    assert drafts.count() == len(DEMO_DRAFTS)
