"""Planted CRM outcomes for ``simulate_traffic --accounts``: what a sales team's CRM says
later about the simulation's leads, with a known pipeline lift, brought in the way a real
team brings theirs: a HubSpot deal export (CSV) imported by the outcomes importer
(``persx.outcomes.csv_import``, the code behind ``manage.py persx_import_outcomes``).

The planted truth, per lead (a visitor who sent the contact form):

- it becomes a qualified lead with probability :data:`QUALIFIED_RATE`, times
  ``1 + plan.pipeline_lift`` when the visitor was shown the personalized contact form (so
  personalized content lifts the quality of leads, not only their number);
- a qualified lead becomes an opportunity with probability :data:`OPPORTUNITY_RATE`, an
  opportunity is won with probability :data:`WIN_RATE` and lost otherwise;
- an opportunity's amount is log-normal (median :data:`MEDIAN_AMOUNT` EUR, σ
  :data:`AMOUNT_SIGMA`: heavy-tailed, as deal sizes are);
- each stage takes days: a record reaches the furthest stage whose date has come (its
  first exposure plus the stage's delay), so leads from the last days of the run are still
  early in the funnel, which is what the reports' maturing cohorts are about.

The per-visitor qualified-lead rate is then lifted by (1 + form lift)(1 + pipeline lift) − 1
for personalized visitors: :func:`planted_pipeline_lift` says the number.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Min

from persx.events.event_types import EventType
from persx.events.models import Event
from persx.leads.models import Lead
from persx.outcomes.csv_import import ImportResult, import_csv
from persx.outcomes.models import AttributionWindow, Integration, Outcome
from persx.outcomes.services import attribution_days, set_attribution_days

INTEGRATION = "simulated-crm"
DEMO_ATTRIBUTION_DAYS = 7
QUALIFIED_RATE = 0.5
OPPORTUNITY_RATE = 0.4
WIN_RATE = 0.3
MEDIAN_AMOUNT = 24_000.0
AMOUNT_SIGMA = 0.9
# Days after the lead's first exposure at which each stage is reached.
QUALIFIED_DAYS = (1, 4)
OPPORTUNITY_DAYS = (5, 14)
CLOSED_DAYS = (15, 45)
HUBSPOT_COLUMNS = (
    "Deal ID",
    "Deal Name",
    "Deal Stage",
    "Amount",
    "Currency",
    "Close Date",
    "Associated Contact email",
    "PersX lead id",
)
_HUBSPOT_STAGE = {
    "qualified_lead": "Qualified To Buy",
    "opportunity": "Presentation Scheduled",
    "won": "Closed Won",
    "lost": "Closed Lost",
}


@dataclass(frozen=True, slots=True)
class PlantedCrm:
    leads: int
    outcomes: int
    by_stage: Mapping[str, int]
    export: Path | None
    imported: ImportResult | None
    attribution_days: int = 0


def planted_pipeline_lift(form_lift: float, pipeline_lift: float) -> float:
    """The true relative lift of the per-visitor qualified-lead rate."""
    return (1 + form_lift) * (1 + pipeline_lift) - 1


def _stage_reached(
    rng: random.Random, personalized: bool, pipeline_lift: float
) -> tuple[str, float | None, int]:
    """The furthest stage this lead will reach, its amount, and the days it takes; "" when
    the lead never qualifies."""
    qualified = QUALIFIED_RATE * ((1 + pipeline_lift) if personalized else 1.0)
    if rng.random() >= min(qualified, 1.0):
        return "", None, 0
    if rng.random() >= OPPORTUNITY_RATE:
        return "qualified_lead", None, rng.randint(*QUALIFIED_DAYS)
    amount = round(math.exp(math.log(MEDIAN_AMOUNT) + rng.gauss(0.0, AMOUNT_SIGMA)), 2)
    if rng.random() >= WIN_RATE:
        stage = "lost" if rng.random() < 0.5 else "opportunity"
        days = rng.randint(*(CLOSED_DAYS if stage == "lost" else OPPORTUNITY_DAYS))
        return stage, amount, days
    return "won", amount, rng.randint(*CLOSED_DAYS)


def _as_of(stage: str, days: int, first_exposure: datetime, now: datetime) -> str:
    """The stage the record is at by ``now`` (a later stage whose date has not come is not
    reached yet)."""
    if first_exposure + timedelta(days=days) <= now:
        return stage
    if stage in ("won", "lost") and first_exposure + timedelta(days=OPPORTUNITY_DAYS[0]) <= now:
        return "opportunity"
    if first_exposure + timedelta(days=QUALIFIED_DAYS[0]) <= now:
        return "qualified_lead"
    return ""


def export_rows(
    leads: Sequence[Lead],
    personalized: Mapping[str, bool],
    first_exposures: Mapping[str, datetime],
    pipeline_lift: float,
    seed: int,
    now: datetime,
) -> list[dict[str, str]]:
    """The CRM's deal export for these leads (HubSpot's column names and stage labels)."""
    rng = random.Random(seed * 7919 + 17)
    rows: list[dict[str, str]] = []
    for lead in leads:
        first = first_exposures.get(lead.visitor_id)
        if first is None:
            continue
        stage, amount, days = _stage_reached(
            rng, personalized.get(lead.visitor_id, False), pipeline_lift
        )
        stage = _as_of(stage, days, first, now) if stage else ""
        if not stage:
            continue
        reached = min(first + timedelta(days=days, hours=1), now - timedelta(minutes=10))
        rows.append(
            {
                "Deal ID": f"sim-deal-{lead.pk}",
                "Deal Name": f"{lead.company} deal",
                "Deal Stage": _HUBSPOT_STAGE[stage],
                "Amount": "" if amount is None or stage == "qualified_lead" else f"{amount:.2f}",
                "Currency": "EUR",
                "Close Date": max(reached, first + timedelta(minutes=1)).isoformat(),
                "Associated Contact email": lead.email,
                "PersX lead id": str(lead.pk),
            }
        )
    return rows


def plant_crm_outcomes(
    visitor_ids: Sequence[str],
    personalized: Mapping[str, bool],
    pipeline_lift: float,
    seed: int,
) -> PlantedCrm:
    """Write the planted deal export under ``var/`` and import it (integration
    :data:`INTEGRATION`); importing the same file again changes nothing."""
    leads = list(Lead.objects.filter(visitor_id__in=list(visitor_ids)).order_by("pk"))
    if not leads:
        return PlantedCrm(0, 0, {}, None, None)
    first_exposures = {
        row["visitor_id"]: row["first"]
        for row in Event.objects.filter(
            visitor_id__in=[lead.visitor_id for lead in leads], type=EventType.EXPOSURE
        )
        .values("visitor_id")
        .annotate(first=Min("occurred_at"))
    }
    rows = export_rows(leads, personalized, first_exposures, pipeline_lift, seed, datetime.now(UTC))
    by_stage: dict[str, int] = {}
    for row in rows:
        by_stage[row["Deal Stage"]] = by_stage.get(row["Deal Stage"], 0) + 1
    if not rows:
        return PlantedCrm(len(leads), 0, by_stage, None, None)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HUBSPOT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    export = Path(settings.VAR_DIR) / "simulated_crm_export.csv"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text(text.getvalue(), encoding="utf-8")
    Integration.objects.get_or_create(
        name=INTEGRATION, defaults={"description": "simulate_traffic's planted CRM"}
    )
    imported = import_csv(text.getvalue(), INTEGRATION, "hubspot")
    return PlantedCrm(len(leads), len(rows), by_stage, export, imported)


def demo_attribution_window(experiment_key: str) -> int:
    """The simulation's experiment counts outcomes within :data:`DEMO_ATTRIBUTION_DAYS` of
    first exposure unless someone has set its window: with the default 30 days every
    visitor of a two-week history would still be maturing, and the demo's pipeline section
    would show nothing but that. Returns the window in force."""
    if not AttributionWindow.objects.filter(experiment_key=experiment_key).exists():
        set_attribution_days(experiment_key, DEMO_ATTRIBUTION_DAYS)
    return attribution_days(experiment_key)


def clear_crm_outcomes() -> int:
    """Delete the planted CRM's outcomes (``simulate_traffic --clear``)."""
    return Outcome.objects.filter(integration__name=INTEGRATION).delete()[0]
