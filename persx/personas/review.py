"""The persona review from the stored start-form answers (``engine.persona_review``)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from django.utils import timezone

from persx.catalog.repository import current_catalog
from persx.engine.learning.persona_review import Answer, PersonaReview, review_personas
from persx.engine.visitor.profile import Provenance
from persx.profiles.models import VisitorProfileRecord

STATED = (Provenance.START_FORM, Provenance.MANUAL, Provenance.URL_PARAM)
_SINCE = re.compile(r"^(\d{1,4})d$")


def parse_since(text: str) -> int:
    """``90d`` → 90 (days). Raises ``ValueError`` naming the expected form."""
    match = _SINCE.match(text.strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError("since must look like 90d (a number of days, at least 1)")
    return int(match.group(1))


def build_review(days: int, until: date | None = None, seed: int = 0) -> PersonaReview:
    """Answers of visitors who stated their industry, updated in the last ``days`` days."""
    end = until or timezone.localdate()
    start = end - timedelta(days=days - 1)
    rows = (
        VisitorProfileRecord.objects.filter(
            updated_at__date__gte=start,
            updated_at__date__lte=end,
            industry_source__in=[str(s) for s in STATED],
        )
        .exclude(industry="")
        .values_list(
            "industry", "persona", "persona_confidence", "goals", "tools", "role", "updated_at"
        )
    )
    answers = [
        Answer(
            industry,
            persona,
            confidence,
            tuple(goals or ()),
            tuple(tools or ()),
            role,
            timezone.localdate(updated_at),
        )
        for industry, persona, confidence, goals, tools, role, updated_at in rows.iterator()
    ]
    return review_personas(answers, current_catalog(), start, end, random.Random(seed))
