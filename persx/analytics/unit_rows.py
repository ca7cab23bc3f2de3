"""Per-visitor rows of one experiment, for the pipeline section's regression adjustment.

(The conversion analysis counts the same facts by cell in the database instead:
:mod:`~persx.analytics.unit_cells`.)

The daily rollups hold counts per cell, which is all the unadjusted report needs; CUPED
needs each visitor's outcome beside what was known of them *before* their first exposure.
Kept apart from :mod:`~persx.analytics.report_queries` so that it can move behind the event
store's interface with them. Two queries per report: the experiment's visitors with their
pre-exposure page views (a join on the events' visitor index) and landing page (the page
of the first exposure, by primary key), and the visitors who converted on the metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from persx.analytics.models import ExperimentVisitor, VisitorConversion
from persx.events.event_types import EventType
from persx.events.models import Event

EV = ExperimentVisitor._meta.db_table
EVENTS = Event._meta.db_table
PAGE_VIEW = EventType.PAGE_VIEW.value  # a constant: the only value inlined in the SQL


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One visitor of an experiment: the arm, what was known before the first exposure, and
    whether they converted on the metric after it."""

    visitor_id: str
    arm: str
    industry: str
    persona: str
    landing_page: str  # the page of the first exposure
    prior_page_views: int  # page views before the first exposure
    converted: bool


_ROWS_SQL = f"""
SELECT ev.visitor_id, ev.arm, ev.industry, ev.persona, MAX(first.page),
       COUNT(prior.id)
FROM {EV} ev
LEFT JOIN {EVENTS} first ON first.id = ev.first_event_id
LEFT JOIN {EVENTS} prior
       ON prior.visitor_id = ev.visitor_id
      AND prior.type = '{PAGE_VIEW}'
      AND prior.occurred_at < ev.first_exposed_at
WHERE ev.experiment = %s
GROUP BY ev.visitor_id, ev.arm, ev.industry, ev.persona
ORDER BY ev.visitor_id
"""


def unit_rows(experiment: str, metric: str) -> list[UnitRow]:
    """Every visitor of ``experiment`` with their pre-exposure facts and the outcome on
    ``metric`` (a conversion rate)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SQL, [experiment])
        rows = cursor.fetchall()
    converted = set(
        VisitorConversion.objects.filter(experiment=experiment, metric=metric).values_list(
            "visitor_id", flat=True
        )
    )
    return [
        UnitRow(
            visitor_id=visitor,
            arm=arm,
            industry=industry,
            persona=persona,
            landing_page=page or "",
            prior_page_views=int(prior_views or 0),
            converted=visitor in converted,
        )
        for visitor, arm, industry, persona, page, prior_views in rows
    ]
