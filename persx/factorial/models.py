"""Factorial experiments: 2-3 blocks (factors), each tested with 2-3 options, every
combination (cell) served to its share of visitors.

A kind of experiment on :class:`~persx.experiments.models.AbstractExperiment`: the one
status and lifecycle (``persx.experiments.lifecycle``), saved through
``services.save_factorial``. What it serves is decided in the engine
(``engine.deciding.factorial_cells``); what it found, in ``engine.statistics.factorial``.
"""

from __future__ import annotations

from django.db import models

from persx.experiments.models import AbstractExperiment, experiment_seed


class FactorialExperiment(AbstractExperiment):
    hypothesis = models.TextField(blank=True)
    # [{"block_type": "hero", "options": ["generic", "industry"]},
    #  {"block_type": "contact_form", "options": ["generic", "industry"]}]
    # The first option of each factor is its reference (the effects are read against it).
    factors = models.JSONField(default=list)
    coverage = models.FloatField(default=1.0)
    primary_metric = models.CharField(max_length=40, default="form_submission")
    bucket_version = models.PositiveIntegerField(
        default=1, help_text="Raise to re-randomise every visitor (new seed)."
    )
    hash_version = models.PositiveSmallIntegerField(default=2)

    class Meta(AbstractExperiment.Meta):
        verbose_name = "factorial experiment"

    @property
    def seed(self) -> str:
        return experiment_seed(self.key, self.bucket_version)
