"""The fact-sheet form in the studio: per industry and persona, starting from the
catalog's values, saving a new version through ``save_fact_sheet`` (and only when
something changed), validation errors naming the field with nothing saved, and drafts
grounded in the version saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from persx.studio.models import Draft, FactSheet
from persx.studio.services import request_draft
from tests.web.test_studio_actions import EchoApi, contact_hero, provider_for

pytestmark = pytest.mark.django_db

PERSONA = "persona:saas-demand-gen"
URL = f"/cms/studio/fact-sheets/{PERSONA}/"
CATALOG = json.loads(
    (Path(settings.BASE_DIR) / "persx" / "catalog" / "data" / "catalog.json").read_text()
)
DIANA = next(p for p in CATALOG["personas"] if p["slug"] == "saas-demand-gen")
SHEET = {
    "summary": "Demand generation lead at a B2B SaaS company.",
    "pains": "Target accounts bounce from generic pages\nSales cannot see intent",
    "goals": "More demo requests from Tier 1 accounts",
    "tools": "HubSpot\nSalesforce",
    "proof_points": "Relaydesk raised Tier 1 demo requests 34% in one quarter.",
    "customers": "Relaydesk",
    "certifications": "SOC 2 Type II",
    "words_to_avoid": "revolutionary\nsynergy",
    "tone": "Plain and specific, no hype.",
}


def test_the_list_has_every_audience_and_the_form_starts_from_the_catalog(
    admin_client: Client,
) -> None:
    listing = admin_client.get("/cms/studio/fact-sheets/").content.decode()
    assert listing.count('data-testid="fact-sheet-row"') == 5 + 15
    assert f'data-audience="{PERSONA}"' in listing
    html = admin_client.get(URL).content.decode()
    assert "version 0" in html
    assert DIANA["pain_points"][0] in html  # the catalog's pains, ready to edit


def test_saving_makes_a_new_version_only_when_something_changed(admin_client: Client) -> None:
    response = admin_client.post(URL, SHEET, follow=True)
    assert response.status_code == 200
    assert "as version 1" in response.content.decode()
    sheet = FactSheet.objects.get(audience=PERSONA)
    assert (sheet.version, sheet.customers, sheet.tone) == (1, "Relaydesk", SHEET["tone"])
    assert sheet.tools == "HubSpot\nSalesforce"

    again = admin_client.post(URL, SHEET, follow=True)
    assert "stays at version 1" in again.content.decode()
    changed = admin_client.post(URL, {**SHEET, "tone": "Warm, plain."}, follow=True)
    assert "as version 2" in changed.content.decode()
    assert FactSheet.objects.get(audience=PERSONA).version == 2

    api = EchoApi()
    page, hero = contact_hero()
    draft = request_draft(page, hero, PERSONA, provider_for(api))
    assert isinstance(draft, Draft)
    assert draft.fact_sheet_version == "2"
    prompt = api.prompts()[0]
    assert "Fact sheet version 2" in prompt
    assert "Relaydesk raised Tier 1 demo requests 34% in one quarter." in prompt
    assert "Tone: Warm, plain." in prompt


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("tone", "x" * 301, "at most 300 characters"),
        ("proof_points", "A claim " + "y" * 300, "line 1 has 308 characters"),
        ("pains", "\n".join(f"pain {i}" for i in range(26)), "at most 25 lines"),
        ("words_to_avoid", "Relaydesk", "is used by an approved proof point"),
    ],
)
def test_invalid_input_is_400_naming_the_field_and_saves_nothing(
    admin_client: Client, field: str, value: str, says: str
) -> None:
    response = admin_client.post(URL, {**SHEET, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert f"(<code>{field}</code>)" in html
    assert says in html
    assert not FactSheet.objects.filter(audience=PERSONA).exists()


def test_an_unknown_audience_is_404(admin_client: Client) -> None:
    assert admin_client.get("/cms/studio/fact-sheets/persona:nobody/").status_code == 404
    assert admin_client.post("/cms/studio/fact-sheets/industry:nowhere/", SHEET).status_code == 404
    assert not FactSheet.objects.exists()
