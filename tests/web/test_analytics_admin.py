"""The admin report pages, their exports and the personalization overview."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.test import Client

from persx.analytics.services import update_rollups
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


@pytest.fixture
def experiment() -> Experiment:
    """A running experiment with rollups: 40 visitors per arm in two industries."""
    created = Experiment.objects.create(
        key="exp-admin",
        name="Admin report test",
        hypothesis="Personalized copy converts better.",
        status=Experiment.Status.RUNNING,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value="999999",  # matches no page: cannot change what other tests render
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
    )
    log = EventLog()
    for i in range(160):
        arm = "control" if i % 2 else "personalized"
        industry = "saas" if i % 4 < 2 else "healthcare"
        visitor = f"adm{i}"
        log.exposure(visitor, at(i % 4), experiment="exp-admin", arm=arm, industry=industry)
        if (i % 10 == 0) if arm == "personalized" else (i % 16 == 1):
            log.event("form_submission", visitor, at(i % 4, 12))
    log.exposure("hold1", at(0), experiment=HOLDOUT_EXPERIMENT, arm="holdout")
    log.save()
    update_rollups()
    return created


def test_report_list_links_every_experiment_and_the_holdout(
    admin_client: Client, experiment: Experiment
) -> None:
    response = admin_client.get("/cms/measurement/experiments/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="experiment-list"' in html
    assert "/cms/measurement/experiments/exp-admin/" in html
    assert f"/cms/measurement/experiments/{HOLDOUT_EXPERIMENT}/" in html
    assert "Admin report test" in html


def test_report_page_shows_chart_trend_srm_and_sufficiency(
    admin_client: Client, experiment: Experiment
) -> None:
    response = admin_client.get("/cms/measurement/experiments/exp-admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 2  # interval bars + cumulative line (+ Wagtail's icons)
    assert 'data-testid="interval-chart"><svg' in html
    assert 'data-testid="cumulative-chart"><svg' in html
    assert "Traffic split looks healthy: 80 in control and 80 in personalized" in html
    assert "more visitors are needed" in html
    assert "SaaS" in html
    assert "Healthcare" in html
    assert "wagtailadmin" in html  # inside the admin furniture


class MetricView(HTMLParser):
    """What the report page says it shows: the metric picked in the selector, the heading of
    the per-industry section, and the text drawn in the per-industry interval chart."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.selected: list[str] = []
        self.industry_heading = ""
        self.chart_text: list[str] = []
        self._in_select = self._in_h2 = False
        self._chart_depth = 0
        self._h2 = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "select" and found.get("name") == "metric":
            self._in_select = True
        elif tag == "option" and self._in_select and "selected" in found:
            self.selected.append(found.get("value") or "")
        elif tag == "h2":
            self._in_h2, self._h2 = True, ""
        if self._chart_depth or found.get("data-testid") == "interval-chart":
            self._chart_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in_select = False
        elif tag == "h2" and self._in_h2:
            self._in_h2 = False
            if self._h2.startswith("PLI per industry"):
                self.industry_heading = self._h2.removeprefix("PLI per industry").strip()
        if self._chart_depth:
            self._chart_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self._h2 += data
        if self._chart_depth and data.strip():
            self.chart_text.append(data.strip())


def test_report_page_switches_metric(admin_client: Client, experiment: Experiment) -> None:
    def view(query: str) -> MetricView:
        response = admin_client.get(f"/cms/measurement/experiments/exp-admin/{query}")
        assert response.status_code == 200
        return MetricView(response.content.decode())

    primary = view("")
    assert primary.selected == ["form_submission"]
    assert primary.industry_heading == "Contact form submissions"

    engagement = view("?metric=engagement")
    assert engagement.selected == ["engagement"]
    assert engagement.industry_heading == "Time on page"
    # The chart is drawn from the chosen metric's comparisons, not the primary metric's.
    assert engagement.chart_text
    assert engagement.chart_text != primary.chart_text

    bounce = view("?metric=bounce")
    assert bounce.selected == ["bounce"]
    assert bounce.industry_heading == "Bounce rate · lower is better"

    # A metric the experiment does not measure falls back to the primary one.
    unknown = view("?metric=nope")
    assert (unknown.selected, unknown.industry_heading) == (
        primary.selected,
        primary.industry_heading,
    )
    assert unknown.chart_text == primary.chart_text


def test_csv_export_is_a_download_with_one_row_per_comparison(
    admin_client: Client, experiment: Experiment
) -> None:
    response = admin_client.get("/cms/measurement/experiments/exp-admin/report.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    pooled = next(r for r in rows if r["segment"] == "all" and r["metric"] == "form_submission")
    # personalized: i even and i % 10 == 0 → 0, 10, ..., 150: 16 of 80;
    # control: i odd and i % 16 == 1 → 1, 17, ..., 145: 10 of 80.
    assert (pooled["control_visitors"], pooled["control_conversions"]) == ("80", "10")
    assert (pooled["treatment_visitors"], pooled["treatment_conversions"]) == ("80", "16")


def test_json_export_has_the_report(admin_client: Client, experiment: Experiment) -> None:
    response = admin_client.get("/cms/measurement/experiments/exp-admin/report.json")
    assert response.status_code == 200
    data = response.json()
    assert data["experiment"]["key"] == "exp-admin"
    assert data["visitors"] == 160
    assert data["primary"]["treatment"]["conversions"] == 16
    assert data["srm"]["checked"] is True


def test_unknown_experiment_is_404(admin_client: Client) -> None:
    assert admin_client.get("/cms/measurement/experiments/nope/").status_code == 404
    assert admin_client.get("/cms/measurement/experiments/nope/report.csv").status_code == 404


def test_overview_shows_rate_pli_and_variants(admin_client: Client, experiment: Experiment) -> None:
    response = admin_client.get("/cms/measurement/overview/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="personalization-rate"' in html
    assert 'data-testid="overview-chart-exp-admin"' in html
    assert 'data-testid="top-variants"' in html
    assert "Industry: SaaS" in html
    assert "Admin report test" in html


def test_reports_need_an_admin_login(experiment: Experiment) -> None:
    for path in (
        "/cms/measurement/experiments/exp-admin/",
        "/cms/measurement/experiments/exp-admin/report.json",
        "/cms/measurement/overview/",
    ):
        response = Client().get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_report_page_without_data_explains_how_to_get_some(admin_client: Client) -> None:
    response = admin_client.get(f"/cms/measurement/experiments/{HOLDOUT_EXPERIMENT}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-data"' in html
    assert "manage.py simulate_traffic" in html
    assert 'data-testid="interval-chart"' not in html
