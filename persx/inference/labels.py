"""The training set: each visitor's latest stated answer with the signals they had then."""

from __future__ import annotations

from datetime import datetime

from persx.inference.artefact import signals_from_json
from persx.inference.models import InferenceExample
from persx.inference.training import LabelledVisitor


def labelled_visitors(since: datetime | None = None) -> list[LabelledVisitor]:
    """One example per visitor: their latest answer (a later answer or correction wins)."""
    rows = InferenceExample.objects.order_by("visitor_id", "-answered_at", "-id")
    if since is not None:
        rows = rows.filter(answered_at__gte=since)
    latest: dict[str, LabelledVisitor] = {}
    for row in rows.iterator():
        if row.visitor_id not in latest:
            latest[row.visitor_id] = LabelledVisitor(
                signals_from_json(row.signals), row.industry, row.persona
            )
    return list(latest.values())
