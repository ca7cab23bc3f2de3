"""With the cache (Redis) unreachable, pages still serve and events are still stored.

The cache is pointed at a port where nothing listens: every cache call fails at once.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from persx.events.models import Event
from tests.web.conftest import client_with_profile, variants


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def redis_down() -> Iterator[None]:
    unreachable = {
        "default": {
            "BACKEND": "persx.caching.resilient_redis.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=unreachable):
        with pytest.raises(RedisConnectionError):  # the premise: the cache really is down
            cache._cache.get_client(write=False).ping()  # type: ignore[attr-defined]
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/contact/", "/blog/", "/test-ideas/", "/personas/"])
def test_pages_serve_personalized_with_the_cache_down(redis_down: None, url: str) -> None:
    response = client_with_profile("saas").get(url)
    assert response.status_code == 200
    shown = {v for _, v in variants(response.content)}
    assert shown <= {"industry:saas", "generic"}


@pytest.mark.django_db
def test_new_visitors_and_the_api_work_with_the_cache_down(redis_down: None) -> None:
    assert Client().get("/blog/?industry=healthcare").status_code == 200
    assert Client().get("/api/personalization").status_code == 200


@pytest.mark.django_db
def test_events_are_stored_with_the_cache_down(redis_down: None) -> None:
    client = client_with_profile("healthcare")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = [
        {
            "event_id": event_id,
            "type": "cta_click",
            "occurred_at": datetime.now(UTC).isoformat(),
            "page": "/contact/",
        }
        for event_id in ids
    ]
    response = client.post(
        "/api/events", data=json.dumps({"events": batch}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Event.objects.filter(event_id__in=[uuid.UUID(i) for i in ids]).count() == 3
