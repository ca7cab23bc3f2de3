"""``POST /api/decisions`` answers the decisions the server-rendered page shows the same
visitor, records exposures as a page view does, and guards itself with app keys, the CSRF
token and rate limits (persx/headless, docs/headless.md)."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from persx.catalog.repository import current_catalog
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.services import create_experiment
from persx.headless.models import AppKey, KeyScope
from persx.headless.services import create_key, revoke_key
from tests.web.conftest import client_with_profile, variants

URL = "/api/decisions"
HALF_AND_HALF = [
    {"key": "control", "kind": "generic", "weight": 0.5},
    {"key": "personalized", "kind": "personalized", "weight": 0.5},
]
PAGES = ("/", "/contact/")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def visitor_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def audiences() -> list[tuple[str, str | None]]:
    """The demo catalog's 20 audiences: each industry alone, and each persona."""
    catalog = current_catalog()
    return [(i.slug, None) for i in catalog.industries] + [
        (p.industry, p.slug) for p in catalog.personas
    ]


def post(client: Client, body: Any, key: str | None = None, **headers: Any) -> Any:
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **headers)


def rendered(
    client: Client, path: str, caplog: pytest.LogCaptureFixture
) -> list[dict[str, str | None]]:
    """The page's blocks as rendered: data-variant from the HTML, reason and arm from the
    page's "personalization served" log line."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client.get(path)
    assert response.status_code == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "personalization served"]
    logged: list[dict[str, str]] = line.blocks  # type: ignore[attr-defined]
    # Each block's <section> (the contact form's reasons list repeats its variant).
    html_variants = [v for testid, v in variants(response.content) if testid != "contact-reasons"]
    assert html_variants == [b["variant"] for b in logged]
    return [
        {
            "variant": b["variant"],
            "reason": b["reason"],
            "experiment": b.get("experiment") or None,
            "arm": b.get("arm") or None,
        }
        for b in logged
    ]


def answered(response: Any) -> list[dict[str, str | None]]:
    assert response.status_code == 200, response.content
    return [
        {k: b[k] for k in ("variant", "reason", "experiment", "arm")}
        for b in response.json()["blocks"]
    ]


@pytest.mark.django_db
def test_same_decisions_as_the_rendered_page_for_all_20_audiences_and_a_running_experiment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_experiment(
        key="hero-pli",
        name="hero-pli",
        arms=HALF_AND_HALF,
        status="running",
        scope_kind="block_type",
        scope_value="hero",
    )
    app = create_key("parity app", KeyScope.DECIDE).text
    audience_list = audiences()
    assert len(audience_list) == 20
    arms_seen: set[str] = set()
    reasons_seen: set[str] = set()
    for (industry, persona), visitor_id in zip(
        audience_list, visitor_ids(20, seed=19), strict=True
    ):
        browser = client_with_profile(industry, persona, visitor_id=visitor_id)
        for path in PAGES:
            page = rendered(browser, path, caplog)
            assert answered(post(browser, {"page": path})) == page, (industry, persona, path)
            stated = {"id": visitor_id, "industry": industry, "persona": persona}
            from_app = post(Client(), {"page": path, "visitor": stated, "record": False}, app)
            assert answered(from_app) == page, (industry, persona, path)
            arms_seen |= {str(b["arm"]) for b in page if b["arm"]}
            reasons_seen |= {str(b["reason"]) for b in page}
    # The comparison covered both arms and personalized as well as control decisions.
    assert arms_seen == {"control", "personalized"}
    assert {"experiment_control", "industry_match", "persona_match"} <= reasons_seen


@pytest.mark.django_db
def test_content_is_the_chosen_variant_in_the_blocks_own_schema() -> None:
    client = client_with_profile("healthcare")
    body = post(client, {"page": "/contact/"}).json()
    assert body["visitor"] == {"industry": "healthcare", "persona": None, "held_out": False}
    types = [b["type"] for b in body["blocks"]]
    assert "contact_form" in types
    hero = next(b for b in body["blocks"] if b["type"] == "hero")
    assert hero["variant"] == "industry:healthcare"
    assert {"headline", "subheadline", "cta_label", "cta_url"} <= set(hero["content"])
    generic = post(Client(), {"page": "/contact/"}).json()
    generic_hero = next(b for b in generic["blocks"] if b["type"] == "hero")
    assert (generic_hero["variant"], generic_hero["reason"]) == ("generic", "no_profile")
    assert generic_hero["content"]["headline"] != hero["content"]["headline"]
    # Asking for one block by its key answers that block only, with the same decision.
    only = post(client, {"blocks": [hero["key"]]}).json()["blocks"]
    assert only == [hero]


@pytest.mark.django_db
def test_exposures_are_recorded_as_a_page_view_records_them() -> None:
    visitor_id = "feedfacefeedfacefeedfacefeedface"
    client = client_with_profile("saas", visitor_id=visitor_id)
    client.get("/contact/")
    assert exposure_writer.flush() > 0
    page_view = sorted(
        Event.objects.filter(visitor_id=visitor_id).values_list("type", "block", "variant")
    )
    Event.objects.all().delete()
    response = post(client, {"page": "/contact/"})
    assert response.json()["recorded"] is True
    assert Event.objects.count() == 0  # queued, not written in the request
    exposure_writer.flush()
    rows = Event.objects.filter(visitor_id=visitor_id)
    assert sorted(rows.values_list("type", "block", "variant")) == page_view
    assert set(rows.values_list("page", flat=True)) == {"/contact/"}
    assert set(rows.values_list("industry", flat=True)) == {"saas"}


@pytest.mark.django_db
def test_an_app_key_with_the_record_scope_records_for_its_stated_visitor() -> None:
    key = create_key("mobile", KeyScope.DECIDE_RECORD).text
    stated = {"id": "app-visitor-0001", "persona": "travel-loyalty-crm", "consent": "granted"}
    body = post(Client(), {"page": "/", "visitor": stated}, key).json()
    assert body["recorded"] is True
    assert body["visitor"]["industry"] == "travel"  # implied by the persona
    exposure_writer.flush()
    rows = Event.objects.filter(visitor_id="app-visitor-0001")
    assert rows.filter(type="page_view").count() == 1
    assert rows.filter(type="exposure").count() == len(body["blocks"]) > 0
    assert set(rows.values_list("persona", flat=True)) == {"travel-loyalty-crm"}


@pytest.mark.django_db
def test_consent_denied_records_nothing(settings: Any) -> None:
    key = create_key("mobile", KeyScope.DECIDE_RECORD).text
    stated = {"id": "app-visitor-0002", "industry": "saas", "consent": "denied"}
    body = post(Client(), {"page": "/contact/", "visitor": stated}, key).json()
    assert body["recorded"] is False
    assert body["blocks"][0]["variant"] == "industry:saas"  # still personalized
    browser = client_with_profile("saas", visitor_id="deaddeaddeaddeaddeaddeaddeaddead")
    declined = post(browser, {"page": "/contact/"}, HTTP_SEC_GPC="1").json()
    assert declined["recorded"] is False
    assert exposure_writer.flush() == 0
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_stated_visitor_without_a_key_is_answered_but_never_recorded() -> None:
    stated = {"id": "spoofed-visitor-1", "industry": "healthcare"}
    body = post(Client(), {"page": "/contact/", "visitor": stated, "record": True}).json()
    assert body["recorded"] is False
    assert body["blocks"][0]["variant"] == "industry:healthcare"
    assert exposure_writer.flush() == 0


@pytest.mark.django_db
def test_keys_are_shown_once_stored_hashed_scoped_and_revocable() -> None:
    created = create_key("edge worker", KeyScope.DECIDE)
    stored = AppKey.objects.get(pk=created.key.pk)
    assert created.text.startswith(f"pxk_{stored.prefix}_")
    assert created.text not in json.dumps(list(AppKey.objects.values()), default=str)
    visitor = {"id": "edge-visitor-01", "industry": "saas"}
    ok = post(Client(), {"page": "/", "visitor": visitor, "record": False}, created.text)
    assert ok.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    # The decide scope may not record.
    refused = post(Client(), {"page": "/", "visitor": visitor, "record": True}, created.text)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("record:")
    # Unrecorded by default with a decide key.
    assert post(Client(), {"page": "/", "visitor": visitor}, created.text).json()["recorded"] is (
        False
    )
    revoke_key(stored)
    gone = post(Client(), {"page": "/", "visitor": visitor, "record": False}, created.text)
    assert gone.status_code == 401
    assert gone.json()["detail"][0]["loc"] == ["header", "Authorization"]
    tampered = created.text[:-1] + ("A" if created.text[-1] != "A" else "B")
    for wrong in (tampered, "pxk_nothing", "", created.text.replace("pxk_", "pk_")):
        assert post(Client(), {"page": "/", "visitor": visitor}, wrong).status_code == 401


@pytest.mark.django_db
def test_a_key_over_its_rate_limit_is_refused_until_the_window_ends() -> None:
    key = create_key("busy app", KeyScope.DECIDE, requests_per_minute=5).text
    body = {"page": "/", "visitor": {"id": "busy-visitor-1", "industry": "saas"}}
    # The largest legitimate use: exactly the key's limit in one minute.
    assert [post(Client(), body, key).status_code for _ in range(5)] == [200] * 5
    # The attack: one more is refused with Retry-After; other keys are not affected.
    over = post(Client(), body, key)
    assert over.status_code == 429
    assert 1 <= int(over["Retry-After"]) <= 60
    other = create_key("quiet app", KeyScope.DECIDE).text
    assert post(Client(), body, other).status_code == 200


@pytest.mark.django_db
def test_browser_callers_need_the_csrf_token_and_are_rate_limited(settings: Any) -> None:
    settings.PERSX = {**settings.PERSX, "EVENTS_RATE_LIMIT_PER_MINUTE": 3}
    client = client_with_profile("saas")
    client.handler.enforce_csrf_checks = True
    refused = post(client, {"page": "/"})
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["loc"] == ["header", "X-CSRFToken"]
    listed = client.get(URL)  # the directory sets the CSRF cookie
    assert listed.status_code == 200
    token = client.cookies["csrftoken"].value
    sent = [post(client, {"page": "/"}, HTTP_X_CSRFTOKEN=token).status_code for _ in range(4)]
    assert sent == [200, 200, 200, 429]


BAD_INPUT = [
    ("not JSON", "{", 400, "body"),
    ("nothing named", {}, 422, "page"),
    ("unknown field", {"page": "/", "colour": "red"}, 422, "colour"),
    ("page of the wrong type", {"page": [1]}, 422, "page"),
    ("unknown page path", {"page": "/no-such-page/"}, 404, "page"),
    ("unknown page id", {"page": 987654}, 404, "page"),
    ("malformed block key", {"blocks": ["hero"]}, 422, "blocks.0"),
    ("block of no page", {"blocks": ["987654:abc"]}, 404, "blocks.0"),
    ("too many blocks", {"blocks": ["1:a"] * 51}, 422, "blocks"),
    ("visitor id too short", {"page": "/", "visitor": {"id": "x"}}, 422, "visitor.id"),
    (
        "unknown industry",
        {"page": "/", "visitor": {"id": "abcdefgh", "industry": "mining"}},
        422,
        "visitor.industry",
    ),
    (
        "unknown persona",
        {"page": "/", "visitor": {"id": "abcdefgh", "persona": "nobody"}},
        422,
        "visitor.persona",
    ),
    (
        "persona of another industry",
        {
            "page": "/",
            "visitor": {"id": "abcdefgh", "industry": "saas", "persona": "travel-loyalty-crm"},
        },
        422,
        "visitor.persona",
    ),
    (
        "bad consent",
        {"page": "/", "visitor": {"id": "abcdefgh", "consent": "maybe"}},
        422,
        "visitor.consent",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "body", "status", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_refused_naming_the_field_and_records_nothing(
    case: str, body: Any, status: int, field: str
) -> None:
    response = post(client_with_profile("saas"), body)
    assert response.status_code == status, response.content
    payload = response.json()
    assert set(payload) == {"message", "detail"}
    assert payload["message"].startswith(field + ":"), payload["message"]
    assert exposure_writer.flush() == 0


@pytest.mark.django_db
def test_an_app_key_must_state_its_visitor_and_send_json() -> None:
    key = create_key("app", KeyScope.DECIDE).text
    missing = post(Client(), {"page": "/"}, key)
    assert (missing.status_code, missing.json()["message"].split(":")[0]) == (422, "visitor")
    form = Client().post(
        URL,
        "a=1",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert form.status_code == 415


@pytest.mark.django_db
def test_a_body_over_the_api_limit_is_refused_before_it_is_read(settings: Any) -> None:
    limit = settings.PERSX["API_MAX_BODY_BYTES"]
    key = create_key("app", KeyScope.DECIDE).text
    padding = " " * (limit - 200)
    fits = post(Client(), f'{{"page": "/", "visitor": {{"id": "abcdefgh"}}{padding}}}', key)
    assert fits.status_code == 200
    big = post(Client(), f'{{"page": "/"{" " * limit}}}', key)
    assert big.status_code == 413


@pytest.mark.django_db
def test_every_status_is_in_the_openapi_document() -> None:
    operation = Client().get("/api/openapi.json").json()["paths"][URL]["post"]
    assert {"200", "400", "401", "403", "404", "413", "415", "422", "429"} <= set(
        operation["responses"]
    )
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    page_choices = schema["properties"]["page"]["anyOf"][0]["enum"]
    assert {"/", "/contact/"} <= set(page_choices)


@pytest.mark.django_db
def test_the_directory_lists_each_page_with_its_block_keys() -> None:
    pages = {p["page"]: p for p in Client().get(URL).json()["pages"]}
    assert {"/", "/contact/"} <= set(pages)
    contact = pages["/contact/"]
    assert [b["type"] for b in contact["blocks"]] == ["hero", "contact_form", "testimonial"]
    keys = [b["key"] for b in contact["blocks"]]
    answer = post(client_with_profile("travel"), {"blocks": keys[1:]}).json()
    assert [b["key"] for b in answer["blocks"]] == keys[1:]


@pytest.mark.django_db
def test_the_admin_creates_a_key_shows_it_once_and_revokes_it(admin_client: Client) -> None:
    created = admin_client.post(
        "/cms/app-keys/",
        {"name": "iOS app", "scope": "decide+record", "requests_per_minute": "600"},
    )
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    html = created.content.decode()
    key = AppKey.objects.get(name="iOS app")
    start = html.index(f"pxk_{key.prefix}_")
    text = html[start : start + len(f"pxk_{key.prefix}_") + 43]
    visitor = {"id": "ios-visitor-1", "industry": "saas"}
    assert post(Client(), {"page": "/", "visitor": visitor}, text).json()["recorded"] is True
    listing = admin_client.get("/cms/app-keys/").content.decode()
    assert "iOS app" in listing
    assert text not in listing  # never shown again
    assert admin_client.post(f"/cms/app-keys/{key.pk}/revoke/").status_code == 302
    assert post(Client(), {"page": "/", "visitor": visitor}, text).status_code == 401
    refused = admin_client.post("/cms/app-keys/", {"name": "", "requests_per_minute": "0"})
    assert refused.status_code == 400
    assert AppKey.objects.count() == 1


@pytest.mark.django_db
def test_only_superusers_manage_keys() -> None:
    editor = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename="access_admin"))
    client = Client()
    client.force_login(editor)
    refused = client.get("/cms/app-keys/")  # Wagtail: back to the dashboard, with a message
    assert (refused.status_code, refused["Location"]) == (302, "/cms/")
    assert client.post("/cms/app-keys/", {"name": "x", "scope": "decide"}).status_code == 302
    assert AppKey.objects.count() == 0


@pytest.mark.django_db
def test_a_live_key_is_looked_up_without_a_query_and_refused_at_once_when_revoked(
    django_assert_num_queries: Any,
) -> None:
    from persx.headless.services import key_for

    created = create_key("snapshot app", KeyScope.DECIDE)
    assert key_for(created.text) is not None  # this process's copy of the live keys
    with django_assert_num_queries(0):
        assert key_for(created.text).pk == created.key.pk  # type: ignore[union-attr]
    revoke_key(created.key)
    assert key_for(created.text) is None


@pytest.mark.django_db
def test_keys_made_or_revoked_by_another_process_are_honoured() -> None:
    import time

    from persx.caching.snapshot import Snapshot
    from persx.headless.key_format import new_key
    from persx.headless.services import LIVE_KEYS, key_for

    first = create_key("first app", KeyScope.DECIDE)
    assert key_for(first.text) is not None  # this process now holds a copy
    # Another process makes a key: a row this process's copy does not hold yet.
    made = new_key()
    AppKey.objects.create(name="elsewhere", prefix=made.prefix, secret_hash=made.digest)
    assert key_for(made.text) is not None
    # Another process revokes the first key: the row, and its invalidation (same name).
    AppKey.objects.filter(pk=first.key.pk).update(revoked_at=timezone.now())
    Snapshot(LIVE_KEYS.name, lambda: None).invalidate()
    deadline = time.monotonic() + 10
    while key_for(first.text) is not None:
        assert time.monotonic() < deadline, "a revoked key was still accepted after 10 s"
        time.sleep(0.05)
