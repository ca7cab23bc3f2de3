"""The OpenAPI document says exactly what the API enforces.

Each error status is produced on the real endpoint, then looked up in the document; a
schema-driven fuzzer sends the requests the document allows and expects each accepted (a
refusal is a rule the document does not state: a string checked against a set without an
enum, a list that may not be empty without minItems); and each operation requires exactly
the security it declares (tried without cookies).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from persx.config import config
from tests.web.conftest import client_with_profile
from tests.web.test_events_durability import db, events_table_locked
from tests.web.test_pages_without_database import database_unreachable

__all__ = ["db"]  # the autocommit fixture the 503 test needs (a real lock)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def openapi() -> dict[str, Any]:
    return Client().get("/api/openapi.json").json()


def documented(method: str, path: str) -> dict[str, Any]:
    return openapi()["paths"][path][method]["responses"]


# Every operation documents these: a method the path does not answer (405) and the database
# unreachable (503); both are produced for every path in the tests at the end.
EVERY_OPERATION = {405, 503}


def documented_statuses(responses: dict[str, Any], observed: set[int]) -> set[int]:
    """The statuses an operation documents, leaving out those every operation documents
    unless the test at hand produced them."""
    return {int(code) for code in responses} - (EVERY_OPERATION - observed)


def is_error_body(body: dict[str, Any]) -> bool:
    return set(body) == {"message", "detail"} and isinstance(body["detail"], list)


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert not repeated, f"a JSON object of the document repeats the keys {repeated}"
    return dict(pairs)


@pytest.mark.django_db
def test_the_document_repeats_no_key_so_swagger_ui_can_read_it() -> None:
    """Python's json keeps the last of two equal keys; Swagger UI's YAML parser refuses the
    whole document (the docs page then lists no operation). An operation whose
    openapi_extra named a status django-ninja also keys (int vs str) did exactly that."""
    text = Client().get("/api/openapi.json").content.decode()
    document = json.loads(text, object_pairs_hook=refuse_duplicate_keys)
    assert "/api/outcomes" in document["paths"]
    outcomes = document["paths"]["/api/outcomes"]["post"]["responses"]
    assert outcomes["401"]["description"].startswith("No bearer token")  # its own text kept
    assert "content" in outcomes["401"]  # with the error schema


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
    with override_settings(PERSX={**settings.PERSX, "PROFILE_WRITES_PER_ADDRESS_PER_MINUTE": 1}):
        limited = [
            client.put(url, '{"industry": "saas"}', "application/json", HTTP_X_CSRFTOKEN=token)
            for _ in range(3)  # two windows' worth: a minute boundary cannot hide the 429
        ]
    observed |= {r.status_code for r in limited}
    assert int(limited[-1]["Retry-After"]) >= 1
    assert observed == {200, 400, 403, 413, 422, 429}
    responses = documented("put", url)
    assert documented_statuses(responses, observed) == observed
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
    assert documented_statuses(documented("put", url), observed) == observed


@pytest.mark.django_db
def test_every_status_the_export_answers_is_documented() -> None:
    url = "/api/personalization/export"
    # A GET's body is never read, so its Content-Length does not matter (no 400, no 413).
    observed = {
        Client().get(url).status_code,
        Client().get(url, CONTENT_LENGTH="many").status_code,
    }
    assert observed == {200}
    assert documented_statuses(documented("get", url), observed) == observed


EVENTS = "/api/events"


def event_batch(created: list[uuid.UUID]) -> str:
    """One event; its id goes to ``created`` (deleted after the test: it runs in autocommit)."""
    event_id = uuid.uuid4()
    created.append(event_id)
    now = datetime.now(UTC).isoformat()
    return json.dumps(
        {
            "events": [
                {"event_id": str(event_id), "type": "cta_click", "occurred_at": now, "page": "/"}
            ]
        }
    )


def test_every_status_post_events_answers_is_documented(db: list[uuid.UUID]) -> None:
    """Runs outside a test transaction: the 503 needs a real lock held by another connection."""
    client = client_with_profile("saas")
    produced: dict[int, Any] = {}

    def keep(response: Any) -> None:
        produced.setdefault(response.status_code, response)

    keep(client.post(EVENTS, event_batch(db), content_type="application/json"))
    keep(client.post(EVENTS, event_batch(db), "application/json", CONTENT_LENGTH="lots"))
    keep(client.post(EVENTS, event_batch(db), "application/json", HTTP_ORIGIN="https://evil.test"))
    big = "x" * (config().events_max_body_bytes + 1)
    keep(client.post(EVENTS, big, content_type="application/json"))
    keep(client.post(EVENTS, event_batch(db), content_type="application/x-www-form-urlencoded"))
    keep(client.post(EVENTS, '{"events": [{"type": 7}]}', content_type="application/json"))
    with events_table_locked():
        keep(client.post(EVENTS, event_batch(db), content_type="text/plain"))
    with override_settings(PERSX={**settings.PERSX, "EVENTS_RATE_LIMIT_PER_MINUTE": 1}):
        # Two fresh windows' worth: a minute boundary between the posts cannot hide the 429.
        for _ in range(3):
            keep(client.post(EVENTS, event_batch(db), content_type="application/json"))

    assert set(produced) == {200, 400, 403, 413, 415, 422, 429, 503}
    responses = documented("post", EVENTS)
    assert documented_statuses(responses, set(produced)) == set(produced)
    for code, response in produced.items():
        if code == 200:
            continue
        assert is_error_body(response.json()), code
        ref = responses[str(code)]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ApiError"), code
    assert int(produced[429]["Retry-After"]) >= 1
    assert int(produced[503]["Retry-After"]) >= 1


@pytest.mark.django_db
def test_post_events_documents_its_guards_instead_of_a_csrf_token() -> None:
    operation = openapi()["paths"][EVENTS]["post"]
    params = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
    assert ("header", "X-CSRFToken") not in params
    assert params[("cookie", config().profile_cookie_name)]["required"] is False
    assert params[("header", "Sec-Fetch-Site")]["schema"]["enum"] == ["same-origin", "none"]
    assert ("header", "Origin") in params
    assert set(operation["requestBody"]["content"]) == {"application/json", "text/plain"}


# Requests no well-behaved client sends; whatever an operation answers must be documented.
HOSTILE_PROBES: list[tuple[str, dict[str, Any]]] = [
    ("empty body", {"data": b"", "content_type": "application/json"}),
    ("not JSON", {"data": b"{", "content_type": "application/json"}),
    ("form body", {"data": b"a=1", "content_type": "application/x-www-form-urlencoded"}),
    ("bad length", {"data": b"{}", "content_type": "application/json", "CONTENT_LENGTH": "x"}),
    (
        "cross-site",
        {"data": b"{}", "content_type": "application/json", "HTTP_ORIGIN": "https://e.t"},
    ),
    ("huge", {"data": b"[" + b"1," * 600_000 + b"1]", "content_type": "application/json"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("probe", "request_args"), HOSTILE_PROBES, ids=[p for p, _ in HOSTILE_PROBES]
)
def test_whatever_an_operation_answers_to_hostile_requests_is_documented(
    probe: str, request_args: dict[str, Any]
) -> None:
    paths = openapi()["paths"]
    undocumented = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            client = client_with_profile("saas")
            client.handler.enforce_csrf_checks = True
            response = client.generic(method.upper(), path, **request_args)
            assert response.status_code < 500, (method, path, probe)
            if str(response.status_code) not in operation["responses"]:
                undocumented.append(f"{method.upper()} {path} -> {response.status_code}")
    assert not undocumented, f"{probe}: {undocumented}"


@pytest.mark.django_db
def test_every_status_post_csp_reports_answers_is_documented() -> None:
    url = "/api/csp-reports"
    report = json.dumps(
        {"csp-report": {"document-uri": "http://testserver/", "effective-directive": "img-src"}}
    )
    client = Client()
    csp = "application/csp-report"
    produced = {
        client.post(url, report, content_type=csp).status_code,
        client.post(url, report, content_type=csp, CONTENT_LENGTH="x").status_code,
        client.post(url, "x" * (config().api_max_body_bytes + 1), content_type=csp).status_code,
        client.post(url, report, content_type="text/html").status_code,
        client.post(url, '{"csp-report": {}}', content_type=csp).status_code,
    }
    with override_settings(PERSX={**settings.PERSX, "CSP_REPORTS_PER_ADDRESS_PER_MINUTE": 1}):
        produced |= {client.post(url, report, content_type=csp).status_code for _ in range(3)}
    assert produced == {204, 400, 413, 415, 422, 429}
    responses = documented("post", url)
    assert documented_statuses(responses, produced) == produced
    for code in produced - {204}:
        ref = responses[str(code)]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ApiError")


@pytest.mark.django_db
def test_a_method_a_path_does_not_answer_is_a_documented_405_naming_the_allowed_ones() -> None:
    document = openapi()
    client = Client()
    for path, operations in document["paths"].items():
        allowed = {method.upper() for method in operations}
        refused = next(m for m in ("PATCH", "DELETE", "PUT", "POST") if m not in allowed)
        response = client.generic(refused, path)
        assert response.status_code == 405, (refused, path)
        assert set(response["Allow"].split(", ")) == allowed | (
            {"HEAD"} if "GET" in allowed else set()
        )
        body = response.json()
        assert is_error_body(body)
        assert body["message"].startswith(f"method: {refused} is not allowed on {path}")
        for method in operations:
            documented_405 = operations[method]["responses"]["405"]
            ref = documented_405["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ApiError")
            assert "Allow header" in documented_405["description"]


@pytest.mark.django_db
def test_head_answers_every_get_operation_as_get_without_the_body() -> None:
    document = openapi()
    client = client_with_profile("saas")
    gets = [path for path, operations in document["paths"].items() if "get" in operations]
    assert len(gets) >= 4  # catalog, personalization, consent, decisions directory
    for path in gets:
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert int(head["Content-Length"]) == len(got.content) > 0, path
        assert head["Content-Type"] == got["Content-Type"], path
    # A path without GET refuses HEAD like any other method it does not answer.
    refused = client.head("/api/events")
    assert refused.status_code == 405
    assert "HEAD" not in refused["Allow"].split(", ")


@pytest.mark.django_db
def test_every_operation_answers_503_without_the_database_as_documented() -> None:
    document = openapi()
    client = client_with_profile("saas")
    answered: dict[tuple[str, str], int] = {}
    for path, operations in document["paths"].items():
        for method in operations:
            with database_unreachable():
                response = client.generic(method.upper(), path, "{}", "application/json")
            # A write refused before it reaches the database (CSRF, validation) is fine too;
            # what reaches the database must be a 503 with Retry-After, never a 500.
            assert response.status_code != 500, (method, path)
            answered[(method, path)] = response.status_code
            if response.status_code == 503:
                assert int(response["Retry-After"]) >= 1
                assert is_error_body(response.json())
            documented_503 = operations[method]["responses"]["503"]
            ref = documented_503["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ApiError")
    # The ones that must read or write the database to answer at all:
    assert answered[("delete", "/api/personalization")] == 503
    assert answered[("get", "/api/personalization/export")] == 503


# --- The document allows it, so the API accepts it ------------------------------------------
#
# A small schema-driven fuzzer: from each operation's documented request body it makes the
# requests the document allows (every enum value, the shortest and longest strings, empty,
# single and longest arrays, null where allowed, each optional field present and absent),
# sends each with what the document says the operation requires (its required parameters),
# and expects a 2xx. A refusal means the API enforces a rule the document does not state
# (e.g. a string checked against a set the document gives no enum for).

SUPPORTED_PATTERNS = {"^/": "/"}  # a pattern → the prefix a generated string starts with


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        prefix = "#/components/schemas/"
        ref = node["$ref"]
        assert ref.startswith(prefix), f"a $ref the document cannot resolve: {ref}"
        node = document["components"]["schemas"][ref.removeprefix(prefix)]
    return node


def merged(schema: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the constraints of one of its ``anyOf`` branches added."""
    properties = {
        name: {**prop, **branch.get("properties", {}).get(name, {})}
        for name, prop in schema.get("properties", {}).items()
    }
    required = sorted({*schema.get("required", ()), *branch.get("required", ())})
    return {**schema, "properties": properties, "required": required}


