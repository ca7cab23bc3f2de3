"""The fixed words of an outcome: its stages, their order, the currencies it may be in and
the limits on its amount (docs/outcomes.md).

Stages are a fixed vocabulary so every CRM's outcomes mean the same thing in the reports;
a CRM's own stage names are translated by the import's mappings
(:mod:`persx.outcomes.csv_mapping`). Currencies are ISO 4217 codes, read from the maintained
``iso4217`` package (the ISO 4217 maintenance agency's table), not typed here.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import iso4217


class Stage(StrEnum):
    """Where a CRM record stands. ``lost`` is an opportunity that was lost: it reached the
    opportunity stage, so it counts as pipeline created, not as revenue."""

    QUALIFIED_LEAD = "qualified_lead"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)

# Stages that mean "reached at least this stage", for the funnel rates.
REACHED_QUALIFIED_LEAD = frozenset(STAGES)
REACHED_OPPORTUNITY = frozenset({Stage.OPPORTUNITY, Stage.WON, Stage.LOST})
PIPELINE_STAGES = REACHED_OPPORTUNITY  # amounts that count as pipeline created
REVENUE_STAGES = frozenset({Stage.WON})
# How far a CRM record got (won and lost both close it).
STAGE_ORDER: dict[str, int] = {
    Stage.QUALIFIED_LEAD: 0,
    Stage.OPPORTUNITY: 1,
    Stage.WON: 2,
    Stage.LOST: 2,
}

# The largest amount one outcome may carry: no B2B deal is worth a billion in any currency
# that matters here; anything above is a typo (an extra digit, cents for units) or a test.
MAX_AMOUNT = Decimal("1000000000")
AMOUNT_DECIMAL_PLACES = 2

CURRENCIES: frozenset[str] = frozenset(c.code for c in iso4217.Currency)

MAX_OUTCOME_ID = 100
MAX_EMAIL = 254
MAX_ACCOUNT = 253  # a domain name's longest form
