"""The simulator's markers, for the erasure (persx.privacy): an erased simulated visitor
loses its marker too (the marker is a visitor id)."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

from persx.demo.models import SimulatedVisitor
from persx.privacy.holders import DataSubject


class SimulationMarkersHeld:
    name = "simulation_markers"
    models: tuple[type[models.Model], ...] = (SimulatedVisitor,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[str]:
        return list(
            SimulatedVisitor.objects.filter(visitor_id__in=subject.visitor_ids).values_list(
                "visitor_id", flat=True
            )
        )

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.demo.simulation_records import forget_simulation_markers

        return forget_simulation_markers(subject.visitor_ids)
