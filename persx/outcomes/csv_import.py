"""Importing a CRM export (CSV) of outcomes, all or nothing (``manage.py
persx_import_outcomes``).

The file's columns are mapped (:mod:`persx.outcomes.csv_mapping`), every row validated by
the same validator as the API, then checked against the database and stored by
:func:`persx.outcomes.services.check_and_store` in chunks of
:data:`~persx.outcomes.validation.MAX_BATCH` inside ONE transaction: any problem in any row
and nothing is stored. Problems name the row (the file's line, the header being line 1) and
the column. Importing the same file again stores nothing new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from persx.outcomes.csv_mapping import MAPPINGS, CsvMapping, record_of_row
from persx.outcomes.models import Integration
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import (
    MAX_BATCH,
    OutcomeRecord,
    RowProblem,
    duplicate_problems,
    validate_records,
)

FIRST_DATA_LINE = 2  # line 1 is the header
REQUIRED_FIELDS = ("outcome_id", "stage", "occurred_at")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    matched: int = 0
    problems: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's column


class _RolledBack(Exception):
    pass


def _describe(problem: RowProblem, columns: dict[str, str]) -> str:
    column = columns.get(problem.field)
    where = f"column {column!r} ({problem.field})" if column else problem.field
    return f"row {problem.row}, {where}: {problem.message}"


def import_csv(
    text: str,
    integration_name: str,
    mapping_name: str = "persx",
    *,
    dry_run: bool = False,
    default_currency: str | None = None,
) -> ImportResult:
    mapping: CsvMapping = MAPPINGS[mapping_name]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = list(reader.fieldnames or [])
    result = ImportResult()
    for name in mapping.columns:
        column = mapping.column_for(name, headers)
        if column:
            result.columns[name] = column
    missing = [name for name in REQUIRED_FIELDS if name not in result.columns]
    if missing:
        expected = "; ".join(
            f"{name}: one of {', '.join(repr(c) for c in mapping.columns[name])}"
            for name in missing
        )
        result.problems.append(f"row 1 (header): missing columns for {expected}")
        return result
    rows = [record_of_row(mapping, result.columns, row, default_currency) for row in reader]
    result.rows = len(rows)
    if not rows:
        result.problems.append("row 2: the file has no outcomes")
        return result
    records, problems = validate_records(rows, first_row=FIRST_DATA_LINE)
    if not problems:
        problems = duplicate_problems(records, FIRST_DATA_LINE)
    if not problems:
        problems = _store(records, integration_name, dry_run, result)
    result.problems = [_describe(p, result.columns) for p in problems]
    return result


def _store(
    records: list[OutcomeRecord], integration_name: str, dry_run: bool, result: ImportResult
) -> list[RowProblem]:
    problems: list[RowProblem] = []
    try:
        with transaction.atomic():
            integration, _ = Integration.objects.get_or_create(name=integration_name)
            for start in range(0, len(records), MAX_BATCH):
                stored = check_and_store(
                    integration,
                    records[start : start + MAX_BATCH],
                    first_row=FIRST_DATA_LINE + start,
                )
                problems += stored.problems
                result.created += stored.created
                result.unchanged += stored.unchanged
                result.matched += stored.matched
            if problems or dry_run:
                raise _RolledBack
    except _RolledBack:
        pass
    return list(dict.fromkeys(problems))
