"""Inference through the real site: signals cookie, training command, the inferred layer.

The model is trained by ``manage.py persx_train_inference`` on labelled examples whose
behaviour was planted (tests/inference/planted_visitors.py); visitors then browse the site
with the real middleware stack.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from persx.engine.learning.inference import MAX_LIST_SIGNALS, Signals, features
from persx.engine.visitor.profile import Provenance
from persx.inference.artefact import signals_to_json
from persx.inference.models import InferenceExample, InferenceModelVersion, LabelSource
from persx.inference.repository import current_model, invalidate_model
from persx.inference.services import store_model
from persx.inference.training import TrainingResult, train
from persx.inference.visitor_signals import (
    MAX_COOKIE_BYTES,
    SALT,
    SignalsState,
    decode,
    encode,
)
from persx.profiles.models import VisitorProfileRecord
from tests.inference.planted_visitors import planted_visitors

SIGNALS = settings.PERSX["SIGNALS_COOKIE_NAME"]
PROFILE = settings.PERSX["PROFILE_COOKIE_NAME"]
TRAVEL_IP = "203.0.113.77"  # the demo firmographic CSV: Example Hotels Group, travel


@pytest.fixture(autouse=True)
def fresh_model() -> Iterator[None]:
    invalidate_model()
    yield
    invalidate_model()


def _seed_examples(count: int = 3_000, seed: int = 5) -> None:
    now = timezone.now()
    InferenceExample.objects.bulk_create(
        InferenceExample(
            visitor_id=f"{i:032x}",
            answered_at=now,
            industry=v.industry,
            persona="",
            source=LabelSource.START_FORM,
            signals=signals_to_json(v.signals),
        )
        for i, v in enumerate(planted_visitors(count, seed))
    )


@lru_cache(maxsize=1)
def _planted_model() -> TrainingResult:
    """Trained once per test run (the command itself is tested above on its own)."""
    return train(planted_visitors(1_500, seed=5), "planted-web", seed=0)


@pytest.fixture
def trained() -> InferenceModelVersion:
    return store_model(_planted_model(), 0.9, 1_500)


def _travel_visit(client: Client, path: str = "/") -> str:
    response = client.get(
        f"{path}?utm_campaign=travel-q3",
        HTTP_REFERER="https://travel-trade.example/news",
        REMOTE_ADDR=TRAVEL_IP,
    )
    assert response.status_code == 200
    return response.content.decode()


def _body_profile(html: str) -> str:
    marker = 'data-profile="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.mark.django_db
def test_training_stores_a_calibrated_current_version() -> None:
    _seed_examples()
    out = StringIO()
    call_command("persx_train_inference", stdout=out)
    row = InferenceModelVersion.objects.get(is_current=True)
    assert row.labelled_visitors == 3_000
    assert row.evaluation["ece"] <= 0.05
    assert row.evaluation["precision"] >= 0.9
    assert "is now current" in out.getvalue()
    model = current_model()
    assert model is not None
    assert model.version == row.version
    # A second training run replaces it: exactly one current version.
    call_command("persx_train_inference", "--seed", "1", stdout=StringIO())
    assert InferenceModelVersion.objects.filter(is_current=True).count() == 1


@pytest.mark.django_db
def test_training_without_enough_answers_says_so() -> None:
    with pytest.raises(CommandError, match="at least 50"):
        call_command("persx_train_inference", stdout=StringIO())
    assert not InferenceModelVersion.objects.exists()


@pytest.mark.django_db
def test_no_model_means_generic_and_no_profile() -> None:
    html = _travel_visit(Client())
    assert _body_profile(html) == "none"


@pytest.mark.django_db
def test_a_visitor_with_travel_signals_gets_an_inferred_travel_profile(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    html = _travel_visit(client)
    assert _body_profile(html) == "travel"
    # Inferred, not stated: no profile cookie, no stored record, nothing to restore.
    assert PROFILE not in client.cookies or not client.cookies[PROFILE].value
    assert 'id="persx-profile"' not in html
    assert not VisitorProfileRecord.objects.exists()
    # The signals cookie carries the visit, signed.
    assert client.cookies[SIGNALS].value


@pytest.mark.django_db
def test_a_visitor_without_evidence_stays_generic(trained) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/", REMOTE_ADDR="127.0.0.1")
    assert _body_profile(response.content.decode()) == "none"


@pytest.mark.django_db
def test_a_tampered_signals_cookie_is_ignored(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _travel_visit(client)
    value = client.cookies[SIGNALS].value
    client.cookies[SIGNALS] = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    html = client.get("/", REMOTE_ADDR="127.0.0.1").content.decode()
    assert _body_profile(html) == "none"


@pytest.mark.django_db
def test_a_later_start_form_answer_wins_and_becomes_a_label(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert _body_profile(_travel_visit(client)) == "travel"
    response = client.post(
        "/start/",
        {"industry": "healthcare", "goals": ["improve-patient-acquisition"], "next": "/"},
    )
    assert response.status_code == 302
    html = client.get("/", REMOTE_ADDR=TRAVEL_IP).content.decode()
    assert _body_profile(html) == "healthcare"
    record = VisitorProfileRecord.objects.get()
    assert record.industry == "healthcare"
    assert record.industry_source == Provenance.START_FORM
    example = InferenceExample.objects.exclude(visitor_id__startswith="0000").get()
    assert example.industry == "healthcare"
    assert example.source == LabelSource.CORRECTION
    assert example.inferred_industry == "travel"
    assert example.signals["r"] == "travel-trade.example"
    assert example.visitor_id == record.visitor_id
    # Retraining uses the new label: the visitor's latest answer.
    from persx.inference.labels import labelled_visitors

    labels = {v.industry for v in labelled_visitors() if v.signals.referrer_host}
    assert "healthcare" in labels


@pytest.mark.django_db
def test_the_one_question_prompt_corrects_an_inferred_profile(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _travel_visit(client)
    response = client.post("/start/industry/", {"industry": "saas", "next": "/"})
    assert response.status_code == 302
    assert _body_profile(client.get("/").content.decode()) == "saas"
    example = InferenceExample.objects.exclude(visitor_id__startswith="0000").get()
    assert (example.industry, example.source) == ("saas", LabelSource.CORRECTION)


@pytest.mark.django_db
def test_blog_posts_read_add_their_industry_tags(trained) -> None:  # type: ignore[no-untyped-def]
    from persx.content.models import BlogPostPage

    post = BlogPostPage.objects.live().filter(industries__slug="healthcare").first()
    assert post is not None
    client = Client()
    client.get(post.url, REMOTE_ADDR="127.0.0.1")
    client.post("/start/", {"industry": "healthcare", "goals": ["improve-patient-acquisition"]})
    example = InferenceExample.objects.exclude(visitor_id__startswith="0000").get()
    assert "industry:healthcare" in example.signals["t"]
    assert example.source == LabelSource.START_FORM


@pytest.mark.django_db
def test_the_ip_address_is_never_stored_or_logged(trained, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    client = Client()
    _travel_visit(client)
    client.get("/blog/", REMOTE_ADDR=TRAVEL_IP)
    client.post(
        "/start/",
        {"industry": "travel", "goals": ["increase-direct-bookings"]},
        REMOTE_ADDR=TRAVEL_IP,
    )
    assert InferenceExample.objects.exclude(visitor_id__startswith="0000").exists()
    # Every column of every table in the database, as text.
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for value in row:
                    text = str(value)
                    assert TRAVEL_IP not in text, table
                    # The company is kept only as the visitor's account (issue 17,
                    # docs/accounts.md: consenting visitors, erased with them).
                    if not table.startswith("persx_accounts_"):
                        assert "Example Hotels Group" not in text, table
    assert TRAVEL_IP not in caplog.text
    # Nor in the cookie (decoded).
    from django.core import signing

    assert TRAVEL_IP not in str(signing.loads(client.cookies[SIGNALS].value, salt=SALT))


@pytest.mark.django_db
def test_serving_an_inferred_profile_runs_no_sql(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _travel_visit(client, "/contact/")  # warm: catalog, model, page caches
    with CaptureQueriesContext(connection) as warm_generic:
        Client().get("/contact/", REMOTE_ADDR="127.0.0.1")
    with CaptureQueriesContext(connection) as inferred:
        html = client.get("/contact/", REMOTE_ADDR=TRAVEL_IP).content.decode()
    assert _body_profile(html) == "travel"
    assert len(inferred) <= len(warm_generic)
    assert not [q for q in inferred.captured_queries if "inference" in q["sql"]]


@pytest.fixture
def staff_client(db: None) -> Client:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("ed", "ed@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_bar_shows_the_inferred_profile_and_corrects_it_in_one_click(  # type: ignore[no-untyped-def]
    trained, staff_client: Client
) -> None:
    html = _travel_visit(staff_client, "/contact/")
    assert 'data-testid="admin-bar-inference" data-abstained="false"' in html
    probability = html.split('data-testid="inference-probability">', 1)[1].split("<", 1)[0]
    assert float(probability) >= trained.payload["industry"]["threshold"] - 0.005
    assert "came from travel-trade.example" in html or "UTM campaign travel-q3" in html
    assert 'data-testid="inference-correction"' in html
    # The visitor-facing banner says it is a guess and offers the same correction.
    assert 'data-testid="inferred-prompt"' in html
    response = staff_client.post("/start/industry/", {"industry": "saas", "next": "/contact/"})
    assert response.status_code == 302
    after = staff_client.get("/contact/").content.decode()
    assert _body_profile(after) == "saas"
    assert 'data-testid="admin-bar-inference"' not in after  # stated now: no inference
    assert 'data-testid="inferred-prompt"' not in after


@pytest.mark.django_db
def test_admin_bar_says_when_inference_abstained(trained, staff_client: Client) -> None:  # type: ignore[no-untyped-def]
    # A generic referrer says nothing about the industry.
    html = staff_client.get(
        "/contact/", HTTP_REFERER="https://linkedin.com/feed", REMOTE_ADDR="127.0.0.1"
    )
    text = html.content.decode()
    assert 'data-abstained="true"' in text
    assert "Inference abstained" in text


@pytest.mark.django_db
def test_inference_admin_page_shows_the_reliability_chart(trained, staff_client: Client) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.get("/cms/inference/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="reliability-chart"' in html
    bins = trained.evaluation["reliability"]
    assert html.count('data-testid="reliability-bin"') == len(bins)
    assert sum(b["count"] for b in bins) == trained.evaluation["visitors"]
    assert trained.version in html
    assert Client().get("/cms/inference/").status_code == 302  # admin login required


@pytest.mark.django_db
def test_inference_admin_page_without_a_model(staff_client: Client) -> None:
    html = staff_client.get("/cms/inference/").content.decode()
    assert 'data-testid="inference-no-model"' in html


def test_the_request_path_never_imports_scikit_learn() -> None:
    """Serving scores exported numbers in the engine; only training imports scikit-learn."""
    import os
    import subprocess
    import sys

    script = (
        "import django, sys\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "import persx.urls, persx.inference.middleware, persx.inference.serving\n"
        "import persx.profiles.middleware, persx.inference.wagtail_hooks\n"
        "from persx.inference import services, views, repository\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "persx.settings.test"},
        cwd=str(settings.BASE_DIR),
    )
    assert out.stdout.strip() == "False"


def _signals_cookie(client: Client) -> SignalsState:
    state = decode(client.cookies[SIGNALS].value, 3600)
    assert state is not None
    return state


@pytest.mark.django_db
def test_clicks_on_industry_specific_ctas_become_signals(trained) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get("/blog/").status_code == 200
    before = _signals_cookie(client)
    assert before.signals.cta_industries == ()
    for path in ("/contact/?cta=saas", "/about/?cta=SaaS", "/?cta=no-such-industry", "/?cta="):
        assert client.get(path).status_code == 200
    after = _signals_cookie(client)
    assert after.signals.cta_industries == ("saas", "saas")  # unknown and empty ignored
    assert after.visitor_id == before.visitor_id
    # The model sees them: two SaaS CTA clicks raise its SaaS probability for this visitor.
    model = current_model()
    assert model is not None
    saas = model.industry.classes.index("saas")
    with_clicks = model.industry.probabilities(features(after.signals))[saas]
    without = model.industry.probabilities(features(replace(after.signals, cta_industries=())))[
        saas
    ]
    assert with_clicks > without + 0.05


def test_the_signals_cookie_stays_bounded_with_many_cta_clicks() -> None:
    long = "x" * 180
    state = SignalsState(
        "f" * 32,
        Signals(
            landing_path="/" + long,
            pages_viewed=tuple(f"/{i}-{long}" for i in range(MAX_LIST_SIGNALS)),
            tags_read=tuple(f"topic:{i}-{long}" for i in range(MAX_LIST_SIGNALS)),
            cta_industries=tuple(f"industry-{i}-{long[:30]}" for i in range(MAX_LIST_SIGNALS)),
        ),
    )
    value = encode(state)
    assert len(value) <= MAX_COOKIE_BYTES
    kept = decode(value, 3600)
    assert kept is not None
    assert kept.signals.cta_industries  # the most recent clicks survive
    assert kept.signals.cta_industries[-1] == state.signals.cta_industries[-1]
