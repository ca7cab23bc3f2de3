"""Incidents come from the alert rules only: the admin lists, inspects and annotates them,
and offers no way to add one (issue 15: the Incidents list offered "Add")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from persx.monitoring.models import Incident
from persx.monitoring.services import run_monitor_pass
from tests.web.monitoring_support import write_traffic

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident() -> Incident:
    now = timezone.now()
    write_traffic(now, "saas", 300, personalized_share=0.4, spread=timedelta(minutes=40))
    run_monitor_pass(now)
    return Incident.objects.get(rule__key="personalization-rate")


def test_the_incidents_list_offers_no_add(admin_client: Client, incident: Incident) -> None:
    listing = admin_client.get("/cms/incidents/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert incident.summary in page  # the rule's incident is listed
    assert "/cms/incidents/new/" not in page
    assert "Add incident" not in page
    assert admin_client.get("/cms/incidents/new/").status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("incidents:add")


def test_an_empty_incidents_list_does_not_invite_adding_one(admin_client: Client) -> None:
    page = admin_client.get("/cms/incidents/").content.decode()
    assert "add one" not in page
    assert "/cms/incidents/new/" not in page


def test_an_incident_is_still_inspected_and_annotated(
    admin_client: Client, incident: Incident
) -> None:
    assert admin_client.get(f"/cms/incidents/inspect/{incident.pk}/").status_code == 200
    assert admin_client.get(f"/cms/incidents/copy/{incident.pk}/").status_code == 404
    edit = f"/cms/incidents/edit/{incident.pk}/"
    assert admin_client.get(edit).status_code == 200
    response = admin_client.post(edit, {"summary": "Checked: a campaign without variants"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.summary == "Checked: a campaign without variants"


def test_groups_cannot_be_granted_adding_incidents(admin_client: Client) -> None:
    group = Group.objects.create(name="Operations")
    page = admin_client.get(f"/cms/groups/edit/{group.pk}/").content.decode()
    add = Permission.objects.get(codename="add_incident")
    change = Permission.objects.get(codename="change_incident")
    assert f'value="{change.pk}"' in page
    assert f'value="{add.pk}"' not in page
