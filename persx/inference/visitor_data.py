"""What inference holds about a visitor, for the export and the erasure (persx.privacy):
labelled examples (signals at the moment they answered the start form), and the
behaviour-signals cookie itself (exported from the request; deleted by the middleware)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.inference.artefact import signals_to_json
from persx.inference.models import InferenceExample
from persx.inference.visitor_signals import signals_of
from persx.privacy.holders import DataSubject


class InferenceHeld:
    name = "behaviour_signals"
    models: tuple[type[models.Model], ...] = (InferenceExample,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()

    def export(self, subject: DataSubject, request: HttpRequest | None) -> dict[str, Any]:
        examples = [
            {
                "visitor_id": e.visitor_id,
                "answered_at": e.answered_at.isoformat(),
                "industry": e.industry,
                "persona": e.persona,
                "inferred_industry": e.inferred_industry,
                "signals": e.signals,
            }
            for e in InferenceExample.objects.filter(visitor_id__in=subject.visitor_ids)
        ]
        state = signals_of(request) if request is not None else None
        return {
            "training_examples": examples,
            "cookie": signals_to_json(state.signals) if state is not None else None,
        }

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.inference.services import forget_examples

        return forget_examples(set(subject.visitor_ids))
