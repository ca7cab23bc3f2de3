"""simulate_traffic --accounts: planted companies (correlated visitors with work emails) and
a planted CRM export imported through the outcomes importer, end to end through the site."""

from __future__ import annotations

import csv
import random
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from persx.accounts.models import Account, VisitorAccountLink
from persx.demo.planted_accounts import MAX_ACCOUNT_VISITORS, plant_accounts
from persx.demo.planted_crm import (
    DEMO_ATTRIBUTION_DAYS,
    INTEGRATION,
    demo_attribution_window,
    export_rows,
    planted_pipeline_lift,
)
from persx.events import exposure_writer
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead
from persx.outcomes.models import Outcome
from persx.outcomes.services import attribution_days, set_attribution_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated(tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    with override_settings(
        PERSX={**settings.PERSX, "DECISION_BUDGET_MS": 60_000.0}, VAR_DIR=tmp_path
    ):
        yield
    invalidate_experiments()


def test_planted_propensities_give_the_asked_intra_account_correlation() -> None:
    """The ICC of a Bernoulli outcome is Var(account rate) / (p(1-p)): estimated from 4,000
    planted accounts it is the asked 0.1 (not 0, not the 1/size a size effect would give)."""
    rng = random.Random(3)
    baseline, icc = 0.2, 0.1
    propensities = [
        a.propensity
        for a in {
            a.domain: a for a in plant_accounts(rng, 40_000, {"saas": 1.0}, icc, baseline)
        }.values()
    ]
    rates = [baseline * m for m in propensities]
    assert statistics.fmean(rates) == pytest.approx(baseline, rel=0.05)
    assert statistics.pvariance(rates) / (baseline * (1 - baseline)) == pytest.approx(icc, rel=0.15)


def test_accounts_have_one_industry_and_one_to_fifty_visitors() -> None:
    planted = plant_accounts(random.Random(5), 3_000, {"saas": 1.0, "travel": 1.0}, 0.1, 0.05)
    sizes = Counter(a.domain for a in planted)
    assert len(planted) == 3_000
    assert min(sizes.values()) >= 1
    assert max(sizes.values()) <= MAX_ACCOUNT_VISITORS
    assert max(sizes.values()) >= 10  # heavy-tailed: some accounts send many people
    assert sum(1 for n in sizes.values() if n == 1) > len(sizes) / 4  # most send few
    industries = {a.domain: a.industry for a in planted}
    assert all(a.industry == industries[a.domain] for a in planted)
    assert all(a.domain.endswith(".example") for a in planted)


def test_a_lead_reaches_only_the_stages_whose_day_has_come() -> None:
    """Leads first exposed an hour ago have reached no stage (qualifying takes a day at
    least); leads exposed 60 days ago have reached their final stage."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    leads = [Lead(pk=i, email=f"a{i}@acme.example", visitor_id=f"v{i}") for i in range(1, 401)]
    fresh = export_rows(leads, {}, {f"v{i}": now - timedelta(hours=1) for i in range(1, 401)},
                        0.0, 1, now)  # fmt: skip
    assert fresh == []
    old = export_rows(leads, {}, {f"v{i}": now - timedelta(days=60) for i in range(1, 401)},
                      0.0, 1, now)  # fmt: skip
    stages = Counter(row["Deal Stage"] for row in old)
    assert stages["Closed Won"] > 0
    assert stages["Closed Lost"] > 0
    assert all(row["Close Date"] <= now.isoformat() for row in old)
    assert 0.4 < len(old) / len(leads) < 0.6  # the planted qualification rate, 0.5


def test_the_planted_pipeline_lift_is_what_the_crm_export_shows() -> None:
    """Personalized leads qualify 1.5x as often with pipeline_lift 0.5 (20,000 leads)."""
    now = datetime(2026, 12, 7, tzinfo=UTC)
    leads = [Lead(pk=i, email=f"a{i}@acme.example", visitor_id=f"v{i}") for i in range(20_000)]
    exposed = {f"v{i}": now - timedelta(days=90) for i in range(20_000)}
    personalized = {f"v{i}": i % 2 == 0 for i in range(20_000)}
    rows = export_rows(leads, personalized, exposed, 0.5, 2, now)
    by_arm = Counter(int(row["PersX lead id"]) % 2 == 0 for row in rows)
    assert by_arm[True] / by_arm[False] == pytest.approx(1.5, rel=0.06)
    assert planted_pipeline_lift(0.2, 0.5) == pytest.approx(0.8)


def test_simulate_traffic_with_accounts_links_visitors_and_imports_the_crm_export() -> None:
    out = StringIO()
    call_command(
        "simulate_traffic",
        visitors=60,
        days=25,
        accounts=True,
        icc=0.1,
        pipeline_lift=0.3,
        industries="saas=1,healthcare=1",
        lift="0.3",
        baseline="0.5,cta_click=0.1",
        seed=11,
        stdout=out,
    )
    text = out.getvalue()
    assert "Planted accounts:" in text
    assert "Planted CRM:" in text
    leads = list(Lead.objects.all())
    assert leads, text
    # Work emails at the planted companies' domains made accounts and linked the visitors.
    assert all(lead.email.endswith(".example") for lead in leads)
    linked = set(VisitorAccountLink.objects.values_list("visitor_id", flat=True))
    assert {lead.visitor_id for lead in leads} <= linked
    assert Account.objects.filter(domain__endswith=".example").exists()
    # The export is a HubSpot deal export and it was imported, matched to the leads.
    export = settings.VAR_DIR / "simulated_crm_export.csv"
    rows = list(csv.DictReader(export.open(encoding="utf-8")))
    outcomes = Outcome.objects.filter(integration__name=INTEGRATION)
    assert outcomes.count() == len(rows) > 0
    assert all(o.match_status == "matched" for o in outcomes)
    # No outcome before its visitor's first exposure, none in the future.
    for outcome in outcomes:
        first = (
            Event.objects.filter(visitor_id=outcome.visitor_id, type=EventType.EXPOSURE)
            .order_by("occurred_at")
            .first()
        )
        assert first is not None
        assert first.occurred_at <= outcome.occurred_at
        assert outcome.occurred_at <= datetime.now(UTC)
    # Leads and links moved into the past with their visitors' events.
    assert Lead.objects.filter(created_at__lt=datetime.now(UTC) - timedelta(days=1)).exists()

    call_command("simulate_traffic", clear=True, stdout=StringIO())
    assert not Outcome.objects.filter(integration__name=INTEGRATION).exists()
    assert not VisitorAccountLink.objects.filter(visitor_id__in=linked).exists()
    assert not Account.objects.filter(domain__endswith=".example").exists()


def test_the_attribution_window_is_shown_and_set_by_its_command() -> None:
    out = StringIO()
    call_command("persx_attribution_window", "pli-contact", stdout=out)
    assert "within 30 days" in out.getvalue()  # the default
    call_command("persx_attribution_window", "pli-contact", "730", stdout=out)
    assert "within 730 days" in out.getvalue()  # the longest window allowed
    for days, message in (("0", "greater than or equal to 1"), ("731", "less than or equal")):
        with pytest.raises(CommandError, match=f"days: .*{message}"):
            call_command("persx_attribution_window", "pli-contact", days, stdout=out)
    assert attribution_days("pli-contact") == 730  # a refused value changed nothing


def test_the_demo_sets_a_short_window_only_where_nobody_set_one() -> None:
    assert demo_attribution_window("pli-contact") == DEMO_ATTRIBUTION_DAYS
    set_attribution_days("pli-contact", 21)
    assert demo_attribution_window("pli-contact") == 21
