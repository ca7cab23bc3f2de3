"""The "CRM integrations" and "Pipeline match" admin screens through the test client: a
token shown once and stored hashed, revocation, the match report as a page and as JSON,
and who may see them."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from persx.outcomes.models import Integration, IntegrationToken
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord

pytestmark = pytest.mark.django_db

INTEGRATIONS = "/cms/outcomes/integrations/"
MATCH = "/cms/outcomes/match/"


def post_outcome(client: Client, token: str) -> int:
    body = {
        "outcomes": [
            {
                "outcome_id": "x1",
                "stage": "qualified_lead",
                "occurred_at": "2026-11-01T10:00:00+00:00",
                "account": "gmail.com",
            }
        ]
    }
    response = client.post(
        "/api/outcomes",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(response.status_code)


def test_a_token_is_shown_once_stored_hashed_and_revocable(admin_client: Client) -> None:
    page = admin_client.get(INTEGRATIONS)
    assert page.status_code == 200
    assert b"No integration yet." in page.content

    refused = admin_client.post(INTEGRATIONS, {"action": "create_integration", "name": "no way"})
    assert refused.status_code == 400
    assert b"name: " in refused.content

    made = admin_client.post(INTEGRATIONS, {"action": "create_integration", "name": "hubspot-prod"})
    assert made.status_code == 200
    match = re.search(rb'data-testid="new-token-value">(pxo_[A-Za-z0-9_-]+)<', made.content)
    assert match
    token = match.group(1).decode()
    stored = IntegrationToken.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(IntegrationToken.objects.values()), default=str)

    assert post_outcome(Client(), token) == 200
    again = admin_client.get(INTEGRATIONS)
    assert token.encode() not in again.content  # shown once
    assert stored.prefix.encode() in again.content

    second = admin_client.post(
        INTEGRATIONS, {"action": "create_token", "integration": stored.integration_id}
    )
    assert b"new-token-value" in second.content
    assert IntegrationToken.objects.count() == 2

    revoked = admin_client.post(INTEGRATIONS, {"action": "revoke_token", "token": stored.pk})
    assert revoked.status_code == 302
    assert post_outcome(Client(), token) == 401
    twice = admin_client.post(
        INTEGRATIONS, {"action": "revoke_token", "token": stored.pk}, follow=True
    )
    assert b"token: no such live token" in twice.content
    unknown = admin_client.post(
        INTEGRATIONS, {"action": "create_token", "integration": "x"}, follow=True
    )
    assert b"integration: no such integration" in unknown.content
    odd = admin_client.post(INTEGRATIONS, {"action": "explode"}, follow=True)
    assert b"action: unknown action" in odd.content


def test_the_match_report_page_and_json(admin_client: Client) -> None:
    empty = admin_client.get(MATCH)
    assert empty.status_code == 200
    assert b'data-testid="match-empty"' in empty.content
    integration = Integration.objects.create(name="crm")
    when = datetime(2026, 11, 1, tzinfo=UTC)
    records = [
        OutcomeRecord.model_validate(
            {"outcome_id": f"o{n}", "stage": "won", "occurred_at": when, **key}
        )
        for n, key in enumerate([{"account": "gmail.com"}, {"email": "x@nowhere.example"}])
    ]
    assert check_and_store(integration, records).created == 2
    page = admin_client.get(MATCH, {"integration": "crm"})
    assert page.status_code == 200
    assert b'data-reason="free_mail"' in page.content
    assert b'data-reason="email_never_seen"' in page.content
    document = admin_client.get("/cms/outcomes/match.json", {"integration": "crm"}).json()
    assert (document["total"], document["matched"], document["unmatched"]) == (2, 0, 2)
    assert {r["reason"] for r in document["reasons"]} == {"free_mail", "email_never_seen"}


def test_editors_without_the_permissions_are_refused(db: None) -> None:
    editor = get_user_model().objects.create_user("ed", "ed@example.com", "pw")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editor.groups.add(editors)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(editor)
    menu = client.get("/cms/").content
    assert b"CRM integrations" not in menu
    assert b"Pipeline match" not in menu
    # Refused (Wagtail turns an admin view's PermissionDenied into a redirect to /cms/).
    assert client.get(INTEGRATIONS).status_code in (302, 403)
    assert client.post(INTEGRATIONS, {"action": "create_integration", "name": "x"}).status_code in (
        302,
        403,
    )
    assert not Integration.objects.exists()
    assert client.get(MATCH).status_code in (302, 403)
    assert client.get("/cms/outcomes/match.json").status_code in (302, 403)


def test_a_data_request_by_email_exports_and_erases_the_persons_outcomes(
    admin_client: Client,
) -> None:
    from persx.leads.models import Lead

    Lead.objects.create(name="Ann", email="ann@acme.example", visitor_id="v-ann")
    integration = Integration.objects.create(name="crm")
    when = datetime(2026, 11, 1, tzinfo=UTC)
    keys = [
        {"lead_id": Lead.objects.get().pk},
        {"email": "ANN@acme.example"},
        {"email": "o@x.example"},
    ]
    records = [
        OutcomeRecord.model_validate(
            {"outcome_id": f"o{n}", "stage": "won", "occurred_at": when, **key}
        )
        for n, key in enumerate(keys)
    ]
    assert check_and_store(integration, records).created == 3
    admin = get_user_model().objects.get(username="boss")
    assert admin.is_superuser

    export = admin_client.post(
        "/cms/data-requests/", {"email": "ann@acme.example", "action": "export"}
    )
    document = json.loads(export.content)
    assert sorted(o["outcome_id"] for o in document["crm_outcomes"]) == ["o0", "o1"]

    erased = admin_client.post(
        "/cms/data-requests/", {"email": "ann@acme.example", "action": "erase", "confirm": "on"}
    )
    assert erased.status_code == 302
    from persx.outcomes.models import Outcome

    assert list(Outcome.objects.values_list("outcome_id", flat=True)) == ["o2"]
