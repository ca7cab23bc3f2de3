"""GET /metrics: never public, Prometheus text format, bounded labels, and with several
gunicorn workers the sum of every worker's counts."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from persx.observability import metrics
from tests.web.conftest import client_with_profile
from tests.web.live_site import gunicorn_site

TOKEN = "s3cret-scrape-token"
pytestmark = pytest.mark.django_db


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PERSX_METRICS_TOKEN", TOKEN)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    return TOKEN


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_without_a_token_configured_the_endpoint_does_not_exist(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PERSX_METRICS_TOKEN", raising=False)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_a_missing_or_wrong_token_is_refused(
    client: Client, token: str, header: str | None
) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"persx_" not in response.content


def test_a_personalized_page_is_counted_with_bounded_labels(client: Client, token: str) -> None:
    def decisions() -> dict[tuple[tuple[str, str], ...], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return samples(response.content.decode(), "persx_block_decisions_total")

    before = decisions()
    visitor = client_with_profile("saas")
    assert visitor.get("/").status_code == 200
    after = decisions()
    grown = {k: after[k] - before.get(k, 0.0) for k in after if after[k] != before.get(k, 0.0)}
    assert grown, "no block decision was counted"
    for labels in grown:
        values = dict(labels)
        assert set(values) == {"block_type", "reason", "industry", "variant_kind"}
        assert values["industry"] == "saas"
        assert values["reason"] in metrics.REASONS
        assert values["variant_kind"] in {"generic", "industry", "persona"}
    assert any(dict(k)["reason"] == "industry_match" for k in grown)


def test_open_label_sets_are_capped() -> None:
    label = metrics.BoundedLabel()
    assert label(None) == metrics.NONE
    assert label("a visitor's free text") == metrics.OTHER
    assert label("x" * 41) == metrics.OTHER
    accepted = {label(f"slug-{i}") for i in range(metrics.BoundedLabel.MAX_VALUES + 10)}
    assert len(accepted) == metrics.BoundedLabel.MAX_VALUES + 1  # the cap, plus "other"
    assert metrics.OTHER in accepted
    assert metrics.variant_kind("industry:saas") == "industry"
    assert metrics.variant_kind("nonsense") == metrics.OTHER


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _per_process_pages(directory: Path) -> dict[str, float]:
    """persx_pages_served of each worker's file (the file name carries the pid)."""
    totals = {}
    for path in directory.glob("counter_*.db"):
        total = sum(
            value
            for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path))
            if '"persx_pages_served"' in key and "_created" not in key
        )
        if total:
            totals[path.stem] = total
    return totals


@pytest.mark.slow
@pytest.mark.own_server
def test_two_gunicorn_workers_are_summed(tmp_path: Path) -> None:
    multiproc = tmp_path / "prom"
    with gunicorn_site(
        tmp_path / "var",
        workers=2,
        PERSX_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    ) as site:
        assert _get(site.url + "/metrics")[0] == 401
        status, text = _get(site.url + "/metrics", TOKEN)
        assert status == 200
        start = sum(samples(text, "persx_pages_served_total").values())

        # Concurrent page views until both workers have served some (bounded rounds).
        served = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):
                statuses = list(pool.map(lambda _: _get(site.url + "/start/")[0], range(40)))
                assert set(statuses) == {200}
                served += len(statuses)
                if len(_per_process_pages(multiproc)) >= 2:
                    break
        per_worker = _per_process_pages(multiproc)
        assert len(per_worker) >= 2, f"only one worker served: {per_worker}"

        status, text = _get(site.url + "/metrics", TOKEN)
        total = sum(samples(text, "persx_pages_served_total").values())
        # Every page view counted once, whichever worker served it.
        assert start == 0
        assert total == served
        assert sum(per_worker.values()) == total
        assert re.search(
            r'persx_pages_served_total\{personalized="no",profile_layer="none"\}', text
        )
