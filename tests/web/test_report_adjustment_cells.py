"""The adjusted estimates' cells stored at each rollup run are the live count, exactly.

A planted history whose every visitor's cell is known by construction (arm, industry,
persona, landing page, page views before the exposure, the MD5 fold of the id, converted or
not, linked to an account before exposure or not): the cells stored by the rollup
(:mod:`persx.analytics.adjustment_cells`) equal that truth and the live count from the raw
events (:func:`persx.analytics.unit_cells.unit_cells`), and the report's adjusted estimates
from them equal the ones counted live. Then the history changes the ways it can: late
events, a rebuild, a visitor erased, an account link recorded between rollup runs.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from persx.accounts.models import Account, Provenance, VisitorAccountLink
from persx.analytics.account_links import accounts_of
from persx.analytics.adjustment_cells import stored_cells
from persx.analytics.models import AdjustmentCell, RollupState
from persx.analytics.report_adjustment import adjusted_estimates
from persx.analytics.report_model import ALL_INDUSTRIES
from persx.analytics.report_queries import find_design
from persx.analytics.services import STATE_NAME, rebuild_rollups, update_rollups
from persx.analytics.unit_cells import UnitCell, unit_cells
from persx.experiments.repository import invalidate_experiments
from persx.privacy.holders import DataSubject
from persx.privacy.models import DataRequestChannel
from persx.privacy.services import erase
from tests.web.analytics_events import EventLog, measured_experiment

pytestmark = pytest.mark.django_db

KEY = "cells-stored"
METRIC = "form_submission"
# Page views before the first exposure -> the band the design names: none, one, 2-4, 5+.
BAND = {0: 0, 1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3}
SEGMENTS = [(ALL_INDUSTRIES, "All industries"), ("saas", "SaaS"), ("travel", "Travel")]


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def fold(visitor: str) -> int:
    """The design's fold: the last hex digit of MD5(visitor id), mod 2."""
    return int(hashlib.md5(visitor.encode()).hexdigest()[-1], 16) % 2


