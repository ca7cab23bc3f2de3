"""What the traffic simulator made, so ``simulate_traffic --clear`` removes exactly that.

Simulated visitors are real cookie jars talking to the real site, so their events, leads
and profile records are ordinary rows; they are marked here by visitor id (the id the site
minted for that cookie jar, which no real visitor shares). An experiment the simulator had
to create is marked too.
"""

from __future__ import annotations

from django.db import models


class SimulatedVisitor(models.Model):
    visitor_id = models.CharField(max_length=32, unique=True)
    simulated_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"simulated visitor {self.visitor_id}"


class SimulatedExperiment(models.Model):
    """An experiment the simulator created (``--clear`` deletes it when nothing real used it)."""

    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"simulated experiment {self.key}"
