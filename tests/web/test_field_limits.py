"""Issue 15: parameters per request, sized by path (persx/http/field_limit.py), and the
body-size limits beside their largest legitimate use.

Each limit has two tests: the attack it stops (refused at once with a 400/413 that says
why, nothing written) and the largest legitimate use beside it (accepted).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.test.client import encode_multipart
from wagtail.models import Page

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.content.wagtail_hooks import editor_field_limit_js
from persx.events.event_row import WIDTHS
from persx.events.models import Event
from persx.events.schemas import MAX_BATCH, MAX_PROPERTIES_BYTES
from persx.http.field_limit import multipart_fields, urlencoded_fields
from persx.profiles.models import VisitorProfileRecord
from tests.web import largest_page

PUBLIC = settings.PERSX_PUBLIC_MAX_NUMBER_FIELDS
ADMIN = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
LARGEST_EDIT_FORM_FIELDS = largest_page.EDIT_FORM_FIELDS  # as Chromium posts it


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def many(count: int, name: str = "p") -> str:
    return "&".join(f"{name}{i}=x" for i in range(count))


# --- counting as Django counts ---------------------------------------------------------


def test_parameters_are_counted_as_django_parses_them() -> None:
    assert urlencoded_fields("") == 0
    assert urlencoded_fields("a=1") == 1
    assert urlencoded_fields(b"a=1&b=2&&") == 4  # parse_qsl counts empty pairs too
    body = encode_multipart("BoUnDaRy", {"a": "1", "b": ["2", "3"]})
    assert multipart_fields(body, "BoUnDaRy") == 3


# --- the public site --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_form_with_too_many_fields_is_refused_naming_both_numbers() -> None:
    fields = {f"p{i}": "x" for i in range(PUBLIC)} | {"industry": "saas"}
    urlencoded = Client().post(
        "/start/industry/", many(PUBLIC) + "&industry=saas", "application/x-www-form-urlencoded"
    )
    multipart = Client().post("/start/industry/", fields)
    for response in (urlencoded, multipart):
        assert response.status_code == 400
        text = response.content.decode()
        assert f"{PUBLIC + 1} parameters" in text
        assert f"at most {PUBLIC}" in text
    assert not VisitorProfileRecord.objects.exists()


@pytest.mark.django_db
def test_the_largest_public_form_is_within_the_limit() -> None:
    """The start form with every tool and the most goals ticked, and the contact form."""
    catalog = current_catalog()
    fields = {
        "industry": "saas",
        "role": "Head of growth",
        "next": "/",
        "tools": [t.slug for t in catalog.tools],
        "goals": list(catalog.goals_for("saas"))[:5],
    }
    assert sum(len(v) if isinstance(v, list) else 1 for v in fields.values()) < PUBLIC / 2
    assert Client().post("/start/", fields).status_code == 302
    lead = Client().post(
        "/contact/submit/",
        {
            "name": "Ada",
            "email": "ada@example.com",
            "company": "Example Co",
            "message": "m" * 4000,
            "variant": "industry:saas",
            "next": "/contact/",
        },
    )
    assert lead.status_code == 302


@pytest.mark.django_db
def test_the_api_refuses_too_many_query_parameters_in_its_error_shape() -> None:
    response = Client().get(f"/api/catalog?{many(PUBLIC + 1)}")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == f"query: {PUBLIC + 1} parameters; the limit is {PUBLIC}"
    assert body["detail"] == [{"loc": ["query"], "msg": f"more than {PUBLIC} parameters"}]
    assert Client().get(f"/api/catalog?{many(PUBLIC)}").status_code == 200


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_under_debug_2000_query_parameters_are_a_400_at_once() -> None:
    """`make run` (DEBUG=True) answered 500 after ~20 s: Django's debug page parsed the
    refused parameters again."""
    started = time.monotonic()
    response = Client(raise_request_exception=False).get(f"/contact/?{many(2000)}")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "2000 parameters" in response.content.decode()
    assert elapsed < 10  # generous bound on a loaded machine; it takes milliseconds
    api = Client(raise_request_exception=False).get(f"/api/catalog?{many(2000)}")
    assert api.status_code == 400
    assert api.json()["message"].startswith("query: 2000 parameters")


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def editor(admin_client: Client) -> Client:
    """A signed-in editor (a superuser: tests/web/conftest.py)."""
    return admin_client


@pytest.mark.django_db
def test_the_admin_saves_and_publishes_the_largest_page(editor: Client) -> None:
    """Every block with a variant for each of the 20 audiences: its edit form (as Chromium
    posts it) fits the admin's limit with headroom, and saves and publishes."""
    assert LARGEST_EDIT_FORM_FIELDS * 2 <= ADMIN
    page = largest_page.build()
    data = largest_page.edit_form_data(page)
    sent = sum(len(values) for values in data.values())
    assert sent > PUBLIC * 10, sent  # far over the public limit
    url = f"/cms/pages/{page.pk}/edit/"
    draft = editor.post(url, data)
    assert draft.status_code == 302, draft.content[-3000:]
    key = "body-2-value-variants-19-value-content-headline"  # the contact form, last persona
    assert data[key] == [f"Contact for {largest_page.audiences()[19]}"]
    changed = largest_page.edit_form_data(page, **{key: "Changed for the last persona"})
    published = editor.post(url, {**changed, "action-publish": ["action-publish"]})
    assert published.status_code == 302
    live = Page.objects.get(pk=page.pk).specific
    contact = next(b for b in live.body if b.block_type == "contact_form")
    assert contact.value["variants"][19]["content"]["headline"] == "Changed for the last persona"


