"""An experiment's visitors counted by pre-exposure cell, for regression adjustment (CUPED).

The report's adjusted estimates (:mod:`~persx.analytics.report_adjustment`) need, per
visitor, the arm, what was known before the first exposure (prior engagement band,
industry, persona, landing page, company size), the cross-fitting fold and the outcome.
Visitors who agree on all of these are interchangeable for the prediction and the sums, so
the database counts them: one row per (arm, industry, persona, landing page, band, fold)
with the visitors and the converters, computed in one grouped query. Python receives
O(cells) rows, not O(visitors).

A visitor linked to an account before their first exposure keeps a row of their own
(``linked`` names them): their account and its size come from
:func:`~persx.analytics.account_links.accounts_of` (the links' precedence rules), and the
account-level sums group them by account. Those are the visitors whose company is known,
a small share of the traffic.

The fold is a hash of the visitor id computed in SQL (the last hex digit of its MD5, mod
:data:`FOLDS`): PostgreSQL's ``md5()``, SQLite's ``MD5()`` (registered by Django), the same
as :func:`fold_of` in Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection

from persx.accounts.models import VisitorAccountLink
from persx.analytics.models import ExperimentVisitor, VisitorConversion
from persx.events.event_types import EventType
from persx.events.models import Event

FOLDS = 2
HEX_DIGITS = "0123456789abcdef"
if len(HEX_DIGITS) % FOLDS:
    raise ValueError("FOLDS must divide 16: the fold is the last hex digit of an MD5, mod FOLDS")

EV = ExperimentVisitor._meta.db_table
VC = VisitorConversion._meta.db_table
EVENTS = Event._meta.db_table
LINKS = VisitorAccountLink._meta.db_table
PAGE_VIEW = EventType.PAGE_VIEW.value  # a constant: the only value inlined in the SQL
BAND_LIMIT = 5  # page views counted before the first exposure: 0, 1, 2-4, 5 or more


def fold_of(visitor_id: str) -> int:
    """The visitor's cross-fitting fold: the last hex digit of MD5(visitor id) mod FOLDS."""
    return int(hashlib.md5(visitor_id.encode()).hexdigest()[-1], 16) % FOLDS


def engagement_band(page_views: int) -> int:
    """0: new, 1: one page before, 2: 2-4 pages, 3: five or more."""
    return 0 if page_views <= 0 else 1 if page_views == 1 else 2 if page_views < 5 else 3


_FOLD_SQL = (
    "CASE substr(md5(ev.visitor_id), 32, 1) "
    + " ".join(f"WHEN '{d}' THEN {int(d, 16) % FOLDS}" for d in HEX_DIGITS)
    + " END"
)

BAND_SQL = (
    f"CASE WHEN prior = 0 THEN 0 WHEN prior = 1 THEN 1 WHEN prior < {BAND_LIMIT} THEN 2 ELSE 3 END"
)


def pre_exposure_sql(
    columns: str = "", joins: str = "", where: str = "", through_event: bool = False
) -> str:
    """What every count by pre-exposure cell starts from: one row per visitor of an
    experiment (alias ``ev``: :class:`ExperimentVisitor`) with ``visitor_id, arm, industry,
    persona``, ``page`` (of the first exposure) and ``prior`` (page views before it, up to
    an event id with ``through_event``), plus ``columns`` (aggregates over ``joins``).
    Parameters in order: the last event id (``through_event``), those of ``joins``, the
    experiment, those of ``where`` (``AND …`` over ``ev``)."""
    through = "AND p.id <= %s" if through_event else ""
    extra = f", {columns}" if columns else ""
    return f"""
    SELECT ev.visitor_id AS visitor_id, ev.arm AS arm, ev.industry AS industry,
           ev.persona AS persona, COALESCE(MAX(f.page), '') AS page, COUNT(p.id) AS prior
           {extra}
    FROM {EV} ev
    LEFT JOIN {EVENTS} f
           ON f.id = ev.first_event_id AND f.occurred_at = ev.first_exposed_at
    LEFT JOIN {EVENTS} p
           ON p.visitor_id = ev.visitor_id AND p.type = '{PAGE_VIEW}'
          AND p.occurred_at < ev.first_exposed_at {through}
    {joins}
    WHERE ev.experiment = %s {where}
    GROUP BY ev.visitor_id, ev.arm, ev.industry, ev.persona"""


_LINKED_AND_CONVERTED = pre_exposure_sql(
    columns=f"""{_FOLD_SQL} AS fold,
           CASE WHEN MAX(l.visitor_id) IS NULL THEN '' ELSE ev.visitor_id END AS linked,
           CASE WHEN MAX(c.visitor_id) IS NULL THEN 0 ELSE 1 END AS converted""",
    joins=f"""LEFT JOIN {VC} c
           ON c.visitor_id = ev.visitor_id AND c.experiment = ev.experiment AND c.metric = %s
    LEFT JOIN (SELECT DISTINCT l.visitor_id, l.linked_at FROM {LINKS} l) AS l
           ON l.visitor_id = ev.visitor_id AND l.linked_at <= ev.first_exposed_at""",
)
_CELLS_SQL = f"""
SELECT arm, industry, persona, page, {BAND_SQL} AS band,
       fold, linked, COUNT(*), SUM(converted)
FROM ({_LINKED_AND_CONVERTED}) AS visitors
GROUP BY arm, industry, persona, page, band, fold, linked
"""


def visitor_facts_sql(visitors: int = 0) -> str:
    """One row per visitor of an experiment: ``visitor_id, arm, industry, persona, page,
    band, fold``, from the events with an id up to a watermark. Parameters: the watermark,
    the experiment, then (``visitors`` > 0) that many visitor ids to keep."""
    among = f"AND ev.visitor_id IN ({', '.join(['%s'] * visitors)})" if visitors else ""
    facts = pre_exposure_sql(f"{_FOLD_SQL} AS fold", where=among, through_event=True)
    return f"""
SELECT visitor_id, arm, industry, persona, page, {BAND_SQL} AS band, fold
FROM ({facts}) AS visitors
"""


@dataclass(frozen=True, slots=True)
class UnitCell:
    """Visitors of one arm alike in everything known before their first exposure, and how
    many of them converted on the metric after it."""

    arm: str
    industry: str
    persona: str
    landing_page: str  # the page of the first exposure
    band: int  # engagement_band of the page views before the first exposure
    fold: int
    linked: str  # the visitor's id when linked to an account before exposure, else ""
    visitors: int
    conversions: int

    @property
    def key(self) -> tuple[str, str, str, str, int, int, str]:
        """What the cell groups by (its visitors share all of it); cells are listed in
        this order, whichever source counted them."""
        return (
            self.arm,
            self.industry,
            self.persona,
            self.landing_page,
            self.band,
            self.fold,
            self.linked,
        )


def unit_cells(experiment: str, metric: str) -> list[UnitCell]:
    """The visitors of ``experiment`` counted by pre-exposure cell, with their conversions
    on ``metric`` (a conversion rate), counted now from the raw events (O(events): the
    report reads :mod:`~persx.analytics.adjustment_cells` when they are as fresh as the
    rollups). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_CELLS_SQL, [metric, experiment])
        rows = cursor.fetchall()
    cells = [
        UnitCell(
            arm=arm,
            industry=industry,
            persona=persona,
            landing_page=page or "",
            band=int(band),
            fold=int(fold),
            linked=linked or "",
            visitors=int(visitors),
            conversions=int(conversions or 0),
        )
        for arm, industry, persona, page, band, fold, linked, visitors, conversions in rows
    ]
    return sorted(cells, key=lambda c: c.key)
