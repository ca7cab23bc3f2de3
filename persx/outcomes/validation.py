"""What a valid outcome is: one validator for ``POST /api/outcomes`` and
``manage.py persx_import_outcomes`` (docs/outcomes.md).

:class:`OutcomeRecord` checks each record on its own (stage in the vocabulary, amount
0..:data:`~persx.outcomes.vocabulary.MAX_AMOUNT` with at most two decimals, an ISO 4217
currency whenever there is an amount, a timestamp with its offset and not in the future, at
least one match key). :func:`validate_records` runs it over a batch and returns every
problem as a :class:`RowProblem` naming the row and the field; checks that need the
database (the first exposure, a stored outcome with the same id) are in
:mod:`persx.outcomes.services`, which reports them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from persx.accounts.email_domains import domain_of_website
from persx.outcomes.vocabulary import (
    AMOUNT_DECIMAL_PLACES,
    CURRENCIES,
    MAX_ACCOUNT,
    MAX_AMOUNT,
    MAX_EMAIL,
    MAX_OUTCOME_ID,
    STAGES,
)

MAX_BATCH = 1000
# A CRM's clock may run a little ahead of ours; later than this is "in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)

if TYPE_CHECKING:
    StageName = str
else:
    StageName = Literal[STAGES]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem with one record: ``row`` is its index in the batch (0-based) or, for a
    CSV file, its line number; ``field`` the outcome field."""

    row: int
    field: str
    message: str


class OutcomeRecord(BaseModel):
    """One CRM outcome as a client sends it."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        # At least one match key (the check in _consistent), as the document states it.
        json_schema_extra={
            "anyOf": [{"required": ["lead_id"]}, {"required": ["email"]}, {"required": ["account"]}]
        },
    )

    outcome_id: Annotated[str, Field(min_length=1, max_length=MAX_OUTCOME_ID)] = Field(
        description="The CRM's id of the record (e.g. a HubSpot Deal ID). Unique per "
        "integration: sending it again with the same content changes nothing."
    )
    record_id: Annotated[str, Field(max_length=MAX_OUTCOME_ID)] | None = Field(
        default=None,
        description="The CRM record (deal) this outcome is a stage of, when one record sends "
        "several stages under different outcome ids (e.g. 9001:opportunity, 9001:won): its "
        "amount then counts once, at its furthest stage. Default: the outcome id.",
    )
    stage: StageName = Field(description=f"One of {', '.join(STAGES)}.")
    amount: (
        Annotated[
            Decimal,
            WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT)}),
        ]
        | None
    ) = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT,
        decimal_places=AMOUNT_DECIMAL_PLACES,
        description=f"The deal's amount, 0 to {MAX_AMOUNT:,} with at most two decimals. "
        "Counted in the value metrics only with a currency.",
    )
    currency: (
        Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)})] | None
    ) = Field(default=None, description="ISO 4217 code (e.g. EUR, USD).")
    occurred_at: AwareDatetime = Field(
        description="When the record reached this stage (ISO 8601 with offset); not in the "
        "future, not before the matched visitor's first exposure."
    )
    # The match keys are documented without null: a key sent as null is no key.
    lead_id: Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1})] = Field(
        default=None, ge=1, description="The id of the PersX lead (contact form) it came from."
    )
    email: Annotated[
        str | None,
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_EMAIL}),
    ] = Field(
        min_length=1,
        max_length=MAX_EMAIL,
        default=None,
        description="The contact's email address (one that is no address matches nothing).",
    )
    account: Annotated[
        str | None,
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_ACCOUNT}),
    ] = Field(
        min_length=1,
        max_length=MAX_ACCOUNT,
        default=None,
        description="The company's web domain (e.g. acme.com; https://www.acme.com/ reads as "
        "acme.com). One that is no domain matches nothing.",
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = value.upper()
        if code not in CURRENCIES:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return code

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("is in the future")
        return value.astimezone(UTC)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return value.lower() if value else None

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        # A value that is no domain is kept as sent: it matches nothing (docs/outcomes.md).
        return (domain_of_website(value) or value.strip().lower()) if value else None

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeRecord:
        if self.lead_id is None and self.email is None and self.account is None:
            raise ValueError("lead_id: give at least one of lead_id, email or account")
        return self

    def content(self) -> tuple[Any, ...]:
        """What must be equal for a repeated outcome id to be the same outcome."""
        return (
            self.stage,
            self.amount,
            self.currency or "",
            self.occurred_at,
            self.lead_id,
            self.email or "",
            self.account or "",
            self.record_id or "",
        )


CONTENT_FIELDS = (
    "stage",
    "amount",
    "currency",
    "occurred_at",
    "lead_id",
    "email",
    "account",
    "record_id",
)


def _problems_of(row: int, exc: ValidationError) -> list[RowProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", ""))
        field = loc[0] if loc else ""
        if not loc and ": " in message:  # a model-level check names its field first
            field, _, message = message.removeprefix("Value error, ").partition(": ")
        problems.append(RowProblem(row, field or "record", message.removeprefix("Value error, ")))
    return problems


def validate_records(
    rows: Sequence[Mapping[str, Any]], first_row: int = 0
) -> tuple[list[OutcomeRecord], list[RowProblem]]:
    """Every row validated; the valid records (in order) and every problem found."""
    records: list[OutcomeRecord] = []
    problems: list[RowProblem] = []
    for offset, raw in enumerate(rows):
        row = first_row + offset
        if not isinstance(raw, Mapping):
            problems.append(RowProblem(row, "record", "must be an object"))
            continue
        try:
            records.append(OutcomeRecord.model_validate(raw))
        except ValidationError as exc:
            problems.extend(_problems_of(row, exc))
    return records, problems


def duplicate_problems(records: Sequence[OutcomeRecord], first_row: int = 0) -> list[RowProblem]:
    """The same outcome id twice in one batch with different content (the field that
    differs is named); the same id with the same content is only a repeat."""
    seen: dict[str, tuple[int, OutcomeRecord]] = {}
    problems = []
    for offset, record in enumerate(records):
        row = first_row + offset
        earlier = seen.setdefault(record.outcome_id, (row, record))
        if earlier[1] is record:
            continue
        for field in differing_fields(earlier[1].content(), record.content()):
            problems.append(
                RowProblem(
                    row,
                    field,
                    f"outcome {record.outcome_id!r} is also in row {earlier[0]} with another "
                    f"{field}",
                )
            )
    return problems


def differing_fields(old: tuple[Any, ...], new: tuple[Any, ...]) -> list[str]:
    return [name for name, a, b in zip(CONTENT_FIELDS, old, new, strict=True) if a != b]