@pytest.mark.django_db
def test_an_admin_form_over_the_limit_gets_a_page_saying_nothing_was_saved(
    editor: Client,
) -> None:
    page = largest_page.build()
    before = Page.objects.get(pk=page.pk).latest_revision_id
    fields = {f"p{i}": "x" for i in range(ADMIN + 1)}
    response = editor.post(f"/cms/pages/{page.pk}/edit/", fields)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert f"{ADMIN + 1} parameters" in text
    assert f"at most {ADMIN}" in text
    assert Page.objects.get(pk=page.pk).latest_revision_id == before
    query = editor.get(f"/cms/pages/{page.pk}/edit/?{many(ADMIN + 1)}")
    assert query.status_code == 400


@pytest.mark.django_db
def test_an_admin_upload_too_large_to_count_is_still_refused_with_the_page(
    editor: Client,
) -> None:
    """A multipart body over DATA_UPLOAD_MAX_MEMORY_SIZE is parsed by Django, with the
    admin's ceiling; too many fields still answer the page, not a bare 400."""
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    fields: dict[str, str] = {f"p{i}": "x" for i in range(ADMIN + 1)} | {"big": big}
    page = largest_page.build()
    response = editor.post(f"/cms/pages/{page.pk}/edit/", fields)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()


def test_the_admin_page_loads_the_editor_field_check() -> None:
    """The editor's own script stops an oversized form before it is sent, keeping it."""
    html = editor_field_limit_js()
    assert "persx/admin/field_limit.js" in html
    assert f'data-max-fields="{ADMIN}"' in html


# --- body sizes ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_largest_profile_body_fits_the_api_limit() -> None:
    catalog = current_catalog()
    body = {
        "industry": catalog.industries[0].slug,
        "role": "r" * 80,
        "goals": [g.slug for g in catalog.goals[:5]],
        "tools": [t.slug for t in catalog.tools[:20]],
    }
    raw = json.dumps(body)
    assert len(raw) < config().api_max_body_bytes
    response = Client().put("/api/personalization", raw, content_type="application/json")
    assert response.status_code == 200, response.content


def largest_event(now: str) -> dict[str, object]:
    """An event with every field at its longest: page at its width, properties at their
    byte limit as JSON."""
    filler = MAX_PROPERTIES_BYTES - len(json.dumps({"text": ""}, separators=(",", ":")))
    return {
        "event_id": str(uuid.uuid4()),
        "type": "engagement",
        "occurred_at": now,
        "page": "/" + "p" * (WIDTHS["page"] - 1),
        "value": 999_999_999.5,
        "properties": {"text": "t" * filler},
    }


@pytest.mark.django_db
def test_the_largest_event_batch_fits_the_events_body_limit() -> None:
    now = datetime.now(UTC).isoformat()
    events = [largest_event(now) for _ in range(MAX_BATCH)]
    raw = json.dumps({"events": events})
    assert len(raw.encode()) <= config().events_max_body_bytes
    response = Client().post("/api/events", raw, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == MAX_BATCH
    assert Event.objects.filter(event_id=str(events[-1]["event_id"])).exists()
    one_more = json.dumps({"events": [*events, largest_event(now)]})
    refused = Client().post("/api/events", one_more, content_type="application/json")
    assert refused.status_code in (413, 422)
