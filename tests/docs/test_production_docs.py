"""docs/operations.md, docs/monitoring.md and docs/scaling.md, run as written: ``make
serve`` in a fresh checkout on a throwaway PostgreSQL database and a Redis database of its
own, then every command of the three documents (cron lines, systemd unit, management
commands, bounded benchmarks and load test) with the environment ``make serve`` exports.
Rules: ``tests/docs/manifest.py``. Without PostgreSQL and Redis on 127.0.0.1 this skips
with the reason; under CI=true it starts them (scripts/test_services.py) and fails if they
still do not answer.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from harness.site_process import ROOT, answers, free_port
from tests.ci import in_ci
from tests.docs.checkout import Checkout, fresh_checkout, user_env
from tests.docs.manifest import PRODUCTION, context_steps

pytestmark = [pytest.mark.slow, pytest.mark.own_server]

POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
REDIS_DB = 13  # the docs test's own (the PostgreSQL pass uses 1, bench 6, the load test 7)


def services_missing() -> str:
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at {POSTGRES}: {exc}"
    try:
        redis.Redis.from_url(f"{REDIS}/{REDIS_DB}", socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS}: {exc}"
    return ""


@pytest.fixture
def database() -> Iterator[str]:
    """A database name nobody else uses; dropped afterwards (``make serve`` creates it)."""
    missing = services_missing()
    if missing and in_ci():
        # `make test` starts the services for its second pass; this test runs in the first.
        subprocess.run(
            [sys.executable, "scripts/test_services.py", "services"], cwd=ROOT, check=False
        )
        missing = services_missing()
    if missing:
        message = f"the production documents need PostgreSQL and Redis: {missing}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    name = f"persx_docs_{secrets.token_hex(4)}"
    cache = redis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
    cache.flushdb()
    try:
        yield name
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        cache.flushdb()


def three_free_ports() -> int:
    """The first of three consecutive free ports (the load test's server and proxies)."""
    for _ in range(50):
        port = free_port()
        try:
            for offset in (1, 2):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no three consecutive free ports")


def last_monday() -> str:
    today = datetime.now(UTC).date()
    return (today - timedelta(days=today.weekday())).isoformat()


def test_the_production_documents_work_on_a_fresh_checkout(tmp_path: Path, database: str) -> None:
    root = fresh_checkout(tmp_path / "persx")
    database_url = f"{POSTGRES}/{database}"
    port = free_port()
    values = {
        "port": str(port),
        "database": database,
        "database_url": database_url,
        "redis_db": str(REDIS_DB),
        "loadtest_port": str(three_free_ports()),
        "last_monday": last_monday(),
    }
    services = {"DATABASE_URL": database_url, "REDIS_URL": f"{REDIS}/{REDIS_DB}"}
    site = Checkout(root, user_env(**services), values)
    ordered = context_steps(ROOT, PRODUCTION)
    server, commands = ordered[0], ordered[1:]
    base = f"http://127.0.0.1:{port}"
    with site.serving(server, base + "/health/ready"):
        assert answers(base + "/health/live") == 200
        assert answers(base + "/contact/") == 200
        # The environment `make serve` exports, as cron and an operator have it.
        secret = site.shell(".venv/bin/python scripts/install_secret_key.py", "the secret")
        operator = Checkout(
            root,
            user_env(
                **services,
                DJANGO_SETTINGS_MODULE="persx.settings.production",
                DJANGO_SECRET_KEY=secret.strip(),
                PERSX_TLS="0",
            ),
            values,
        )
        (root / "var" / "log" / "persx").mkdir(parents=True, exist_ok=True)
        for step in commands:
            if step.command is not None:
                operator.run(step)
        # The server is still healthy after every command ran beside it.
        assert answers(base + "/health/ready") == 200
