"""The pipeline section aggregated in SQL (persx/analytics/pipeline_exposures.py,
persx/outcomes/pipeline_metrics.py, persx/analytics/report_pipeline.py): visitors the CRM
knows nothing about enter as counts, the others one by one.

1. A planted history whose sums are worked out by hand below: visitors with and without
   outcomes, an account with several visitors (linked, and through leads' work domain), an
   outcome known only by its account, outcomes of maturing visitors (never counted).
2. The number of queries does not grow with the visitors who have no CRM facts.
3. The CUPED-adjusted rows, computed on cells, equal the per-visitor formulation (each
   visitor's pre-exposure row from unit_rows, their prediction from
   report_adjustment.predicted_outcomes, account_sums per visitor) to 1e-9.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from persx.accounts.models import Provenance
from persx.accounts.services import link_visitor
from persx.analytics.account_links import accounts_of
from persx.analytics.models import ExperimentVisitor
from persx.analytics.pipeline_exposures import RolledUpExposures
from persx.analytics.report_adjustment import predicted_outcomes
from persx.analytics.report_model import ALL_INDUSTRIES
from persx.analytics.report_pipeline import pipeline_section
from persx.analytics.report_queries import find_design
from persx.analytics.services import update_rollups
from persx.analytics.unit_rows import unit_rows
from persx.engine.statistics import account_sums, adjusted_lift
from persx.engine.statistics.winsorize import ValueSums
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead
from persx.outcomes.models import Integration
from persx.outcomes.pipeline_metrics import ALL, pipeline_cells
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord
from tests.web.analytics_events import EventLog, measured_experiment

pytestmark = pytest.mark.django_db

KEY = "exp-sql"
NOW = timezone.now().replace(microsecond=0)
MATURED = NOW - timedelta(days=60)  # the 30-day window has closed
MATURING = NOW - timedelta(days=5)


@pytest.fixture(autouse=True)
def experiment() -> Iterator[None]:
    invalidate_experiments()
    measured_experiment(KEY, "Pipeline in SQL")
    yield
    invalidate_experiments()


def expose(visitor: str, arm: str, when: datetime, industry: str = "saas") -> ExperimentVisitor:
    return ExperimentVisitor(
        experiment=KEY,
        visitor_id=visitor,
        arm=arm,
        industry=industry,
        first_exposed_at=when,
        first_day=when.date(),
        first_event_id=0,
    )


def plain(arm: str, matured: int, maturing: int, industry: str = "saas") -> list[ExperimentVisitor]:
    """Visitors the CRM knows nothing about."""
    return [
        expose(f"{arm[:1]}-{industry}-{i}", arm, MATURED if i < matured else MATURING, industry)
        for i in range(matured + maturing)
    ]


def outcome(oid: str, stage: str, when: datetime, **keys: object) -> OutcomeRecord:
    row: dict[str, object] = {"outcome_id": oid, "stage": stage, "occurred_at": when, **keys}
    return OutcomeRecord.model_validate(row)


def lead(visitor: str, email: str) -> int:
    return int(Lead.objects.create(name=visitor, email=email, visitor_id=visitor).pk)


def eur(amount: int) -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": "EUR"}


@pytest.fixture
def planted() -> None:
    """Control: 20 plain matured (12 saas, 8 healthcare) and 5 plain maturing; ca1, ca2
    (matured, linked to acme.example before exposure; ca2 exposed first), ca3 (maturing,
    acme); cl1 (matured, healthcare, a lead at initech.example). Personalized: 30 plain
    matured, 4 plain maturing; tb1, tb2, tb3 (matured, leads at globex.example); tg1
    (matured, gmail lead: no account); tm1 (maturing, a lead with an opportunity)."""
    rows = [
        *plain("control", 12, 5),
        *plain("control", 8, 0, "healthcare"),
        *plain("personalized", 30, 4),
        expose("ca1", "control", MATURED + timedelta(hours=2)),
        expose("ca2", "control", MATURED + timedelta(hours=1)),
        expose("ca3", "control", MATURING),
        expose("cl1", "control", MATURED, "healthcare"),
        expose("tb1", "personalized", MATURED),
        expose("tb2", "personalized", MATURED + timedelta(hours=1)),
        expose("tb3", "personalized", MATURED + timedelta(hours=2)),
        expose("tg1", "personalized", MATURED),
        expose("tm1", "personalized", MATURING),
    ]
    ExperimentVisitor.objects.bulk_create(rows)
    for visitor in ("ca1", "ca2", "ca3"):
        link_visitor(visitor, "acme.example", Provenance.FIRMOGRAPHIC, at=MATURED - timedelta(1))
    ids = {
        v: lead(v, email)
        for v, email in [
            ("ca1", "ca1@acme.example"),
            ("cl1", "cl1@initech.example"),
            ("tb1", "tb1@globex.example"),
            ("tb2", "tb2@globex.example"),
            ("tb3", "tb3@globex.example"),
            ("tg1", "tg1@gmail.com"),
            ("tm1", "tm1@hooli.example"),
        ]
    }
    later = MATURED + timedelta(days=5)
    records = [
        outcome("w1", "won", later, lead_id=ids["ca1"], **eur(3000)),
        outcome("q1", "qualified_lead", later, lead_id=ids["cl1"]),
        outcome("o1", "opportunity", later, lead_id=ids["tb1"], **eur(5000)),
        outcome("l1", "lost", later, lead_id=ids["tb2"], **eur(2000)),
        outcome("o2", "opportunity", later, lead_id=ids["tg1"], **eur(50000)),
        outcome("o3", "opportunity", NOW - timedelta(days=1), lead_id=ids["tm1"], **eur(9000)),
        # Known only by its account: credited to acme's earliest-exposed visitor, ca2.
        outcome("a1", "opportunity", later, account="acme.example", **eur(1000)),
    ]
    result = check_and_store(Integration.objects.create(name="crm"), records)
    assert result.ok, result.problems


def test_sums_from_counts_and_crm_visitors_match_the_hand_computed_truth(planted: None) -> None:
    result = pipeline_cells(KEY, NOW, RolledUpExposures(KEY))
    assert (result.currency, result.other_currency_outcomes) == ("EUR", 0)
    assert result.maturing == 6 + 5  # control 5 plain + ca3; treatment 4 plain + tm1

    control = result.cell("control")
    assert control is not None
    assert (control.visitors, control.maturing) == (23, 6)  # 20 plain, ca1, ca2, cl1
    assert control.qualified_leads == ValueSums(23, 3.0, 3.0)  # ca1, ca2, cl1
    assert control.opportunities == ValueSums(23, 2.0, 2.0)  # ca1 (won), ca2 (a1)
    assert control.pipeline_value == ValueSums(23, 4000.0, 3000.0**2 + 1000.0**2)
    assert control.won_revenue == ValueSums(23, 3000.0, 3000.0**2)
    # Accounts: acme {ca1, ca2} N=2 Y=4000; initech {cl1} N=1; 20 plain accounts of one.
    assert control.accounts is not None
    accounts = control.accounts
    assert (accounts.accounts, accounts.visitors, accounts.visitors_sq) == (22, 23.0, 25.0)
    assert (accounts.outcome, accounts.outcome_sq) == (4000.0, 4000.0**2)
    assert accounts.outcome_visitors == 2 * 4000.0

    treatment = result.cell("personalized")
    assert treatment is not None
    assert (treatment.visitors, treatment.maturing) == (34, 5)  # 30 plain, tb1-3, tg1
    assert treatment.qualified_leads == ValueSums(34, 3.0, 3.0)  # tb1, tb2, tg1
    assert treatment.opportunities == ValueSums(34, 3.0, 3.0)
    assert treatment.pipeline_value == ValueSums(34, 57000.0, 5000.0**2 + 2000.0**2 + 50000.0**2)
    assert treatment.won_revenue == ValueSums(34, 0.0, 0.0)
    # Accounts: globex {tb1, tb2, tb3} N=3 Y=7000; tg1 alone Y=50000; 30 plain.
    assert treatment.accounts is not None
    accounts = treatment.accounts
    assert (accounts.accounts, accounts.visitors, accounts.visitors_sq) == (32, 34.0, 40.0)
    assert accounts.outcome == 57000.0
    assert accounts.outcome_sq == 7000.0**2 + 50000.0**2
    assert accounts.outcome_visitors == 3 * 7000.0 + 50000.0

    # Visitor cap: 99th percentile of 1000, 2000, 3000, 5000, 50000 (type 7):
    # h = 4 x 0.99 = 3.96 -> 5000 + 0.96 x 45000 = 48200.
    assert result.visitor_cap == pytest.approx(48200.0)
    assert treatment.pipeline_value_capped.total == pytest.approx(5000 + 2000 + 48200)
    assert treatment.pipeline_value_capped.n == 34
    # Account cap: account totals 4000 (acme), 7000 (globex), 50000 (tg1):
    # h = 2 x 0.99 = 1.98 -> 7000 + 0.98 x 43000 = 49140.
    assert result.account_cap == pytest.approx(49140.0)
    assert treatment.accounts_capped is not None
    assert treatment.accounts_capped.outcome == pytest.approx(7000 + 49140)
    assert treatment.accounts_capped.accounts == 32

    healthcare = result.cell("control", "healthcare")
    assert healthcare is not None
    assert (healthcare.visitors, healthcare.maturing) == (9, 0)
    assert healthcare.qualified_leads == ValueSums(9, 1.0, 1.0)
    assert healthcare.pipeline_value == ValueSums(9, 0.0, 0.0)
    assert {(c.arm, c.segment) for c in result.cells} == {
        ("control", ALL),
        ("control", "saas"),
        ("control", "healthcare"),
        ("personalized", ALL),
        ("personalized", "saas"),
    }
    # Only the visitors the CRM knows about are read one by one.
    assert {u.visitor_id for u in result.matured_units} == {
        "ca1",
        "ca2",
        "cl1",
        "tb1",
        "tb2",
        "tb3",
        "tg1",
    }


def test_the_queries_do_not_grow_with_visitors_without_crm_facts(planted: None) -> None:
    design = find_design(KEY)
    assert design is not None
    segments = [(ALL_INDUSTRIES, "All industries"), ("saas", "SaaS")]
    with CaptureQueriesContext(connection) as few:
        pipeline_section(design, segments, NOW)
    ExperimentVisitor.objects.bulk_create(
        [expose(f"more{i}", ("control", "personalized")[i % 2], MATURED) for i in range(400)]
    )
    with CaptureQueriesContext(connection) as many:
        section = pipeline_section(design, segments, NOW)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert section is not None
    rate = next(r for r in section.rows if r.metric == "qualified_leads" and not r.adjusted)
    assert (rate.control_visitors, rate.treatment_visitors) == (223, 234)


def per_visitor_adjusted(key: str, metric: str, unit: str, arm: str) -> tuple[float, float]:
    """The adjusted lift and its variance reduction computed visitor by visitor: the
    formulation the cells must equal."""
    design = find_design(key)
    assert design is not None
    cells = pipeline_cells(key, NOW, RolledUpExposures(key))
    cutoff = NOW - timedelta(days=cells.window_days)
    exposed = dict(
        ExperimentVisitor.objects.filter(experiment=key).values_list(
            "visitor_id", "first_exposed_at"
        )
    )
    rows = [r for r in unit_rows(key, design.primary_metric) if exposed[r.visitor_id] <= cutoff]
    listed = {u.visitor_id: u for u in cells.matured_units}
    y = np.array(
        [listed[r.visitor_id].values[metric] if r.visitor_id in listed else 0.0 for r in rows]
    )
    fitting = np.array([r.arm == design.control for r in rows])
    x = predicted_outcomes(rows, y, fitting, accounts_of(key))
    ids = [
        listed[r.visitor_id].account if unit == "account" and r.visitor_id in listed else None
        for r in rows
    ]

    def sums(keep: np.ndarray) -> object:
        return account_sums([a for a, k in zip(ids, keep, strict=True) if k], y[keep], x[keep])

    treated = np.array([r.arm == arm for r in rows])
    result = adjusted_lift(sums(fitting), sums(treated), alpha=0.05)  # type: ignore[arg-type]
    return result.adjusted.lift, result.lift_variance_reduction


def test_adjusted_rows_from_cells_equal_the_per_visitor_formulation() -> None:
    """Prior page views vary (so the predictions do), some visitors are maturing, some
    share accounts (linked before exposure: company size in the prediction) and some have
    pipeline."""
    rng = np.random.default_rng(11)
    log, records, links = EventLog(), [], []
    start = NOW - timedelta(days=70)
    for arm in ("control", "personalized"):
        for i in range(120):
            name = f"{arm[:2]}{i}"
            first = start + timedelta(days=i % 60, hours=1)  # i % 60 >= 41: maturing
            for view in range(int(rng.integers(0, 7))):
                log.add("page_view", name, first - timedelta(minutes=30 - view), page=f"/p{view}/")
            industry = ("saas", "healthcare")[i % 2]
            log.exposure(name, first, experiment=KEY, arm=arm, industry=industry)
            if i % 9 == 0:
                links.append((name, f"co{i % 4}.example", first - timedelta(days=1)))
            if rng.random() < 0.25 + 0.1 * (arm == "personalized"):
                records.append((name, first, int(rng.integers(1, 20)) * 1000))
    log.save()
    update_rollups()
    for name, domain, when in links:
        link_visitor(name, domain, Provenance.FIRMOGRAPHIC, size=f"{len(domain)}", at=when)
    stored = []
    for n, (name, first, amount) in enumerate(records):
        lead_id = lead(name, f"{name}@co{n % 5}.example")
        when = first + timedelta(days=2)
        stage = "won" if n % 3 == 0 else "opportunity"
        stored.append(outcome(f"o{n}", stage, when, lead_id=lead_id, **eur(amount)))
    result = check_and_store(Integration.objects.create(name="crm-cells"), stored)
    assert result.ok, result.problems

    design = find_design(KEY)
    assert design is not None
    section = pipeline_section(design, [(ALL_INDUSTRIES, "All industries")], NOW)
    assert section is not None
    checked = 0
    for row in section.rows:
        if not row.adjusted:
            continue
        lift, reduction = per_visitor_adjusted(KEY, row.metric, row.unit, row.arm)
        assert row.lift == pytest.approx(lift, rel=1e-9, abs=1e-12), (row.metric, row.unit)
        assert row.variance_reduction == pytest.approx(reduction, rel=1e-9, abs=1e-12)
        checked += 1
    assert checked == 6  # five per-visitor metrics and pipeline value per account
