"""POST /api/events: validation, idempotency, visitor from the cookie, guards, busy database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from persx.config import config
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.models import Event
from persx.events.services import forget_visitor_events
from persx.privacy import consent_cookie
from persx.profiles import cookie
from tests.web.conftest import client_with_profile

URL = "/api/events"
VISITOR = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "cta_click",
        "occurred_at": datetime.now(UTC).isoformat(),
        "page": "/contact/",
    }
    base.update(overrides)
    return base


def post(client: Client, body: Any, content_type: str = "application/json", **extra: Any) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type, **extra)


def stored(events: list[dict[str, Any]]) -> int:
    """How many of these events are in the database (ids that are not UUIDs cannot be)."""
    ids = []
    for e in events:
        try:
            ids.append(uuid.UUID(str(e.get("event_id"))))
        except ValueError:
            continue
    return Event.objects.filter(event_id__in=ids).count()


@pytest.mark.django_db
def test_batch_is_stored_and_a_replay_is_stored_once_and_answered_2xx() -> None:
    client = client_with_profile("healthcare", "healthcare-patient-acquisition")
    batch = [
        event(type="cta_click", properties={"block": "hero", "variant": "industry:healthcare"}),
        event(type="engagement", value=12.5),
        event(type="blog_read", page="/blog/a-post/"),
    ]
    first = post(client, {"events": batch})
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 3, "duplicates": 0, "declined": 0}
    replay = post(client, {"events": batch}, content_type="text/plain;charset=UTF-8")
    assert replay.status_code == 200
    assert replay.json() == {"accepted": 0, "duplicates": 3, "declined": 0}
    assert stored(batch) == 3
    engagement = Event.objects.get(event_id=batch[1]["event_id"])
    assert engagement.value == 12.5
    assert engagement.type == "engagement"
    clicked = Event.objects.get(event_id=batch[0]["event_id"])
    assert clicked.properties == {"block": "hero", "variant": "industry:healthcare"}
    assert clicked.page == "/contact/"


@pytest.mark.django_db
def test_an_id_repeated_inside_one_batch_is_stored_once() -> None:
    one = event()
    response = post(Client(), {"events": [one, dict(one), event()]})
    assert response.status_code == 200
    assert response.json()["accepted"] == 2
    assert response.json()["duplicates"] == 1
    assert Event.objects.filter(event_id=one["event_id"]).count() == 1


@pytest.mark.django_db
def test_visitor_industry_persona_and_consent_come_from_the_cookie() -> None:
    client = client_with_profile("healthcare", "healthcare-patient-acquisition")
    mine = event()
    assert post(client, {"events": [mine]}).status_code == 200
    row = Event.objects.get(event_id=mine["event_id"])
    assert (row.visitor_id, row.industry, row.persona, row.consent) == (
        VISITOR,
        "healthcare",
        "healthcare-patient-acquisition",
        "unknown",
    )
    assert row.received_at is not None
    # A body cannot claim to be someone else: visitor fields are not part of the schema.
    forged = event(visitor_id="f" * 32, industry="saas")
    response = post(client, {"events": [forged]})
    assert response.status_code == 422
    assert "events.0.visitor_id" in response.json()["message"]
    assert "events.0.industry" in response.json()["message"]
    assert stored([forged]) == 0
    # Without a profile cookie the event is anonymous.
    anonymous = event()
    assert post(Client(), {"events": [anonymous]}).status_code == 200
    assert Event.objects.get(event_id=anonymous["event_id"]).visitor_id == ""


@pytest.mark.django_db
def test_a_visitor_who_declined_consent_has_nothing_stored() -> None:
    profile = VisitorProfile(VISITOR, industry="saas")
    client = Client()
    client.cookies[config().profile_cookie_name] = cookie.encode(profile, timezone.now())
    client.cookies[consent_cookie.COOKIE_NAME] = consent_cookie.encode(
        ConsentState.DENIED, timezone.now()
    )
    batch = [event(), event()]
    response = post(client, {"events": batch})
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 0, "declined": 2}
    assert stored(batch) == 0


def _ancient() -> str:
    return (datetime.now(UTC) - timedelta(days=8)).isoformat()


BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown type", {"type": "purchase"}, "events.1.type"),
    ("server-only exposure", {"type": "exposure"}, "events.1.type"),
    ("bad uuid", {"event_id": "not-a-uuid"}, "events.1.event_id"),
    ("missing page", {"page": None}, "events.1.page"),
    ("missing occurred_at", {"occurred_at": None}, "events.1.occurred_at"),
    ("extra field", {"campaign": "x"}, "events.1.campaign"),
    ("naive timestamp", {"occurred_at": "2026-01-01T10:00:00"}, "events.1.occurred_at"),
    ("older than 7 days", {"occurred_at": "ANCIENT"}, "events.1.occurred_at"),
    ("page not a path", {"page": "https://evil.example/"}, "events.1.page"),
    ("page too long", {"page": "/" + "a" * 300}, "events.1.page"),
    ("negative value", {"value": -1}, "events.1.value"),
    ("oversized properties", {"properties": {"blob": "x" * 2100}}, "events.1.properties"),
    ("nested properties", {"properties": {"a": {"b": 1}}}, "events.1.properties.a"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_EVENTS], ids=[n for n, _, _ in BAD_EVENTS]
)
def test_a_bad_event_rejects_the_whole_batch_naming_index_and_field(
    change: dict[str, Any], field: str
) -> None:
    bad = event()
    bad.update({k: (_ancient() if v == "ANCIENT" else v) for k, v in change.items()})
    bad = {k: v for k, v in bad.items() if v is not None}
    batch = [event(), bad, event()]
    response = post(Client(), {"events": batch})
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["message"]
    assert body["detail"]
    assert stored(batch) == 0


@pytest.mark.django_db
def test_more_than_500_events_are_refused_naming_events() -> None:
    batch = [event() for _ in range(501)]
    response = post(Client(), {"events": batch})
    assert response.status_code == 422
    assert response.json()["message"].startswith("events:")
    assert stored(batch) == 0
    full = [event() for _ in range(500)]
    accepted = post(Client(), {"events": full})
    assert accepted.status_code == 200
    assert accepted.json()["accepted"] == 500


@pytest.mark.django_db
def test_timestamps_slightly_ahead_are_kept_far_ahead_are_clamped() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    later = datetime.now(UTC) + timedelta(hours=3)
    batch = [event(occurred_at=soon.isoformat()), event(occurred_at=later.isoformat())]
    assert post(Client(), {"events": batch}).status_code == 200
    kept = Event.objects.get(event_id=batch[0]["event_id"])
    clamped = Event.objects.get(event_id=batch[1]["event_id"])
    assert kept.occurred_at == soon
    assert clamped.occurred_at == clamped.received_at


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b"null",
        b'"events"',
        b'{"events": "x"}',
        b'{"events": []}',
        b'{"events": [1, 2]}',
        b"\xff\xfe\x00garbage",
        b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b'{"events": [{"event_id": 1e999}]}',
    ],
    ids=[
        "broken",
        "empty",
        "list",
        "null",
        "string",
        "events-not-list",
        "no-events",
        "not-objects",
        "binary",
        "deep-nesting",
        "huge-number",
    ],
)
def test_malformed_bodies_are_4xx_json_never_500(body: bytes) -> None:
    response = post(Client(), body)
    assert 400 <= response.status_code < 500
    assert response.json()["message"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_before_parsing() -> None:
    limit = config().events_max_body_bytes
    response = post(Client(), b" " * (limit + 1))
    assert response.status_code == 413
    assert str(limit) in response.json()["message"]


@pytest.mark.django_db
def test_only_json_or_text_bodies_are_accepted() -> None:
    response = Client().post(URL, {"events": "x"})  # multipart form
    assert response.status_code == 415
    assert "Content-Type" in response.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://testserver"},
    ],
)
def test_cross_site_posts_are_refused(headers: dict[str, str]) -> None:
    batch = [event()]
    response = post(Client(), {"events": batch}, **headers)
    assert response.status_code == 403
    assert "cross-site" in response.json()["message"]
    assert stored(batch) == 0


@pytest.mark.django_db
def test_same_origin_beacons_need_no_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    batch = [event()]
    response = post(
        client,
        {"events": batch},
        content_type="text/plain;charset=UTF-8",
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 200, response.content
    assert stored(batch) == 1


@pytest.mark.django_db
def test_rate_limit_per_client_answers_429_with_retry_after() -> None:
    limit = 3
    with override_settings(PERSX={**settings.PERSX, "EVENTS_RATE_LIMIT_PER_MINUTE": limit}):
        client = client_with_profile("saas")
        # 2 x limit + 1 batches: even if a minute boundary falls in between, one window
        # receives more than ``limit`` of them.
        answers = [post(client, {"events": [event()]}) for _ in range(2 * limit + 1)]
        other_visitor = client_with_profile("saas", visitor_id="f" * 32)
        other = post(other_visitor, {"events": [event()]})
    codes = [a.status_code for a in answers]
    assert codes[:limit] == [200] * limit
    refused = [a for a in answers if a.status_code == 429]
    assert refused
    assert int(refused[0]["Retry-After"]) >= 1
    assert "too many" in refused[0].json()["message"]
    assert other.status_code == 200


@pytest.mark.django_db
def test_forgetting_a_visitor_deletes_their_events_only() -> None:
    mine, theirs = [event(), event()], [event()]
    assert post(client_with_profile("saas"), {"events": mine}).status_code == 200
    other = client_with_profile("saas", visitor_id="f" * 32)
    assert post(other, {"events": theirs}).status_code == 200
    assert forget_visitor_events({VISITOR}) == 2
    assert stored(mine) == 0
    assert stored(theirs) == 1
