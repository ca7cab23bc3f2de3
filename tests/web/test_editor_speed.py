"""Issue 15: Contact's editor took 2.2-3.0 s to open. The server's part is small and flat
(a fixed number of queries, whatever the variants); most of the time was the browser
building a date picker for each variant's two schedule fields (62 on Contact, 35% of the
editor's elements), now the browser's own date-time input."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from persx.content.models import StandardPage
from persx.demo.services import seed_demo
from tests.web import largest_page

MOST_QUERIES = 40  # 34 measured for Contact and for the largest page alike


@pytest.fixture
def editor(admin_client: Client) -> Client:
    """A signed-in editor (a superuser: tests/web/conftest.py)."""
    return admin_client


def edit_view(client: Client, page: Page) -> tuple[str, int]:
    client.get(f"/cms/pages/{page.pk}/edit/")  # warm the process's snapshots
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cms/pages/{page.pk}/edit/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.mark.django_db
def test_the_editor_builds_no_date_picker_for_variant_schedules(editor: Client) -> None:
    seed_demo()
    contact = StandardPage.objects.get(slug="contact")
    html, _ = edit_view(editor, contact)
    assert "datetime-local" in html  # the schedule fields' input type
    # Only the page's own "go live" and "expiry" fields keep Wagtail's picker.
    assert html.count("AdminDateTimeInput") <= 2


@pytest.mark.django_db
def test_the_edit_views_queries_do_not_grow_with_variants(editor: Client) -> None:
    seed_demo()
    _, contact = edit_view(editor, StandardPage.objects.get(slug="contact"))
    _, largest = edit_view(editor, largest_page.build())
    assert contact <= MOST_QUERIES
    assert largest == contact  # 120 variants more, no query more


@pytest.mark.django_db
def test_a_variant_schedule_saves_from_the_native_input(editor: Client) -> None:
    seed_demo()
    page = largest_page.build()
    field = "body-0-value-variants-0-value-live_from"
    data = largest_page.edit_form_data(page, **{field: "2027-03-01T08:00"})
    response = editor.post(f"/cms/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    draft = Page.objects.get(pk=page.pk).get_latest_revision_as_object()
    hero = next(b for b in draft.body if b.block_type == "hero")
    assert hero.value["variants"][0]["live_from"].replace(tzinfo=None) == datetime(2027, 3, 1, 8)