def allowed_values(document: dict[str, Any], node: dict[str, Any]) -> list[Any]:
    """Values the schema ``node`` allows, the edges first."""
    schema = resolved(document, node)
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema and "properties" in schema:  # an object with alternatives
            rest = {k: v for k, v in schema.items() if k != combinator}
            return [
                v
                for branch in schema[combinator]
                for v in allowed_values(document, merged(rest, branch))
            ]
        if combinator in schema:
            return [v for branch in schema[combinator] for v in allowed_values(document, branch)]
    kind = schema.get("type")
    if kind == "null":
        return [None]
    if kind == "boolean":
        return [True, False]
    if kind in ("integer", "number"):
        return sorted({schema.get("minimum", 0), schema.get("maximum", 1_000)})
    if kind == "string":
        if schema.get("format") == "uuid":
            return [str(uuid.uuid4())]
        if schema.get("format") == "date-time":
            return [datetime.now(UTC).isoformat()]
        pattern = schema.get("pattern")
        assert pattern is None or pattern in SUPPORTED_PATTERNS, f"teach me {pattern!r}"
        start = SUPPORTED_PATTERNS.get(pattern or "", "")
        shortest = max(schema.get("minLength", 0), len(start))
        longest = schema.get("maxLength", max(shortest, 12))
        return [(start + "x" * n)[:n] if n else "" for n in sorted({shortest, longest})]
    if kind == "array":
        items = allowed_values(document, schema.get("items", {}))
        shortest, longest = schema.get("minItems", 0), schema.get("maxItems", 3)
        arrays = [[items[i % len(items)] for i in range(n)] for n in sorted({shortest, longest})]
        return arrays + [[item] for item in items if shortest <= 1 <= longest]
    if kind == "object" or "properties" in schema:
        return allowed_objects(document, schema)
    raise AssertionError(f"teach me {schema}")


