"""The report's adjusted estimates from cell counts equal the per-visitor computation.

:func:`persx.analytics.report_adjustment.adjusted_estimates` asks the database for the
visitors counted by pre-exposure cell (:mod:`persx.analytics.unit_cells`) and fits the
prediction on cells. The oracle here is the other formulation: one row per visitor
(:func:`persx.analytics.unit_rows.unit_rows`), the prediction fitted visitor by visitor and
the account sums built from the visitor rows (:func:`persx.engine.statistics.account_sums`).
On planted histories with every attribute varying (prior page views, industry, persona,
landing page, company size, accounts shared or not), both give the same numbers to 1e-9.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from persx.analytics.account_links import accounts_of
from persx.analytics.report_adjustment import (
    COVARIATE,
    predicted_outcomes,
    report_unit,
)
from persx.analytics.report_model import ALL_INDUSTRIES, ALPHA, AdjustedEstimate, Design
from persx.analytics.report_queries import find_design
from persx.analytics.reports import build_report
from persx.analytics.services import update_rollups
from persx.analytics.unit_cells import fold_of, unit_cells
from persx.analytics.unit_rows import UnitRow, unit_rows
from persx.engine.statistics import account_sums, adjusted_lift, relative_lift
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, measured_experiment

pytestmark = pytest.mark.django_db

TOLERANCE = 1e-9
INDUSTRIES = ("saas", "healthcare", "travel")
PERSONAS = ("", "marketer", "developer")
PAGES = ("/contact/", "/pricing/", "/")


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def make_experiment(key: str) -> None:
    measured_experiment(
        key, f"Cells test {key}", secondary_metrics=["cta_click"], sequential_tuning_n=8000
    )


def plant(key: str, per_arm: int, seed: int, accounts: int = 0) -> None:
    """Visitors whose conversion depends on their prior page views, industry, persona and
    landing page; with ``accounts``, a third of them linked (before exposure) to one of that
    many companies of varying size, and a few linked only after it."""
    from persx.accounts.models import Account, Provenance, VisitorAccountLink

    rng = np.random.default_rng(seed)
    log = EventLog()
    now = timezone.now().replace(microsecond=0)
    companies = [
        Account.objects.create(domain=f"c{seed}-{i}.example", size=("", "1-10", "51-200")[i % 3])
        for i in range(accounts)
    ]
    links = []
    for arm, factor in (("control", 1.0), ("personalized", 1.4)):
        for i in range(per_arm):
            name = f"{arm[:4]}{seed}v{i}"
            start = now - timedelta(days=int(i % 9), hours=3)
            views = int(rng.choice([0, 0, 1, 3, 6]))
            for v in range(views):
                log.add("page_view", name, start + timedelta(minutes=v), page=f"/blog/{v}/")
            exposed = start + timedelta(minutes=30)
            industry = INDUSTRIES[int(rng.integers(3))]
            persona = PERSONAS[int(rng.integers(3))]
            log.exposure(name, exposed, experiment=key, arm=arm, industry=industry, persona=persona)
            log.rows[-1].page = PAGES[int(rng.integers(3))]
            rate = (0.04 + 0.08 * min(views, 5) / 5 + 0.03 * (persona == "marketer")) * factor
            if rng.random() < rate:
                log.event("form_submission", name, exposed + timedelta(minutes=5))
            if companies and rng.random() < 1 / 3:
                links.append(
                    VisitorAccountLink(
                        visitor_id=name,
                        account=companies[int(rng.integers(len(companies)))],
                        provenance=Provenance.FIRMOGRAPHIC,
                        linked_at=exposed - timedelta(hours=1),
                    )
                )
            elif companies and rng.random() < 0.05:  # known only after exposure: not used
                links.append(
                    VisitorAccountLink(
                        visitor_id=name,
                        account=companies[0],
                        provenance=Provenance.WORK_EMAIL,
                        linked_at=exposed + timedelta(hours=1),
                    )
                )
    VisitorAccountLink.objects.bulk_create(links)
    log.save()
    update_rollups()


# --- the oracle: one row per visitor ---------------------------------------------------------


def _visitor_estimate(
    design: Design,
    arm: str,
    segment: str,
    rows: list[tuple[UnitRow, float]],
    unit: str,
    account_of: dict[str, str],
) -> dict[str, Any] | None:
    control = [(r, x) for r, x in rows if r.arm == design.control]
    treated = [(r, x) for r, x in rows if r.arm == arm]
    if len(control) < 2 or len(treated) < 2 or not any(r.converted for r, _ in control):
        return None

    def sums(part: list[tuple[UnitRow, float]]) -> Any:
        return account_sums(
            [account_of.get(r.visitor_id) for r, _ in part],
            [1.0 if r.converted else 0.0 for r, _ in part],
            [x for _, x in part],
        )

    c_sums, t_sums = sums(control), sums(treated)
    result = adjusted_lift(c_sums, t_sums, alpha=ALPHA)
    both = control + treated
    naive = relative_lift(
        sum(r.converted for r, _ in control),
        len(control),
        sum(r.converted for r, _ in treated),
        len(treated),
        alpha=ALPHA,
    )
    return {
        "arm": arm,
        "segment": segment,
        "unit": unit,
        "visitors": len(both),
        "units": int(c_sums.accounts) + int(t_sums.accounts),
        "returning_share": sum(r.prior_page_views > 0 for r, _ in both) / len(both),
        "adjusted_lift": result.adjusted.lift,
        "adjusted_lower": result.adjusted.lift_lower,
        "adjusted_upper": result.adjusted.lift_upper,
        "unadjusted_lift": result.unadjusted.lift,
        "unadjusted_upper": result.unadjusted.lift_upper,
        "theta": result.theta,
        "variance_reduction": result.lift_variance_reduction,
        "balance_p_value": result.balance.p_value,
        "visitor_level_lift": naive.lift if unit == "account" else None,
    }


def per_visitor_estimates(design: Design) -> list[dict[str, Any]]:
    rows = unit_rows(design.key, design.primary_metric)
    accounts = accounts_of(design.key)
    unit = report_unit(design, accounts)
    account_of = {v: a.account for v, a in accounts.items()} if unit == "account" else {}
    converted = np.array([1.0 if r.converted else 0.0 for r in rows])
    fitting = np.array([r.arm == design.control for r in rows])
    predicted = predicted_outcomes(rows, converted, fitting, accounts)
    paired = list(zip(rows, predicted.tolist(), strict=True))
    found = []
    for arm in design.treatments:
        for segment in (ALL_INDUSTRIES, *sorted({r.industry for r in rows})):
            subset = [(r, x) for r, x in paired if segment in (ALL_INDUSTRIES, r.industry)]
            estimate = _visitor_estimate(design, arm.key, segment, subset, unit, account_of)
            if estimate is not None:
                found.append(estimate)
    return found


def from_report(estimate: AdjustedEstimate) -> dict[str, Any]:
    return {
        "arm": estimate.arm,
        "segment": estimate.segment,
        "unit": estimate.unit,
        "visitors": estimate.visitors,
        "units": estimate.units,
        "returning_share": estimate.returning_share,
        "adjusted_lift": estimate.adjusted.lift,
        "adjusted_lower": estimate.adjusted.lower,
        "adjusted_upper": estimate.adjusted.upper,
        "unadjusted_lift": estimate.unadjusted.lift,
        "unadjusted_upper": estimate.unadjusted.upper,
        "theta": estimate.theta,
        "variance_reduction": estimate.variance_reduction,
        "balance_p_value": estimate.balance_p_value,
        "visitor_level_lift": estimate.visitor_level.lift if estimate.visitor_level else None,
    }


def assert_same(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(got) == len(expected)
    for mine, theirs in zip(
        sorted(got, key=lambda e: (e["arm"], e["segment"])),
        sorted(expected, key=lambda e: (e["arm"], e["segment"])),
        strict=True,
    ):
        for field, value in theirs.items():
            if isinstance(value, float):
                assert mine[field] == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE), field
            else:
                assert mine[field] == value, field


def test_cells_give_the_per_visitor_estimates_at_visitor_level() -> None:
    make_experiment("exp-cells")
    plant("exp-cells", per_arm=400, seed=3)
    design = find_design("exp-cells")
    assert design is not None
    report = build_report(design)
    assert report.unit == "visitor"
    expected = per_visitor_estimates(design)
    assert len(expected) == 4  # pooled and three industries
    assert all(e["variance_reduction"] > 0 for e in expected)  # the covariate predicts
    assert_same([from_report(a) for a in report.adjusted], expected)
    assert all(a.covariate == COVARIATE for a in report.adjusted)


def test_cells_give_the_per_visitor_estimates_at_account_level() -> None:
    make_experiment("exp-cells-acct")
    plant("exp-cells-acct", per_arm=400, seed=5, accounts=40)
    design = find_design("exp-cells-acct")
    assert design is not None
    report = build_report(design)
    assert report.unit == "account"
    expected = per_visitor_estimates(design)
    assert expected
    assert all(e["units"] < e["visitors"] for e in expected)  # accounts were shared
    assert_same([from_report(a) for a in report.adjusted], expected)


def test_the_database_fold_is_the_python_fold() -> None:
    make_experiment("exp-fold")
    plant("exp-fold", per_arm=60, seed=9)
    rows = unit_rows("exp-fold", "form_submission")
    folds = [fold_of(r.visitor_id) for r in rows]
    assert 0 < sum(folds) < len(folds)  # both folds hold visitors
    cells = unit_cells("exp-fold", "form_submission")
    by_fold = {f: sum(c.visitors for c in cells if c.fold == f) for f in (0, 1)}
    assert by_fold == {f: folds.count(f) for f in (0, 1)}
    assert sum(c.conversions for c in cells) == sum(r.converted for r in rows)
    # Cells are O(attribute combinations), not O(visitors).
    assert len(cells) < len(rows)
    assert not math.isnan(sum(c.band for c in cells))


def test_the_comparison_fails_when_the_folds_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison can fail: with another hash for Python's fold (CRC32, mod 2) the
    # oracle's cross-fitting splits visitors differently and its predictions change.
    # (Swapping the two folds' names would change nothing: each is fitted on the other.)
    make_experiment("exp-flip")
    plant("exp-flip", per_arm=400, seed=3)
    design = find_design("exp-flip")
    assert design is not None
    report = build_report(design)
    import persx.analytics.report_adjustment as adjustment

    monkeypatch.setattr(
        adjustment, "fold_of", lambda visitor_id: zlib.crc32(visitor_id.encode()) % 2
    )
    flipped = per_visitor_estimates(design)
    with pytest.raises(AssertionError):
        assert_same([from_report(a) for a in report.adjusted], flipped)


def test_dataclass_fields_are_compared() -> None:
    # Every numeric field of an adjusted estimate that the page shows is in the comparison.
    shown = {f.name for f in dataclasses.fields(AdjustedEstimate)}
    assert {"visitors", "units", "returning_share", "theta", "variance_reduction"} <= shown
