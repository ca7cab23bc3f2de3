"""An experiment's exposed visitors as the pipeline section needs them: counted by the
database, except the few the CRM knows about (docs/scaling.md, "Reports at 1 M and 10 M
events").

:class:`RolledUpExposures` gives :func:`persx.outcomes.pipeline_metrics.pipeline_cells` the
rollup's ``ExperimentVisitor`` rows of one experiment as counts per arm and industry
(matured and maturing: one grouped query) and, one by one, only the visitors in
:data:`~persx.outcomes.crm_visitors.CRM_VISITORS_SQL` (an account link, a lead or a matched
outcome: that small set first, then their rows by the (visitor, experiment) index). Every
other visitor has no account and no pipeline, so a count is all the sums need of them.

:func:`matured_cells` does the same for the section's regression adjustment: the matured
visitors counted by pre-exposure cell (arm, industry, persona, landing page,
prior-engagement band, cross-fitting fold, as :mod:`~persx.analytics.unit_cells` counts
them for the conversion analysis), each visitor the CRM knows about in a row of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.db.models import Count, Q

from persx.analytics.models import ExperimentVisitor
from persx.analytics.unit_cells import BAND_SQL, FOLDS, pre_exposure_sql
from persx.outcomes.crm_visitors import CRM_VISITORS_SQL
from persx.outcomes.pipeline_metrics import ExposureCount

IDS_PER_QUERY = 900  # visitor ids in one IN list (under SQLite's bound on parameters)


class RolledUpExposures:
    """One experiment's exposures from the rollup (satisfies
    :class:`persx.outcomes.pipeline_metrics.Exposures`)."""

    def __init__(self, experiment: str) -> None:
        self.experiment = experiment

    def counts(self, as_of: datetime, matured_by: datetime) -> list[ExposureCount]:
        rows = (
            ExperimentVisitor.objects.filter(
                experiment=self.experiment, first_exposed_at__lte=as_of
            )
            .exclude(visitor_id="")
            .values("arm", "industry")
            .annotate(
                matured=Count("pk", filter=Q(first_exposed_at__lte=matured_by)),
                maturing=Count("pk", filter=Q(first_exposed_at__gt=matured_by)),
            )
            .order_by("arm", "industry")
        )
        return [
            ExposureCount(r["arm"], r["industry"], int(r["matured"]), int(r["maturing"]))
            for r in rows
        ]

    def with_crm_facts(self, as_of: datetime) -> list[ExperimentVisitor]:
        """The CRM's visitors first, then their rows by the (visitor, experiment) index:
        joined in one statement, PostgreSQL hashes the small set and scans every row of
        the experiment instead (0.36 s of 0.49 s at 1 M events)."""
        connection = connections[router.db_for_read(ExperimentVisitor)]
        with connection.cursor() as cursor:
            cursor.execute(CRM_VISITORS_SQL)
            known = sorted(visitor for (visitor,) in cursor.fetchall() if visitor)
        rows: list[ExperimentVisitor] = []
        for start in range(0, len(known), IDS_PER_QUERY):
            rows += ExperimentVisitor.objects.filter(
                experiment=self.experiment,
                first_exposed_at__lte=as_of,
                visitor_id__in=known[start : start + IDS_PER_QUERY],
            ).only("visitor_id", "arm", "industry", "first_exposed_at")
        return sorted(rows, key=lambda row: row.visitor_id)


@dataclass(frozen=True, slots=True)
class PreExposureCell:
    """Matured visitors of one arm alike in everything known before their first exposure;
    ``visitor_id`` names the visitor of a row of one (a visitor the CRM knows about)."""

    arm: str
    industry: str
    persona: str
    landing_page: str  # the page of the first exposure
    band: int  # unit_cells.engagement_band of the page views before the first exposure
    fold: int  # unit_cells.fold_of the visitor id
    visitor_id: str  # "" for a cell of visitors the CRM knows nothing about
    visitors: int


# The last hex digit of MD5(visitor id), grouped as it is (16 values); Python maps it to the
# fold as unit_cells.fold_of does.
_MATURED_VISITORS = pre_exposure_sql(
    columns="""substr(md5(ev.visitor_id), 32, 1) AS digit,
           CASE WHEN MAX(crm.visitor_id) IS NULL THEN '' ELSE ev.visitor_id END AS own""",
    joins=f"LEFT JOIN ({CRM_VISITORS_SQL}) AS crm ON crm.visitor_id = ev.visitor_id",
    where="AND ev.first_exposed_at <= %s AND ev.visitor_id <> ''",
)
_CELLS_SQL = f"""
SELECT arm, industry, persona, page, {BAND_SQL} AS band, digit, own, COUNT(*)
FROM ({_MATURED_VISITORS}) AS visitors
GROUP BY arm, industry, persona, page, band, digit, own
ORDER BY arm, industry, persona, page, band, digit, own
"""


def matured_cells(experiment: str, matured_by: datetime) -> list[PreExposureCell]:
    """The visitors of ``experiment`` first exposed by ``matured_by``, counted by
    pre-exposure cell (see the module). One query."""
    connection = connections[router.db_for_read(ExperimentVisitor)]
    cutoff = connection.ops.adapt_datetimefield_value(matured_by)
    with connection.cursor() as cursor:
        cursor.execute(_CELLS_SQL, [experiment, cutoff])
        rows = cursor.fetchall()
    return [
        PreExposureCell(
            arm=arm,
            industry=industry,
            persona=persona,
            landing_page=page or "",
            band=int(band),
            fold=int(digit, 16) % FOLDS,
            visitor_id=own or "",
            visitors=int(visitors),
        )
        for arm, industry, persona, page, band, digit, own, visitors in rows
    ]