def allowed_objects(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The required properties at their first value, then one property at a time varied
    over its values (an optional one also left out, as in the base)."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    values = {name: allowed_values(document, prop) for name, prop in properties.items()}
    base = {name: values[name][0] for name in properties if name in required}
    variants = [base]
    for name, options in values.items():
        variants += [{**base, name: value} for value in options]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        variants.append({**base, "k": allowed_values(document, extra)[0]})
    return variants


def json_body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/json", "application/csp-report", "text/plain"):
        if media in content:
            return dict(content[media]["schema"])
    return None


def documented_request(
    document: dict[str, Any], path: str, method: str, with_cookies: bool = True
) -> tuple[Client, dict[str, Any]]:
    """A client and the headers the operation documents as required (the CSRF token's
    header and cookie come from the path's GET, as their descriptions say)."""
    client = Client(enforce_csrf_checks=True)
    headers: dict[str, Any] = {}
    for requirement in document["paths"][path][method].get("security", []) if with_cookies else []:
        # POST /api/outcomes: a live token of a fresh integration for each request, so
        # outcome ids sent by earlier requests do not conflict (none without credentials).
        assert set(requirement) <= {"IntegrationToken"}, f"teach me the security {requirement}"
        from persx.outcomes.models import Integration
        from persx.outcomes.services import create_token

        integration = Integration.objects.create(name=f"fuzz-{uuid.uuid4().hex[:12]}")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {create_token(integration)}"
    for parameter in document["paths"][path][method].get("parameters", []):
        if not parameter.get("required"):
            continue
        assert (parameter["in"], parameter["name"]) in {
            ("header", "X-CSRFToken"),
            ("cookie", "csrftoken"),
        }, f"teach me the required {parameter}"
        if "csrftoken" not in client.cookies:
            client.get(path)
        headers["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    if not with_cookies:
        csrf = client.cookies.get("csrftoken")
        client.cookies.clear()
        if csrf is not None and headers:
            client.cookies["csrftoken"] = csrf.value  # documented as required, so kept
    return client, headers


@pytest.mark.django_db
def test_every_request_the_document_allows_is_accepted() -> None:
    document = openapi()
    refused: list[str] = []
    sent = 0
    limits_off = {
        **settings.PERSX,
        "EVENTS_RATE_LIMIT_PER_MINUTE": 0,
        "CSP_REPORTS_PER_ADDRESS_PER_MINUTE": 0,
    }
    with override_settings(PERSX=limits_off):
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                schema = json_body_schema(operation)
                bodies = [None] if schema is None else allowed_values(document, schema)
                for body in bodies:
                    client, headers = documented_request(document, path, method)
                    data = "" if body is None else json.dumps(body)
                    response = client.generic(
                        method.upper(), path, data, "application/json", **headers
                    )
                    sent += 1
                    if response.status_code >= 300:
                        message = response.json().get("message", "")
                        refused.append(
                            f"{method.upper()} {path} {data[:120]} -> "
                            f"{response.status_code} {message}"
                        )
    assert sent > 50  # the fuzzer made requests for every operation
    assert not refused, "\n".join(refused)


@pytest.mark.django_db
def test_each_operation_requires_exactly_the_security_it_declares() -> None:
    """An operation that declares a security scheme refuses a request without it; one that
    declares none answers without any cookie (besides a documented CSRF cookie)."""
    document = openapi()
    schemes = document.get("components", {}).get("securitySchemes", {})
    wrong: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = json_body_schema(operation)
            body = None if schema is None else allowed_values(document, schema)[0]
            client, headers = documented_request(document, path, method, with_cookies=False)
            data = "" if body is None else json.dumps(body)
            status = client.generic(method.upper(), path, data, "application/json", **headers)
            declared = [
                name for requirement in operation.get("security", []) for name in requirement
            ]
            for name in declared:
                assert name in schemes, name
            if declared and status.status_code not in (401, 403):
                wrong.append(
                    f"{method.upper()} {path} declares {declared}: answered "
                    f"{status.status_code} without it"
                )
            if not declared and status.status_code >= 300:
                wrong.append(
                    f"{method.upper()} {path} declares no security: answered "
                    f"{status.status_code} without cookies"
                )
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_the_document_is_served_while_the_database_is_unreachable() -> None:
    with database_unreachable():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/personalization" in response.json()["paths"]
