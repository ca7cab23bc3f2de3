"""The trained inference models (versioned artefacts) and the labelled examples they learn from."""

from __future__ import annotations

from django.db import models


class InferenceModelVersion(models.Model):
    """One trained model: its exported coefficients, threshold and held-out evaluation.

    ``payload`` is what the engine scores (``artefact.payload_to_model``); ``evaluation`` the
    reliability table, ECE, precision and coverage on visitors the training never saw.
    Exactly one version is current (``services.store_model`` switches atomically).
    """

    version = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    is_current = models.BooleanField(default=False)
    target_precision = models.FloatField()
    labelled_visitors = models.PositiveIntegerField()
    payload = models.JSONField()
    evaluation = models.JSONField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version


class LabelSource(models.TextChoices):
    START_FORM = "start_form", "Start form"
    CORRECTION = "correction", "Correction of an inferred profile"


class InferenceExample(models.Model):
    """A visitor who told us who they are, with what they had done before telling us.

    The signals are the visitor's signals cookie at the moment they answered (pages, tags,
    UTM, referrer host, the firmographic *industry*); never an IP address or a company.
    """

    visitor_id = models.CharField(max_length=32)
    answered_at = models.DateTimeField()
    industry = models.CharField(max_length=40)
    persona = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=12, choices=LabelSource.choices)
    inferred_industry = models.CharField(max_length=40, blank=True)  # what we had guessed
    signals = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["answered_at"], name="inference_example_time")]

    def __str__(self) -> str:
        return f"{self.visitor_id} → {self.industry}"
