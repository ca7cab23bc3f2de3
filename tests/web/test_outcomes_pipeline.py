"""Pipeline metrics per arm (persx/outcomes/pipeline_metrics.py) on a small planted
experiment whose sums are worked out by hand below, with the analytics rollup's
ExperimentVisitor rows as the exposures (counted in SQL, the visitors the CRM knows about
read one by one: persx/analytics/pipeline_exposures.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from persx.analytics.models import ExperimentVisitor
from persx.analytics.pipeline_exposures import RolledUpExposures
from persx.engine.statistics.winsorize import ValueSums
from persx.leads.models import Lead
from persx.outcomes.models import Integration
from persx.outcomes.pipeline_metrics import ALL, account_lift, pipeline_cells, visitor_lift
from persx.outcomes.services import attribution_days, check_and_store, set_attribution_days
from persx.outcomes.validation import OutcomeRecord

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def exposed(visitor: str, arm: str, when: datetime, industry: str = "saas") -> ExperimentVisitor:
    return ExperimentVisitor(
        experiment="exp-p",
        visitor_id=visitor,
        arm=arm,
        industry=industry,
        first_exposed_at=when,
        first_day=when.date(),
        first_event_id=0,
    )


def lead(visitor: str, email: str) -> int:
    return int(Lead.objects.create(name=visitor, email=email, visitor_id=visitor).pk)


def store(*outcomes: dict[str, object]) -> None:
    integration, _ = Integration.objects.get_or_create(name="crm")
    records = [OutcomeRecord.model_validate(o) for o in outcomes]
    result = check_and_store(integration, records)
    assert result.ok, result.problems


@pytest.fixture
def planted() -> RolledUpExposures:
    """Control: c1, c2 (acme.example), c3 matured, c4 maturing. Treatment: t1, t5
    (globex.example), t2 (gmail: no account), t3, t4 matured; t6 maturing."""
    ids = {
        v: lead(v, email)
        for v, email in [
            ("c1", "c1@acme.example"),
            ("c2", "c2@acme.example"),
            ("c4", "c4@acme.example"),
            ("t1", "t1@globex.example"),
            ("t5", "t5@globex.example"),
            ("t2", "t2@gmail.com"),
            ("t3", "t3@initech.example"),
            ("t4", "t4@hooli.example"),
            ("t6", "t6@hooli.example"),
        ]
    }

    def o(
        oid: str,
        visitor: str,
        stage: str,
        when: datetime,
        amount: int | None = None,
        currency: str = "EUR",
        record: str | None = None,
    ) -> dict[str, object]:
        row: dict[str, object] = {
            "outcome_id": oid,
            "stage": stage,
            "occurred_at": when,
            "lead_id": ids[visitor],
        }
        if amount is not None:
            row |= {"amount": Decimal(amount), "currency": currency}
        if record:
            row["record_id"] = record
        return row

    store(
        # c1: one deal, first an opportunity, then won: counted once at its furthest stage.
        o("d1:opportunity", "c1", "opportunity", day(9), 1000, record="d1"),
        o("d1:won", "c1", "won", day(19), 1200, record="d1"),
        o("q2", "c2", "qualified_lead", day(4)),
        o("q4", "c4", "opportunity", day(62), 999),  # c4 is still maturing: not counted
        o("d3", "t1", "opportunity", day(11), 5000),
        o("d4", "t2", "lost", day(14), 100000),  # the outlier the cap is for
        o("d5", "t3", "opportunity", day(40), 7000),  # 39 days after exposure: outside
        o("d6", "t4", "opportunity", day(12), 700, currency="USD"),  # another currency
    )
    # An outcome only known by its account: credited to globex's earliest-exposed unit, t1.
    store(
        {
            "outcome_id": "acct-1",
            "stage": "won",
            "occurred_at": day(20),
            "account": "globex.example",
            "amount": "2000",
            "currency": "EUR",
        }
    )
    ExperimentVisitor.objects.bulk_create(
        [
            exposed("c1", "control", day(0)),
            exposed("c2", "control", day(0), "healthcare"),
            exposed("c3", "control", day(0)),
            exposed("c4", "control", day(55)),  # 55 + 30 > 61 days to AS_OF: maturing
            exposed("t1", "treatment", day(1)),
            exposed("t5", "treatment", day(2)),
            exposed("t2", "treatment", day(1)),
            exposed("t3", "treatment", day(1)),
            exposed("t4", "treatment", day(1)),
            exposed("t6", "treatment", day(50)),
        ]
    )
    return RolledUpExposures("exp-p")


def test_pipeline_sums_per_arm_with_maturing_cohorts_counted_apart(
    planted: RolledUpExposures,
) -> None:
    result = pipeline_cells("exp-p", AS_OF, planted)
    assert (result.window_days, result.currency, result.other_currency_outcomes) == (30, "EUR", 1)
    assert result.maturing == 2

    control = result.cell("control")
    assert control is not None
    assert (control.visitors, control.maturing) == (3, 1)
    assert control.qualified_leads == ValueSums(3, 2.0, 2.0)  # c1 (won), c2
    assert control.opportunities == ValueSums(3, 1.0, 1.0)  # c1
    assert control.pipeline_value == ValueSums(3, 1200.0, 1200.0**2)  # d1 once, as won
    assert control.won_revenue == ValueSums(3, 1200.0, 1200.0**2)

    treatment = result.cell("treatment")
    assert treatment is not None
    assert (treatment.visitors, treatment.maturing) == (5, 1)
    # t1: d3 + acct-1, t2: d4, t4: d6 (USD: a rate, no value); t3 outside the window.
    assert treatment.qualified_leads == ValueSums(5, 3.0, 3.0)
    assert treatment.opportunities == ValueSums(5, 3.0, 3.0)
    assert treatment.pipeline_value == ValueSums(5, 107000.0, 7000.0**2 + 100000.0**2)
    assert treatment.won_revenue == ValueSums(5, 2000.0, 2000.0**2)

    # The cap: 99th percentile of the positive per-visitor values 1200, 7000, 100000:
    # h = 2·0.99 = 1.98 → 7000 + 0.98·93000 = 98140.
    assert result.visitor_cap == pytest.approx(98140.0)
    assert treatment.pipeline_value_capped.total == pytest.approx(7000 + 98140)
    assert control.pipeline_value_capped == control.pipeline_value

    # Per account: control accounts acme (c1, c2: 1200) and c3 alone; treatment globex
    # (t1, t5: 7000), t2 alone (100000), initech (t3: 0), hooli (t4: 0).
    assert control.accounts is not None
    assert treatment.accounts is not None
    assert (control.accounts.accounts, control.accounts.visitors) == (2, 3.0)
    assert control.accounts.outcome_sq == pytest.approx(1200.0**2)
    assert control.accounts.visitors_sq == pytest.approx(2**2 + 1)
    assert (treatment.accounts.accounts, treatment.accounts.visitors) == (4, 5.0)
    assert treatment.accounts.outcome_sq == pytest.approx(7000.0**2 + 100000.0**2)
    # Account totals 1200, 7000, 100000 (and zeros): the same cap, 98140.
    assert result.account_cap == pytest.approx(98140.0)
    assert treatment.accounts_capped is not None
    assert treatment.accounts_capped.outcome == pytest.approx(7000 + 98140)

    segments = {(c.arm, c.segment) for c in result.cells}
    assert ("control", "healthcare") in segments
    assert ("control", ALL) in segments
    healthcare = result.cell("control", "healthcare")
    assert healthcare is not None
    assert healthcare.qualified_leads == ValueSums(1, 1.0, 1.0)

    lift = visitor_lift(control, treatment, "pipeline_value")
    assert lift.estimate == pytest.approx((107000 / 5) / (1200 / 3) - 1)
    clustered = account_lift(control, treatment)
    assert clustered.lift == pytest.approx((107000 / 5) / (1200 / 3) - 1)
    capped = account_lift(control, treatment, capped_values=True)
    assert capped.lift < clustered.lift
    with pytest.raises(ValueError, match="unknown pipeline metric"):
        control.metric("revenue")


def test_the_window_is_the_experiments_own_and_an_open_window_is_never_a_zero(
    planted: RolledUpExposures,
) -> None:
    assert attribution_days("exp-p") == 30
    set_attribution_days("exp-p", 45)
    result = pipeline_cells("exp-p", AS_OF, planted)
    treatment = result.cell("treatment")
    assert treatment is not None
    assert result.window_days == 45
    # t3's deal (39 days after exposure) is inside a 45-day window; t6 (day 50) still matures.
    assert treatment.pipeline_value.total == pytest.approx(107000 + 7000)
    assert (treatment.visitors, treatment.maturing) == (5, 1)
    # Before anyone's window closed, everything is maturing and nothing is a zero.
    early = pipeline_cells("exp-p", day(10), planted)
    assert early.cells
    assert all(c.visitors == 0 for c in early.cells)
    assert early.maturing == 8  # exposed by day 10: c1, c2, c3, t1, t2, t3, t4, t5
    with pytest.raises(ValidationError):
        set_attribution_days("exp-p", 0)
