"""Experiments defined by analysts in the admin, and the other kinds of experiment.

A kind of experiment (a fixed-allocation :class:`Experiment`, a :class:`Bandit`) is a concrete
model on :class:`AbstractExperiment`: one key, name, :class:`Status` and the timestamps that
``lifecycle`` stamps, so every kind shares one lifecycle. A new kind (a factorial experiment,
say) subclasses it and gets the same status rules and messages, named by its verbose name.
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    """Where an experiment of any kind stands (the allowed changes: ``lifecycle``)."""

    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class RandomizationUnit(models.TextChoices):
    """What an experiment randomises: each visitor, or each account (company) so that the
    people of one company see the same arm (hash input: docs/hashing.md, "Randomization
    unit"; accounts: docs/accounts.md)."""

    VISITOR = "visitor", "Visitor"
    ACCOUNT = "account", "Account (company)"


class AbstractExperiment(models.Model):
    """What every kind of experiment shares: identity, status and its timestamps."""

    Status = Status
    RandomizationUnit = RandomizationUnit

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    randomization_unit = models.CharField(
        max_length=10,
        choices=RandomizationUnit.choices,
        default=RandomizationUnit.VISITOR,
        help_text=(
            "Visitor: each visitor is randomised on their own. Account: every visitor of one "
            "company (known from a work email, the firmographic lookup or a CRM) sees the same "
            "arm; visitors of no known company are randomised on their own. Locked once the "
            "experiment has started."
        ),
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class Experiment(AbstractExperiment):
    """A fixed-allocation experiment: weighted arms, scope, targeting (engine.experiments)."""

    class ScopeKind(models.TextChoices):
        SITE = "site", "Site-wide"
        BLOCK_TYPE = "block_type", "One block type"
        PAGE = "page", "One page"

    hypothesis = models.TextField(blank=True)
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
    # Profile sources the experiment admits (e.g. ["inferred"]); empty: any source.
    target_sources = models.JSONField(default=list, blank=True)
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

    @property
    def seed(self) -> str:
        return experiment_seed(self.key, self.bucket_version)


def experiment_seed(key: str, bucket_version: int) -> str:
    """The hashing seed of an experiment: a new bucket version re-randomises everyone."""
    return f"{key}:v{bucket_version}"


class Bandit(AbstractExperiment):
    """Thompson sampling over one block type's variants for one audience (engine.bandit).

    Arms are ``generic`` and the audience's variant keys; the allocation is recomputed on a
    schedule (``persx_bandit_update``) and stored as :class:`BanditAllocation` versions.
    """

    # 71: the engine's limit for a bandit key (engine.learning.bandit.BanditSetup).
    key = models.SlugField(max_length=71, unique=True)
    block_type = models.CharField(max_length=40)
    page_id_scope = models.CharField(
        max_length=20, blank=True, help_text="Only this page (its id); blank: every page."
    )
    audience = models.CharField(
        max_length=80, help_text="The visitors it covers, e.g. industry:saas or persona:…"
    )
    # Variant keys besides generic (generic is always the first arm).
    arms = models.JSONField(default=list)
    metric = models.CharField(max_length=40, default="form_submission")
    guardrail_metric = models.CharField(max_length=40, blank=True)
    guardrail_drop = models.FloatField(
        default=0.1, help_text="Tolerated relative drop of the guardrail metric vs generic."
    )
    holdback_share = models.FloatField(
        default=0.1, help_text="Share of visitors who always get a uniformly random arm."
    )
    min_exploration = models.FloatField(
        default=0.05, help_text="Least share of the adaptive traffic each arm keeps."
    )
    retire_below = models.FloatField(
        default=0.02, help_text="Chance to be best under which an arm is proposed for retirement."
    )
    retire_after = models.PositiveSmallIntegerField(
        default=3, help_text="Consecutive allocation versions under the threshold first."
    )


class BanditAllocation(models.Model):
    """One version of a bandit's allocation: what the request path reads (via a snapshot)."""

    bandit = models.ForeignKey(Bandit, on_delete=models.CASCADE, related_name="allocations")
    version = models.PositiveIntegerField()
    arms = models.JSONField(default=list)
    weights = models.JSONField(default=list)  # share of the non-holdback traffic per arm
    p_best = models.JSONField(default=list)
    low_streak = models.JSONField(default=list)
    retirement_proposals = models.JSONField(default=list, blank=True)
    pinned = models.JSONField(default=list, blank=True)  # guardrail: held at the floor
    holdback_share = models.FloatField()
    computed_at = models.DateTimeField()
    # What the version was computed from: per-arm visitors/conversions on the metric and
    # the guardrail metric, the rollup watermark, and why arms were pinned.
    inputs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("bandit", "-version")
        constraints = [
            models.UniqueConstraint(fields=["bandit", "version"], name="experiments_bandit_version")
        ]

    def __str__(self) -> str:
        return f"{self.bandit.key} v{self.version}"
