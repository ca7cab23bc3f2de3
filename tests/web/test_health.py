"""Health endpoints for load balancers: live, ready, and 503 naming the failing part."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from persx.health import checks


@pytest.mark.django_db
def test_live_and_ready_answer_when_everything_is_up() -> None:
    client = Client()
    live = client.get("/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "live"})
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-cache" in ready["Cache-Control"]


@pytest.mark.django_db
def test_ready_names_an_unreachable_cache() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = {
        "default": {
            "BACKEND": "persx.caching.resilient_redis.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=down):
        response = Client().get("/health/ready")
        live = Client().get("/health/live")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "cache": "ConnectionError"}
    assert body["message"] == "not ready: cache"
    assert live.status_code == 200  # the process itself is fine


@pytest.mark.django_db
def test_ready_names_a_failing_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_database(*_: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM a_table_that_is_not_there")

    monkeypatch.setitem(checks.CHECKS, "database", no_database)
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["message"] == "not ready: database"
    # SQLite says OperationalError, PostgreSQL ProgrammingError (the real driver's error kind)
    assert response.json()["checks"]["database"] in {"OperationalError", "ProgrammingError"}
