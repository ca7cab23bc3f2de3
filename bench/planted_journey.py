"""The planted visitor journey both event generators write (SQLite in ``bench/reporting.py``,
PostgreSQL in ``bench/postgresql_scale.py``), as SQL over a visitor relation ``v``.

Each visitor (columns ``vid``, ``industry``, ``held``, ``treated``, ``r1``..``r3``) gets a page
view and three block exposures (global holdout ``held``; the contact form in the
``pli-contact`` experiment, 50/50 by ``treated``), then conversions: contact form 3% generic,
+20% personalized; CTA clicks 8%; engagement seconds for 60%. The dialects differ only in how
a row's id, time and literals are written, so each generator passes its own ``row`` builder.
"""

from __future__ import annotations

from typing import Protocol

DAYS = 90
EVENTS_PER_VISITOR = 4.71  # 4 always + 3.2% contact form + 8% CTA + 60% engagement

NATURAL_VARIANT = "'industry:' || v.industry"
_HELD = "CASE WHEN v.held THEN '{a}' ELSE {b} END"
_PERSONALIZED = "(NOT v.held AND v.treated)"


class RowBuilder(Protocol):
    def __call__(
        self, order: int, kind: str, offset: int, where: str | None = None, **fields: str
    ) -> str:
        """One ``SELECT`` of event rows of ``kind``, ``offset`` seconds after the visit,
        for the visitors matching ``where`` (all when None), with ``fields`` overriding
        the defaults of :func:`event_values`."""
        ...


def event_values(
    kind: str, occurred_at: str, *, null_value: str, empty_properties: str, **fields: str
) -> dict[str, str]:
    """Every event column's SQL expression except ``event_id`` (the dialects differ)."""
    return {
        "type": f"'{kind}'",
        "visitor_id": "v.vid",
        "occurred_at": occurred_at,
        "received_at": occurred_at,
        "page": "'/contact/'",
        "industry": "v.industry",
        "persona": "''",
        "consent": "'unknown'",
        "block": "''",
        "variant": "''",
        "reason": "''",
        "experiment": "''",
        "arm": "''",
        "would_be": "''",
        "value": null_value,
        "properties": empty_properties,
        **fields,
    }


def journey_selects(row: RowBuilder, engagement_seconds: str) -> list[str]:
    """The journey's seven ``SELECT``s (to join with ``UNION ALL``)."""
    shared = {
        "variant": _HELD.format(a="generic", b=NATURAL_VARIANT),
        "reason": _HELD.format(a="holdout", b="'industry_match'"),
        "experiment": _HELD.format(a="global-holdout", b="''"),
        "arm": _HELD.format(a="holdout", b="''"),
        "would_be": NATURAL_VARIANT,
    }
    return [
        row(0, "page_view", 0),
        row(1, "exposure", 0, block="'hero'", **shared),
        row(
            2,
            "exposure",
            0,
            block="'contact_form'",
            variant=f"CASE WHEN {_PERSONALIZED} THEN {NATURAL_VARIANT} ELSE 'generic' END",
            reason="CASE WHEN v.held THEN 'holdout' WHEN v.treated THEN 'industry_match' "
            "ELSE 'experiment_control' END",
            experiment="CASE WHEN v.held THEN 'global-holdout' ELSE 'pli-contact' END",
            arm="CASE WHEN v.held THEN 'holdout' WHEN v.treated THEN 'personalized' "
            "ELSE 'control' END",
            would_be=NATURAL_VARIANT,
        ),
        row(3, "exposure", 0, block="'testimonial'", **shared),
        row(4, "cta_click", 30, "v.r2 < 800"),
        row(5, "engagement", 45, "v.r3 < 6000", value=engagement_seconds),
        row(6, "form_submission", 90, f"v.r1 < CASE WHEN {_PERSONALIZED} THEN 360 ELSE 300 END"),
    ]
