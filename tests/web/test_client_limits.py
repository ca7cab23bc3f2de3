"""Issue 11 #4: per-client-address limits that rotating visitor ids cannot escape, and the
client address behind a trusted proxy (a forged X-Forwarded-For is ignored otherwise).

Issue 15: each limit also has its largest legitimate use beside it, at the default limits a
deployment has: an office of visitors behind one NAT address (the traffic simulation, the
other legitimate use, is tests/web/test_simulation_limits.py)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from persx.config import config
from persx.http import rate_limit
from persx.http.client_address import client_ip, rate_limit_subject
from persx.profiles.models import VisitorProfileRecord
from persx.settings import base as deployment
from tests.web.conftest import client_with_profile

# The limits a deployment has (their one definition: persx/settings/base.py).
DEFAULT_WRITES_PER_ADDRESS = int(deployment.PERSX["PROFILE_WRITES_PER_ADDRESS_PER_MINUTE"])
DEFAULT_BATCHES_PER_ADDRESS = int(deployment.PERSX["EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE"])
DEFAULT_BATCHES_PER_WINDOW = int(deployment.PERSX["EVENTS_RATE_LIMIT_PER_MINUTE"])

XFF = "HTTP_X_FORWARDED_FOR"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def persx(**overrides: Any) -> Any:
    return override_settings(PERSX={**settings.PERSX, **overrides})


def seen_as(remote: str, forwarded: str | None = None) -> tuple[str, str]:
    extra = {XFF: forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)
    return client_ip(request), rate_limit_subject(request)


def test_without_a_configured_proxy_the_forwarded_header_is_ignored() -> None:
    with persx(TRUSTED_PROXY_HEADER=""):
        assert seen_as("198.51.100.7", "203.0.113.9") == ("198.51.100.7", "198.51.100.7")


def test_behind_trusted_proxies_the_client_is_the_entry_they_appended() -> None:
    with persx(TRUSTED_PROXY_HEADER=XFF, TRUSTED_PROXY_HOPS=1):
        # The client wrote "1.1.1.1" itself; the proxy appended the real peer.
        assert seen_as("10.0.0.2", "1.1.1.1, 203.0.113.9")[0] == "203.0.113.9"
        assert seen_as("10.0.0.2", "203.0.113.9:51234")[0] == "203.0.113.9"
        assert seen_as("10.0.0.2", "[2001:db8::7]:443")[0] == "2001:db8::7"
        # Not through the proxy (no header), or garbage where the address should be.
        assert seen_as("198.51.100.7")[0] == "198.51.100.7"
        assert seen_as("10.0.0.2", "1.1.1.1, not-an-ip")[0] == "10.0.0.2"
    with persx(TRUSTED_PROXY_HEADER=XFF, TRUSTED_PROXY_HOPS=2):
        assert seen_as("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.1")[0] == "203.0.113.9"
        # Fewer entries than proxies: the header was not written by them all.
        assert seen_as("198.51.100.7", "203.0.113.9")[0] == "198.51.100.7"


def test_ipv6_clients_are_limited_by_their_64_network() -> None:
    first = seen_as("2001:db8:1:2:aaaa::1")
    second = seen_as("2001:db8:1:2:bbbb::99")
    assert first[0] != second[0]
    assert first[1] == second[1] == "2001:db8:1:2::/64"
    assert seen_as("2001:db8:1:3::1")[1] != first[1]
    assert seen_as("::ffff:192.0.2.5")[1] == "192.0.2.5"


def batch() -> str:
    now = datetime.now(UTC).isoformat()
    return json.dumps(
        {
            "events": [
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "cta_click",
                    "occurred_at": now,
                    "page": "/",
                }
            ]
        }
    )


def post_events(client: Client, **extra: Any) -> int:
    return client.post("/api/events", batch(), content_type="application/json", **extra).status_code


@pytest.mark.django_db
def test_rotating_visitor_ids_does_not_escape_the_per_address_event_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every batch in one window of the limiter's clock: on a busy machine the batches below
    # crossed a minute, and the forged one then started a new window and passed.
    frozen = (time.time() // rate_limit.WINDOW_S) * rate_limit.WINDOW_S + 1
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: frozen))
    limit = 4
    with persx(EVENTS_RATE_LIMIT_PER_MINUTE=100, EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=limit):
        # Each batch from a new visitor id (what ?industry= hands out for free).
        codes = [
            post_events(client_with_profile("saas", visitor_id=uuid.uuid4().hex))
            for _ in range(limit + 1)
        ]
        elsewhere = post_events(client_with_profile("saas"), REMOTE_ADDR="198.51.100.7")
        # A forged header does not make the same client someone else.
        forged = post_events(client_with_profile("saas"), **{XFF: "203.0.113.50"})
    assert codes == [200] * limit + [429]
    assert elsewhere == 200
    assert forged == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_event_limit() -> None:
    with persx(
        TRUSTED_PROXY_HEADER=XFF,
        EVENTS_RATE_LIMIT_PER_MINUTE=100,
        EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=2,
    ):
        # Every request arrives from the proxy's address; the header says who the client is.
        one = [post_events(Client(), **{XFF: "203.0.113.1"}) for _ in range(5)]
        two = post_events(Client(), **{XFF: "203.0.113.2"})
        # The client cannot pick a new identity: the proxy appends the real one.
        spoofed = post_events(Client(), **{XFF: "192.0.2.99, 203.0.113.1"})
    assert one[:2] == [200, 200]
    assert 429 in one
    assert two == 200
    assert spoofed == 429


@pytest.mark.django_db
def test_profile_writes_are_limited_per_address_and_a_refused_write_stores_nothing() -> None:
    limit = 3
    before = VisitorProfileRecord.objects.count()
    with persx(PROFILE_WRITES_PER_ADDRESS_PER_MINUTE=limit):
        codes = []
        for _ in range(2 * limit + 1):  # each a new anonymous visitor
            codes.append(Client().post("/start/industry/", {"industry": "saas"}).status_code)
        form = Client().post("/start/", {"industry": "travel", "goals": ["improve-onboarding"]})
        api = Client().put(
            "/api/personalization", '{"industry": "saas"}', content_type="application/json"
        )
    assert codes[:limit] == [302] * limit
    assert 429 in codes
    written = codes.count(302)
    assert VisitorProfileRecord.objects.count() == before + written
    assert form.status_code == 429
    assert int(form["Retry-After"]) >= 1
    assert "too many profile changes" in form.content.decode()
    assert config().profile_cookie_name not in form.cookies
    assert api.status_code == 429
    assert api.json()["message"].startswith("too many profile changes")
    assert int(api["Retry-After"]) >= 1


# The largest legitimate use beside each limit, at the limits a deployment has (the test
# settings switch the per-address limits off; these put the real defaults back).
REAL_LIMITS = {
    "PROFILE_WRITES_PER_ADDRESS_PER_MINUTE": DEFAULT_WRITES_PER_ADDRESS,
    "EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": DEFAULT_BATCHES_PER_ADDRESS,
    "EVENTS_RATE_LIMIT_PER_MINUTE": DEFAULT_BATCHES_PER_WINDOW,
}
OFFICE = "203.0.113.20"  # one NAT address for a whole office


@pytest.mark.django_db
def test_an_office_behind_one_address_can_all_set_their_profiles_at_the_default_limit() -> None:
    before = VisitorProfileRecord.objects.count()
    with persx(**REAL_LIMITS):
        # Every colleague answers the start form (or the industry prompt, or the API) once.
        codes = []
        for n in range(DEFAULT_WRITES_PER_ADDRESS):
            colleague = Client(REMOTE_ADDR=OFFICE)
            if n % 3 == 0:
                answer = colleague.post(
                    "/start/", {"industry": "saas", "goals": ["improve-onboarding"]}
                )
            elif n % 3 == 1:
                answer = colleague.post("/start/industry/", {"industry": "travel"})
            else:
                answer = colleague.put(
                    "/api/personalization", '{"industry": "healthcare"}', "application/json"
                )
            codes.append(answer.status_code)
        # The attack beside it, at the same default: one address rotating visitor ids.
        attacker = [
            Client(REMOTE_ADDR="198.51.100.66")
            .post("/start/industry/", {"industry": "saas"})
            .status_code
            for _ in range(2 * DEFAULT_WRITES_PER_ADDRESS + 1)
        ]
    assert all(code in (200, 302) for code in codes), codes
    assert VisitorProfileRecord.objects.count() - before >= DEFAULT_WRITES_PER_ADDRESS
    assert 429 in attacker


@pytest.mark.django_db
def test_an_office_behind_one_address_can_send_its_event_batches_at_the_default_limits() -> None:
    with persx(**REAL_LIMITS):
        # One colleague's tracker at the per-visitor limit, the others a few batches each:
        # just under the address's 600 a minute in all.
        heavy = client_with_profile("saas", visitor_id=uuid.uuid4().hex)
        codes = [post_events(heavy, REMOTE_ADDR=OFFICE) for _ in range(DEFAULT_BATCHES_PER_WINDOW)]
        per_colleague = 9
        colleagues = (DEFAULT_BATCHES_PER_ADDRESS - DEFAULT_BATCHES_PER_WINDOW) // per_colleague
        for _ in range(colleagues):
            colleague = client_with_profile("travel", visitor_id=uuid.uuid4().hex)
            codes += [post_events(colleague, REMOTE_ADDR=OFFICE) for _ in range(per_colleague)]
    assert len(codes) == DEFAULT_BATCHES_PER_WINDOW + colleagues * per_colleague
    assert len(codes) > 0.95 * DEFAULT_BATCHES_PER_ADDRESS
    assert set(codes) == {200}
