"""How the usual CRM exports' columns and stage names become outcome fields
(``manage.py persx_import_outcomes --mapping hubspot|salesforce|persx``; the tables are
printed in docs/outcomes.md).

A mapping names, for each outcome field, the column headers that may hold it (the first
present in the file is used) and translates the CRM's stage names to the vocabulary of
:mod:`persx.outcomes.vocabulary`. Stage names are compared without case, spaces or
punctuation, so HubSpot's label "Closed Won" and its internal id ``closedwon`` are the same.
Values are then checked by the one validator (:mod:`persx.outcomes.validation`).

Dates: ISO 8601 (``2026-11-03``, ``2026-11-03 14:22``, with or without an offset) or US
``MM/DD/YYYY`` (both CRMs' default export for US users); a date or time without an offset
is UTC. Amounts: thousands separators (``,``), spaces and a leading currency symbol are
dropped; ``.`` is the decimal point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from persx.outcomes.vocabulary import STAGES, Stage

FIELDS = (
    "outcome_id",
    "record_id",
    "stage",
    "amount",
    "currency",
    "occurred_at",
    "lead_id",
    "email",
    "account",
)


def stage_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class CsvMapping:
    name: str
    label: str
    columns: Mapping[str, tuple[str, ...]]  # field -> accepted headers, first present wins
    stages: Mapping[str, str]  # stage_key(CRM stage) -> vocabulary stage
    # The CRM's id is the record; the outcome id is "<record>:<stage>", so a later export
    # with the deal at a further stage adds that stage instead of conflicting.
    record_ids: bool = True

    def column_for(self, field: str, headers: list[str]) -> str | None:
        present = {h.strip().lower(): h for h in headers}
        for candidate in self.columns.get(field, ()):
            if candidate.lower() in present:
                return present[candidate.lower()]
        return None

    def stage(self, raw: str) -> str:
        """The vocabulary stage of a CRM stage name (unknown names are passed on as they
        are, for the validator to refuse with the list of stages)."""
        return self.stages.get(stage_key(raw), raw)


def _stages(table: Mapping[str, Stage]) -> dict[str, str]:
    return {stage_key(name): stage.value for name, stage in table.items()}


# HubSpot's default sales pipeline (labels; their internal ids compare equal).
HUBSPOT_STAGES: dict[str, Stage] = {
    "Appointment Scheduled": Stage.QUALIFIED_LEAD,
    "Qualified To Buy": Stage.QUALIFIED_LEAD,
    "Presentation Scheduled": Stage.OPPORTUNITY,
    "Decision Maker Bought-In": Stage.OPPORTUNITY,
    "Contract Sent": Stage.OPPORTUNITY,
    "Closed Won": Stage.WON,
    "Closed Lost": Stage.LOST,
}

# Salesforce's default opportunity stages.
SALESFORCE_STAGES: dict[str, Stage] = {
    "Prospecting": Stage.QUALIFIED_LEAD,
    "Qualification": Stage.QUALIFIED_LEAD,
    "Needs Analysis": Stage.OPPORTUNITY,
    "Value Proposition": Stage.OPPORTUNITY,
    "Id. Decision Makers": Stage.OPPORTUNITY,
    "Perception Analysis": Stage.OPPORTUNITY,
    "Proposal/Price Quote": Stage.OPPORTUNITY,
    "Negotiation/Review": Stage.OPPORTUNITY,
    "Closed Won": Stage.WON,
    "Closed Lost": Stage.LOST,
}

MAPPINGS: dict[str, CsvMapping] = {
    "hubspot": CsvMapping(
        name="hubspot",
        label="HubSpot deal export",
        columns={
            "outcome_id": ("Deal ID", "Record ID"),
            "stage": ("Deal Stage",),
            "amount": ("Amount",),
            "currency": ("Currency", "Deal currency code"),
            "occurred_at": ("Close Date",),
            "lead_id": ("PersX lead id",),
            "email": ("Associated Contact email", "Associated Contact Email", "Email"),
            "account": ("Associated Company domain", "Company Domain Name"),
        },
        stages=_stages(HUBSPOT_STAGES),
    ),
    "salesforce": CsvMapping(
        name="salesforce",
        label="Salesforce opportunity export",
        columns={
            "outcome_id": ("Opportunity ID",),
            "stage": ("Stage",),
            "amount": ("Amount",),
            "currency": ("Opportunity Currency", "Currency"),
            "occurred_at": ("Close Date",),
            "lead_id": ("PersX lead id",),
            "email": ("Contact: Email", "Email"),
            "account": ("Account: Website", "Website"),
        },
        stages=_stages(SALESFORCE_STAGES),
    ),
    "persx": CsvMapping(
        name="persx",
        label="PersX's own columns",
        columns={field: (field,) for field in FIELDS},
        stages={stage_key(s): s for s in STAGES},
        record_ids=False,
    ),
}

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_timestamp(raw: str) -> datetime | str:
    """An aware datetime (UTC when the text has no offset), or the text unchanged when it is
    no date, for the validator to refuse."""
    text = raw.strip()
    us = _US_DATE.match(text)
    try:
        if us:
            month, day, year, hour, minute, second = us.groups()
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_amount(raw: str) -> str:
    return re.sub(r"^[^\d.-]+|[,\s]", "", raw.strip())


def record_of_row(
    mapping: CsvMapping,
    columns: Mapping[str, str],
    row: Mapping[str, Any],
    default_currency: str | None = None,
) -> dict[str, Any]:
    """The outcome fields of one CSV row (empty cells left out)."""
    record: dict[str, Any] = {}
    for field, column in columns.items():
        value = (row.get(column) or "").strip()
        if not value:
            continue
        if field == "stage":
            record[field] = mapping.stage(value)
        elif field == "amount":
            record[field] = parse_amount(value)
        elif field == "occurred_at":
            record[field] = parse_timestamp(value)
        else:
            record[field] = value
    if mapping.record_ids and record.get("outcome_id"):
        record["record_id"] = record["outcome_id"]
        record["outcome_id"] = f"{record['outcome_id']}:{record.get('stage', '')}"
    if "amount" in record and "currency" not in record and default_currency:
        record["currency"] = default_currency
    return record
