"""/api/personalization and /api/catalog: success and error paths, CSRF, never 500."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from persx.events.models import Event
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import variants

COOKIE = settings.PERSX["PROFILE_COOKIE_NAME"]
URL = "/api/personalization"


def put(client: Client, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.put(URL, data=data, content_type="application/json", **extra)


@pytest.mark.django_db
def test_state_without_profile() -> None:
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.json()["has_profile"] is False
    assert "csrftoken" in response.cookies


@pytest.mark.django_db
def test_put_sets_profile_cookie_and_record_then_get_reads_it() -> None:
    client = Client()
    response = put(
        client,
        {
            "industry": "ecommerce",
            "goals": ["increase-conversion-rate", "reduce-cart-abandonment", "increase-aov"],
            "tools": ["shopify"],
            "role": "Head of Growth",
        },
    )
    assert response.status_code == 200, response.content
    state = response.json()
    assert state["industry"] == {"slug": "ecommerce", "name": "eCommerce"}
    assert state["persona"]["slug"] == "ecommerce-growth-lead"
    assert state["industry_source"] == "manual"
    assert COOKIE in response.cookies
    record = VisitorProfileRecord.objects.get(visitor_id=state["visitor_id"])
    assert record.industry == "ecommerce"
    assert record.persona == "ecommerce-growth-lead"
    again = client.get(URL).json()
    assert again["industry"]["slug"] == "ecommerce"
    assert again["layer"] == "cookie"
    assert ("contact-reasons", "persona:ecommerce-growth-lead") in variants(
        client.get("/contact/").content
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"industry": "mining"}, 422, "industry"),
        ({}, 422, "industry"),
        ({"industry": ""}, 422, "industry"),
        ({"industry": "saas", "colour": "red"}, 422, "colour"),
        ({"industry": "saas", "goals": ["world-peace"]}, 422, "goals"),
        ({"industry": "saas", "goals": []}, 422, "goals"),
        ({"industry": "saas", "goals": ["increase-conversion-rate"] * 6}, 422, "goals"),
        ({"industry": "saas", "tools": ["abacus"]}, 422, "tools"),
        ({"industry": "saas", "role": "x" * 81}, 422, "role"),
        ({"industry": 42}, 422, "industry"),
        ({"industry": ["saas"]}, 422, "industry"),
    ],
)
def test_bad_input_is_refused_naming_the_field(body: Any, status: int, field: str) -> None:
    client = Client()
    response = put(client, body)
    assert response.status_code == status, response.content
    payload = response.json()
    assert field in payload["message"]
    assert COOKIE not in response.cookies
    assert VisitorProfileRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["{not json", "", "null", "[]", '"saas"', b"\xff\xfe"])
def test_malformed_bodies_are_4xx_not_500(body: Any) -> None:
    response = put(Client(), body)
    assert 400 <= response.status_code < 500
    assert "message" in response.json()


@pytest.mark.django_db
def test_oversized_payload_is_413() -> None:
    body = {"industry": "saas", "role": "x" * 20_000}
    response = put(Client(), body)
    assert response.status_code == 413
    assert "body" in response.json()["message"]


@pytest.mark.django_db
def test_writes_need_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    refused = put(client, {"industry": "saas"})
    assert refused.status_code == 403
    assert VisitorProfileRecord.objects.count() == 0
    token = client.get(URL).cookies["csrftoken"].value
    accepted = put(client, {"industry": "saas"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    refused_delete = client.delete(URL)
    assert refused_delete.status_code == 403


@pytest.mark.django_db
def test_delete_forgets_cookie_and_record() -> None:
    client = Client()
    visitor_id = put(client, {"industry": "travel"}).json()["visitor_id"]
    assert VisitorProfileRecord.objects.filter(visitor_id=visitor_id).exists()
    response = client.delete(URL)
    assert response.status_code == 200
    assert response.json()["forgotten"] is True
    assert response.cookies[COOKIE].value == ""
    assert not VisitorProfileRecord.objects.filter(visitor_id=visitor_id).exists()
    assert client.get(URL).json()["has_profile"] is False


@pytest.mark.django_db
def test_delete_also_forgets_the_visitors_events() -> None:
    client = Client()
    visitor_id = put(client, {"industry": "travel"}).json()["visitor_id"]
    batch = {
        "events": [
            {
                "event_id": str(uuid.uuid4()),
                "type": "cta_click",
                "occurred_at": datetime.now(UTC).isoformat(),
                "page": "/contact/",
            }
        ]
    }
    posted = client.post("/api/events", data=json.dumps(batch), content_type="application/json")
    assert posted.status_code == 200, posted.content
    other = Event.objects.create(
        event_id=uuid.uuid4(),
        type="cta_click",
        visitor_id="someone-else-0000",
        occurred_at=datetime.now(UTC),
        received_at=datetime.now(UTC),
    )
    assert Event.objects.filter(visitor_id=visitor_id).count() == 1
    client.delete(URL)
    assert not Event.objects.filter(visitor_id=visitor_id).exists()
    assert Event.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_catalog() -> None:
    data = Client().get("/api/catalog").json()
    assert [i["slug"] for i in data["industries"]] == [
        "ecommerce",
        "healthcare",
        "saas",
        "financial-services",
        "travel",
    ]
    assert len(data["personas"]) == 15
    for industry in data["industries"]:
        assert sum(p["industry"] == industry["slug"] for p in data["personas"]) == 3
    goal_slugs = {g["slug"] for g in data["goals"]}
    assert all(set(p["goals"]) <= goal_slugs for p in data["personas"])


@pytest.mark.django_db
def test_openapi_schema_is_served() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/personalization" in schema["paths"]
    assert Client().get("/api/docs").status_code == 200
