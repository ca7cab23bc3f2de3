"""POST /api/outcomes through Django's test client against the real database: token auth,
idempotency, all-or-nothing batches, the 1,000 limit, every bad input naming its field,
and the OpenAPI document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from persx.leads.models import Lead
from persx.outcomes.models import Integration, Outcome
from persx.outcomes.services import create_token, revoke_token
from tests.web.analytics_events import EventLog

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
EXPOSED_AT = NOW - timedelta(days=20)


@pytest.fixture
def integration() -> Integration:
    return Integration.objects.create(name="hubspot-test")


@pytest.fixture
def token(integration: Integration) -> str:
    return create_token(integration, "tester")


@pytest.fixture
def lead() -> Lead:
    lead = Lead.objects.create(
        name="Ada", email="ada@acme-industries.com", visitor_id="v-ada", company="Acme"
    )
    EventLog().exposure("v-ada", EXPOSED_AT).save()
    return lead


def outcome(n: int = 1, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "outcome_id": f"deal-{n}",
        "stage": "opportunity",
        "amount": "12000.00",
        "currency": "EUR",
        "occurred_at": (NOW - timedelta(days=5)).isoformat(),
        "email": "someone@example.org",
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def post(client: Client, token: str, body: Any) -> Any:
    return client.post(
        "/api/outcomes",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_batch_is_stored_matched_and_a_resend_changes_nothing(
    client: Client, token: str, lead: Lead
) -> None:
    batch = {"outcomes": [outcome(1, lead_id=lead.pk, email=None), outcome(2)]}
    first = post(client, token, batch)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "unchanged": 0, "matched": 1}
    stored = Outcome.objects.get(outcome_id="deal-1")
    assert (stored.visitor_id, stored.account, stored.match_reason) == (
        "v-ada",
        "acme-industries.com",
        "lead",
    )
    assert Outcome.objects.get(outcome_id="deal-2").match_reason == "email_never_seen"

    again = post(client, token, batch)
    assert again.status_code == 200
    assert again.json() == {"created": 0, "unchanged": 2, "matched": 0}
    assert Outcome.objects.count() == 2


def test_the_same_id_with_other_content_is_a_409_naming_row_and_field(
    client: Client, token: str
) -> None:
    assert post(client, token, {"outcomes": [outcome(1)]}).status_code == 200
    changed = {"outcomes": [outcome(7), outcome(1, amount="13000")]}
    response = post(client, token, changed)
    assert response.status_code == 409
    body = response.json()
    assert body["message"].startswith("outcomes.1.amount: outcome 'deal-1' is already stored")
    assert body["detail"][0]["loc"] == ["body", "outcomes", "1", "amount"]
    assert not Outcome.objects.filter(outcome_id="deal-7").exists()  # nothing half-written


def test_outcome_ids_are_per_integration(client: Client, token: str) -> None:
    other = create_token(Integration.objects.create(name="salesforce-test"))
    assert post(client, token, {"outcomes": [outcome(1)]}).status_code == 200
    response = post(client, other, {"outcomes": [outcome(1, stage="won")]})
    assert response.status_code == 200
    assert response.json()["created"] == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"stage": "closedwon"}, "stage", "qualified_lead"),
        ({"amount": "-1"}, "amount", "greater than or equal to 0"),
        ({"amount": "1000000000.01"}, "amount", "less than or equal to"),
        ({"amount": "12.345"}, "amount", "decimal places"),
        ({"currency": "EURO"}, "currency", "ISO 4217"),
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"occurred_at": (NOW + timedelta(days=1)).isoformat()}, "occurred_at", "future"),
        ({"occurred_at": "2026-11-03T10:00:00"}, "occurred_at", "timezone"),
        ({"email": None}, "lead_id", "at least one of lead_id, email or account"),
        ({"outcome_id": ""}, "outcome_id", "at least 1 character"),
        ({"lead_id": 0}, "lead_id", "greater than or equal to 1"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    client: Client, token: str, fields: dict[str, Any], field: str, words: str
) -> None:
    row = outcome(2, **{k: v for k, v in fields.items() if v is not None})
    for key, value in fields.items():
        if value is None:
            row.pop(key, None)
    response = post(client, token, {"outcomes": [outcome(1), row]})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"].startswith(f"outcomes.1.{field}: "), body["message"]
    assert words in body["message"]
    assert body["detail"][0]["loc"] == ["body", "outcomes", "1", field]
    assert Outcome.objects.count() == 0


def test_an_outcome_before_the_visitors_first_exposure_is_a_422(
    client: Client, token: str, lead: Lead
) -> None:
    early = (EXPOSED_AT - timedelta(hours=1)).isoformat()
    response = post(client, token, {"outcomes": [outcome(1, lead_id=lead.pk, occurred_at=early)]})
    assert response.status_code == 422
    assert response.json()["message"].startswith("outcomes.0.occurred_at: ")
    assert "before the matched visitor's first exposure" in response.json()["message"]
    assert Outcome.objects.count() == 0


def test_the_same_id_twice_in_one_batch_with_other_content_is_a_422(
    client: Client, token: str
) -> None:
    response = post(client, token, {"outcomes": [outcome(1), outcome(1, stage="won")]})
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("outcomes.1.stage: outcome 'deal-1' is also in row 0")
    same_twice = post(client, token, {"outcomes": [outcome(1), outcome(1)]})
    assert same_twice.json() == {"created": 1, "unchanged": 1, "matched": 0}


def test_1000_outcomes_are_accepted_and_1001_refused_with_413(client: Client, token: str) -> None:
    too_many = post(client, token, {"outcomes": [outcome(n) for n in range(1001)]})
    assert too_many.status_code == 413
    assert too_many.json()["message"] == "outcomes: at most 1000 outcomes per batch, got 1001"
    assert Outcome.objects.count() == 0
    largest = post(client, token, {"outcomes": [outcome(n) for n in range(1000)]})
    assert largest.status_code == 200, largest.content[:300]
    assert largest.json()["created"] == 1000


@pytest.mark.parametrize(
    ("body", "status", "starts"),
    [
        ({"outcomes": []}, 422, "outcomes: send at least one"),
        ({"rows": []}, 422, "outcomes: send"),
        ([1, 2], 422, "outcomes: send"),
        ({"outcomes": [outcome(1)], "extra": 1}, 422, "extra: "),
        ({"outcomes": ["x"]}, 422, "outcomes.0.record: must be an object"),
    ],
)
def test_malformed_batches_name_the_field(
    client: Client, token: str, body: Any, status: int, starts: str
) -> None:
    response = post(client, token, body)
    assert response.status_code == status
    assert response.json()["message"].startswith(starts)


def test_not_json_is_400_and_not_application_json_is_415(client: Client, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    broken = client.post("/api/outcomes", data="{", content_type="application/json", headers=auth)
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("body: not JSON")
    text = client.post("/api/outcomes", data="{}", content_type="text/plain", headers=auth)
    assert text.status_code == 415


def test_a_missing_wrong_or_revoked_token_is_401(
    client: Client, token: str, integration: Integration
) -> None:
    body = json.dumps({"outcomes": [outcome(1)]})
    bare = client.post("/api/outcomes", data=body, content_type="application/json")
    assert bare.status_code == 401
    assert post(client, token + "x", {"outcomes": [outcome(1)]}).status_code == 401
    assert revoke_token(integration.tokens.get().pk)
    assert post(client, token, {"outcomes": [outcome(1)]}).status_code == 401
    assert Outcome.objects.count() == 0


def test_the_openapi_document_lists_every_status(client: Client) -> None:
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/outcomes"]["post"]
    assert set(operation["responses"]) >= {
        "200",
        "400",
        "401",
        "405",
        "409",
        "413",
        "415",
        "422",
        "503",
    }
    for code in ("401", "409", "413", "422"):
        assert operation["responses"][code]["description"], code
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    record = schema["properties"]["outcomes"]["items"]
    assert record["properties"]["stage"]["enum"] == ["qualified_lead", "opportunity", "won", "lost"]
    assert operation["security"] == [{"IntegrationToken": []}]


def test_a_concurrent_insert_of_the_same_id_is_rechecked_not_a_500(
    client: Client, token: str, integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another client stores deal-1 between this batch's check and its insert (injected
    where the batch is matched): the unique constraint stops the insert and the batch is
    checked again: a 200, not a 500. (In this one-connection test the injected row is in
    the first attempt's transaction, so it is rolled back with it and the second attempt
    stores both; between two real clients the second attempt finds deal-1 unchanged.)"""
    from persx.outcomes import services

    real_matcher = services.Matcher
    raced: list[bool] = []

    def matcher_after_a_competing_insert(keys: Any) -> Any:
        if not raced:
            raced.append(True)
            Outcome.objects.create(
                integration=integration,
                outcome_id="deal-1",
                stage="opportunity",
                amount="12000.00",
                currency="EUR",
                occurred_at=datetime.fromisoformat(outcome(1)["occurred_at"]),
                email="someone@example.org",
                received_at=NOW,
            )
        return real_matcher(keys)

    monkeypatch.setattr(services, "Matcher", matcher_after_a_competing_insert)
    response = post(client, token, {"outcomes": [outcome(1), outcome(2)]})
    assert response.status_code == 200, response.content
    assert raced == [True]
    assert response.json()["created"] == 2
    assert Outcome.objects.count() == 2


def test_an_integration_over_its_batches_per_minute_is_refused_with_retry_after(
    client: Client, token: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from types import SimpleNamespace

    from django.core.cache import cache

    from persx.http import rate_limit

    cache.clear()  # counters of earlier tests' integrations (the same primary key) go
    # Every batch of the test falls in one rate-limit window (on a busy machine the posts
    # may otherwise cross a minute's boundary, where the count starts again).
    start = time.time()
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: start))
    limit = settings.PERSX["OUTCOME_BATCHES_PER_INTEGRATION_PER_MINUTE"]
    assert limit >= 60  # the default leaves room for a CRM sync's bursts
    # The largest legitimate use: the whole allowance in one minute, every batch stored.
    codes = [post(client, token, {"outcomes": [outcome(n)]}).status_code for n in range(limit)]
    assert codes == [200] * limit
    # The attack: one batch more is refused, names the limit, says when, and stores nothing.
    over = post(client, token, {"outcomes": [outcome(limit)]})
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert "batches this minute" in over.json()["message"]
    assert Outcome.objects.count() == limit
    # Another integration keeps its own allowance.
    other = create_token(Integration.objects.create(name="salesforce-test"), "tester")
    assert post(client, other, {"outcomes": [outcome(1)]}).status_code == 200
