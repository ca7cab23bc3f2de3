"""The persona review from answers given through the real start form."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from persx.profiles.models import VisitorProfileRecord

GROWTH = {
    "industry": "saas",
    "goals": ["improve-trial-to-paid", "improve-onboarding"],
    "role": "Head of Growth",
}
ODD = {"industry": "saas", "goals": ["reduce-cart-abandonment"], "role": "Marketplace Manager"}


def _answer(data: dict[str, object]) -> None:
    response = Client().post("/start/", data)
    assert response.status_code == 302


@pytest.fixture
def answered(db: None) -> None:
    for _ in range(6):
        _answer(GROWTH)
    for _ in range(6):
        _answer(ODD)
    _answer({"industry": "travel", "goals": ["increase-direct-bookings"], "role": ""})


@pytest.mark.django_db
def test_command_reports_counts_and_a_candidate_in_markdown(answered: None) -> None:
    out = StringIO()
    call_command("persx_persona_review", "--since", "90d", stdout=out)
    text = out.getvalue()
    assert text.startswith("# Persona review")
    assert "— 12 answers" in text
    records = VisitorProfileRecord.objects.filter(industry="saas")
    low = sum(1 for r in records if not r.persona or r.persona_confidence < 0.5)
    assert f"Low match confidence: {low} visitors." in text
    assert "Candidate 1: 6 visitors" in text
    assert "Marketplace Manager" in text
    assert "goal: reduce-cart-abandonment | 6 |" in text


@pytest.mark.django_db
def test_command_csv_rows_add_up(answered: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "review.csv"
    call_command(
        "persx_persona_review", "--format", "csv", "--output", str(target), stdout=StringIO()
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    saas = [r for r in rows if r["industry"] == "saas"]
    total = next(int(r["count"]) for r in saas if r["section"] == "industry")
    assert total == 12
    assert sum(int(r["count"]) for r in saas if r["section"] == "industry_month") == 12
    matched = sum(int(r["count"]) for r in saas if r["section"] == "persona")
    low = next(int(r["count"]) for r in saas if r["section"] == "low_confidence")
    assert matched <= total
    assert total - matched <= low


@pytest.mark.django_db
def test_bad_window_names_the_option() -> None:
    with pytest.raises(CommandError, match="--since"):
        call_command("persx_persona_review", "--since", "quarter", stdout=StringIO())


@pytest.mark.django_db
def test_admin_page_and_downloads(answered: None) -> None:
    user = get_user_model().objects.create_superuser("ed", "ed@example.com", "pw")
    client = Client()
    client.force_login(user)
    html = client.get("/cms/persona-review/?since=90d").content.decode()
    assert 'data-testid="persona-review"' in html
    assert html.count('data-testid="review-candidate"') == 1
    assert 'data-industry="saas"' in html
    assert client.get("/cms/persona-review/?since=nonsense").status_code == 200
    md = client.get("/cms/persona-review/review.md?since=90d")
    assert md["Content-Type"].startswith("text/markdown")
    assert b"Candidate 1: 6 visitors" in md.content
    assert client.get("/cms/persona-review/review.csv").content.startswith(b"section,industry")
    assert Client().get("/cms/persona-review/").status_code == 302
