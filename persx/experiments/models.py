"""Experiments defined by analysts in the admin."""

from __future__ import annotations

from django.db import models


class Experiment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    class ScopeKind(models.TextChoices):
        SITE = "site", "Site-wide"
        BLOCK_TYPE = "block_type", "One block type"
        PAGE = "page", "One page"

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    hypothesis = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scope_kind = models.CharField(max_length=12, choices=ScopeKind.choices, default=ScopeKind.SITE)
    scope_value = models.CharField(
        max_length=80, blank=True, help_text="Block type (e.g. contact_form) or page id."
    )
    # [{"key": "control", "kind": "generic", "weight": 0.5},
    #  {"key": "personalized", "kind": "personalized", "weight": 0.5},
    #  {"key": "saas-copy", "kind": "variant", "weight": 0.0, "variant_key": "industry:saas"}]
    arms = models.JSONField(default=list)
    coverage = models.FloatField(default=1.0)
    target_industries = models.JSONField(default=list, blank=True)
    requires_profile = models.BooleanField(default=True)
    requires_consent = models.BooleanField(default=False)
    primary_metric = models.CharField(max_length=40, default="form_submission")
    secondary_metrics = models.JSONField(default=list, blank=True)
    namespace = models.CharField(max_length=60, blank=True)
    namespace_start = models.FloatField(default=0.0)
    namespace_end = models.FloatField(default=1.0)
    bucket_version = models.PositiveIntegerField(
        default=1, help_text="Raise to re-randomise every visitor (new seed)."
    )
    hash_version = models.PositiveSmallIntegerField(default=2)
    # Expected sample size for the sequential interval (fixed per experiment).
    sequential_tuning_n = models.PositiveIntegerField(default=5000)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def seed(self) -> str:
        return experiment_seed(self.key, self.bucket_version)


def experiment_seed(key: str, bucket_version: int) -> str:
    """The hashing seed of an experiment: a new bucket version re-randomises everyone."""
    return f"{key}:v{bucket_version}"
