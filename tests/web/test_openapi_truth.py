"""The OpenAPI document lists every status the API really answers, with the error schema.

Each error status is produced on the real endpoint, then looked up in the document.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from persx.config import config


def openapi() -> dict[str, Any]:
    return Client().get("/api/openapi.json").json()


def documented(method: str, path: str) -> dict[str, Any]:
    return openapi()["paths"][path][method]["responses"]


def is_error_body(body: dict[str, Any]) -> bool:
    return set(body) == {"message", "detail"} and isinstance(body["detail"], list)


@pytest.mark.django_db
def test_every_status_put_personalization_answers_is_documented() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/personalization")
    token = client.cookies["csrftoken"].value
    url = "/api/personalization"
    observed = {
        client.put(url, '{"industry": "saas"}', content_type="application/json").status_code,
        client.put(url, '{"industry":', "application/json", HTTP_X_CSRFTOKEN=token).status_code,
        client.put(
            url, '{"industry": "x"}', "application/json", HTTP_X_CSRFTOKEN=token
        ).status_code,
        client.put(
            url,
            '{"industry": "' + "x" * (config().api_max_body_bytes + 1) + '"}',
            "application/json",
            HTTP_X_CSRFTOKEN=token,
        ).status_code,
        client.put(
            url, '{"industry": "saas"}', "application/json", HTTP_X_CSRFTOKEN=token
        ).status_code,
    }
    assert observed == {200, 400, 403, 413, 422}
    responses = documented("put", url)
    assert {int(code) for code in responses} == observed
    for code in observed - {200}:
        ref = responses[str(code)]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ApiError")
        assert "Forbidden" not in responses[str(code)]["description"]


@pytest.mark.django_db
def test_errors_have_the_documented_shape_and_writes_document_the_csrf_header() -> None:
    client = Client(enforce_csrf_checks=True)
    forbidden = client.delete("/api/personalization")
    assert forbidden.status_code == 403
    assert is_error_body(forbidden.json())
    assert "403" in documented("delete", "/api/personalization")
    for method in ("put", "delete"):
        params = openapi()["paths"]["/api/personalization"][method].get("parameters", [])
        header = [p for p in params if p["in"] == "header" and p["name"] == "X-CSRFToken"]
        assert header, method
        assert header[0]["required"] is True
    schema = openapi()["components"]["schemas"]["ApiError"]
    assert set(schema["required"]) == {"message", "detail"}


@pytest.mark.django_db
def test_every_status_put_privacy_consent_answers_is_documented() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/privacy/consent")
    token = client.cookies["csrftoken"].value
    url = "/api/privacy/consent"
    big = '{"choice": "' + "x" * (config().api_max_body_bytes + 1) + '"}'
    observed = {
        client.put(url, '{"choice": "granted"}', content_type="application/json").status_code,
        client.put(url, '{"choice":', "application/json", HTTP_X_CSRFTOKEN=token).status_code,
        client.put(url, '{"choice": "x"}', "application/json", HTTP_X_CSRFTOKEN=token).status_code,
        client.put(url, big, "application/json", HTTP_X_CSRFTOKEN=token).status_code,
        client.put(
            url, '{"choice": "granted"}', "application/json", HTTP_X_CSRFTOKEN=token
        ).status_code,
    }
    assert observed == {200, 400, 403, 413, 422}
    assert {int(code) for code in documented("put", url)} == observed


@pytest.mark.django_db
def test_every_status_the_export_answers_is_documented() -> None:
    url = "/api/personalization/export"
    observed = {
        Client().get(url).status_code,
        Client().get(url, CONTENT_LENGTH="many").status_code,
    }
    assert observed == {200, 400}
    assert {int(code) for code in documented("get", url)} == observed