def spec(i: int) -> dict[str, Any]:
    """Visitor ``i`` of the planted history: everything its cell depends on, chosen by
    formula so the truth is known without running the code under test."""
    arm = ("control", "personalized")[i % 2]
    return {
        "visitor": f"cs{i:03d}",
        "arm": arm,
        "industry": ("saas", "travel", "healthcare")[i % 3],
        "persona": ("", "marketer")[(i // 3) % 2],
        "page": ("/contact/", "/pricing/")[(i // 2) % 2],
        "views": i % 8,
        "converted": (i % 5 == 0) or (arm == "personalized" and i % 7 == 0) or i % 8 >= 5,
        "linked": i % 11 == 3,
    }


def plant(visitors: int, now: datetime) -> list[dict[str, Any]]:
    measured_experiment(KEY, "Stored cells", sequential_tuning_n=8000)
    company = Account.objects.create(domain="cells-stored.example", size="51-200")
    log = EventLog()
    planted = [spec(i) for i in range(visitors)]
    for v in planted:
        start = now - timedelta(days=1 + int(v["visitor"][2:]) % 5)
        for n in range(v["views"]):
            log.add("page_view", v["visitor"], start + timedelta(minutes=n), page=f"/b/{n}/")
        exposed = start + timedelta(minutes=30)
        v["exposed"] = exposed
        log.exposure(
            v["visitor"], exposed, experiment=KEY, arm=v["arm"], industry=v["industry"],
            persona=v["persona"],
        )  # fmt: skip
        log.rows[-1].page = v["page"]
        if v["converted"]:
            log.event(METRIC, v["visitor"], exposed + timedelta(minutes=5))
        if v["linked"]:
            VisitorAccountLink.objects.create(
                visitor_id=v["visitor"], account=company, provenance=Provenance.FIRMOGRAPHIC,
                linked_at=exposed - timedelta(hours=1),
            )  # fmt: skip
    log.save()
    return planted


def truth(planted: list[dict[str, Any]]) -> list[UnitCell]:
    """The cells the design defines, counted here from the spec."""
    visitors: Counter[tuple[str, str, str, str, int, int, str]] = Counter()
    conversions: Counter[tuple[str, str, str, str, int, int, str]] = Counter()
    for v in planted:
        where = (
            v["arm"], v["industry"], v["persona"], v["page"], BAND[v["views"]],
            fold(v["visitor"]), v["visitor"] if v["linked"] else "",
        )  # fmt: skip
        visitors[where] += 1
        conversions[where] += int(v["converted"])
    return sorted(
        (
            UnitCell(arm, industry, persona, page, band, fold_, linked, n, conversions[where])
            for where, n in visitors.items()
            for arm, industry, persona, page, band, fold_, linked in [where]
        ),
        key=lambda c: c.key,
    )


def watermark() -> int:
    return RollupState.objects.get(name=STATE_NAME).last_event_id


def stored() -> list[UnitCell] | None:
    return stored_cells(KEY, METRIC, watermark(), accounts_of(KEY).keys())


def estimates() -> Any:
    design = find_design(KEY)
    assert design is not None
    return adjusted_estimates(design, SEGMENTS)


def live_estimates() -> Any:
    """The report's estimates with no stored cells: counted from the raw events."""
    AdjustmentCell.objects.filter(experiment=KEY).delete()
    return estimates()


def test_the_stored_cells_are_the_planted_truth_and_give_the_live_estimates() -> None:
    planted = plant(120, timezone.now().replace(microsecond=0))
    update_rollups()
    expected = truth(planted)
    assert any(c.linked for c in expected)
    assert any(c.visitors > 1 for c in expected)
    assert stored() == expected
    assert unit_cells(KEY, METRIC) == expected
    # every conversion metric is stored, at the rollup's watermark
    metrics = set(AdjustmentCell.objects.filter(experiment=KEY).values_list("metric", flat=True))
    assert {METRIC, "cta_click", "email_signup"} <= metrics
    assert set(AdjustmentCell.objects.values_list("through_event_id", flat=True)) == {watermark()}
    cta = stored_cells(KEY, "cta_click", watermark(), ())
    assert cta is not None
    assert sum(c.visitors for c in cta) == 120
    assert sum(c.conversions for c in cta) == 0

    from_table = estimates()
    assert from_table[1], from_table[2]  # there are estimates to compare
    assert from_table == live_estimates()


def test_late_events_count_after_the_next_rollup_run() -> None:
    now = timezone.now().replace(microsecond=0)
    planted = plant(60, now)
    update_rollups()
    before = truth(planted)
    late = EventLog()
    quiet = next(v for v in planted if v["views"] == 0 and not v["linked"])
    late.add("page_view", quiet["visitor"], quiet["exposed"] - timedelta(minutes=9))
    quiet["views"] = 1
    idle = next(v for v in planted if not v["converted"] and not v["linked"])
    late.event(METRIC, idle["visitor"], idle["exposed"] + timedelta(minutes=2))
    idle["converted"] = True
    newcomer = spec(61) | {"visitor": "late-one", "views": 0, "linked": False}
    late.exposure(
        "late-one", now - timedelta(hours=1), experiment=KEY, arm=newcomer["arm"],
        industry=newcomer["industry"], persona=newcomer["persona"],
    )  # fmt: skip
    late.rows[-1].page = newcomer["page"]
    late.save()
    planted.append(newcomer | {"converted": False})

    assert stored() == before  # as of the last rollup run, like the report's counts
    update_rollups()
    assert stored() == truth(planted) == unit_cells(KEY, METRIC)
    assert estimates() == live_estimates()


def test_a_rebuild_counts_the_same_cells() -> None:
    planted = plant(40, timezone.now().replace(microsecond=0))
    update_rollups()
    rebuild_rollups()
    assert stored() == truth(planted) == unit_cells(KEY, METRIC)


def test_an_erased_visitor_leaves_the_cells_at_once() -> None:
    planted = plant(60, timezone.now().replace(microsecond=0))
    update_rollups()
    gone = next(v for v in planted if v["converted"] and not v["linked"])
    erase(DataSubject(frozenset({gone["visitor"]})), DataRequestChannel.ADMIN)
    remaining = [v for v in planted if v is not gone]

    assert not AdjustmentCell.objects.filter(experiment=KEY).exists()
    assert stored() is None  # the report counts live until the next rollup run
    assert unit_cells(KEY, METRIC) == truth(remaining)
    update_rollups()  # no new event: the run counts the cells again
    assert stored() == truth(remaining)


def test_a_link_recorded_between_rollup_runs_gives_its_visitor_a_row_at_once() -> None:
    planted = plant(40, timezone.now().replace(microsecond=0))
    update_rollups()
    newly = next(v for v in planted if not v["linked"] and v["converted"])
    VisitorAccountLink.objects.create(
        visitor_id=newly["visitor"], account=Account.objects.get(domain="cells-stored.example"),
        provenance=Provenance.FIRMOGRAPHIC, linked_at=newly["exposed"] - timedelta(minutes=1),
    )  # fmt: skip
    newly["linked"] = True
    assert stored() == truth(planted) == unit_cells(KEY, METRIC)
    assert estimates() == live_estimates()
