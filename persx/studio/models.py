"""What the studio keeps beside the pages: variant provenance and reviews, and drafts.

Live variants live in the pages' StreamField JSON (that is what is served). A draft is a
row here, never in a page, so a draft cannot be served; approving one writes it into the
page as a new published revision (``services.approve_draft``). A variant is identified by
its page, the StreamField block's id and its audience key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from wagtail.models import Page


class Origin(models.TextChoices):
    HUMAN = "human", "Written by a person"
    AI = "ai", "AI draft, approved as written"
    AI_EDITED = "ai_edited", "AI draft, edited before approval"


class VariantReview(models.Model):
    """The last review of one live variant: who approved it, when, and where it came from."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=64)
    audience = models.CharField(max_length=120)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.HUMAN)
    model_name = models.CharField(max_length=80, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    fact_sheet_version = models.CharField(max_length=40, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "block_id", "audience"], name="one_review_per_variant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.page_id}/{self.block_id}/{self.audience} ({self.origin})"


class Draft(models.Model):
    """A proposed variant awaiting review (never served)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=64)
    block_type = models.CharField(max_length=40)
    audience = models.CharField(max_length=120)
    content = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.AI)
    model_name = models.CharField(max_length=80, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    fact_sheet_version = models.CharField(max_length=40, blank=True)
    # Claim-checker findings: [{"field": ..., "claim": ..., "message": ...}]
    flags = models.JSONField(default=list, blank=True)
    # What the model call cost (both attempts when it was retried); 0 for demo drafts.
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(
        "DraftBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.block_type} for {self.audience} ({self.status})"


class FactSheet(models.Model):
    """What AI drafts for one audience may say. Versioned: every saved change (through
    ``services.save_fact_sheet``) bumps ``version``, and each draft records the version it
    was grounded in. One item per line in the list fields."""

    audience = models.CharField(max_length=120, unique=True)
    version = models.PositiveIntegerField(default=1)
    summary = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    tools = models.TextField(blank=True)
    proof_points = models.TextField(blank=True, help_text="Approved claims, with their numbers.")
    customers = models.TextField(blank=True, help_text="Customer names drafts may mention.")
    certifications = models.TextField(blank=True)
    words_to_avoid = models.TextField(blank=True)
    tone = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Fact sheet {self.audience} v{self.version}"


class DraftBatch(models.Model):
    """A background job drafting every missing cell of a page (or the whole site).

    The row is the job's progress: its cells in order, how far it got, what it spent (the
    screen polls it). The work is a task on the queue (``task_id``, run by
    :mod:`persx.studio.tasks` in a ``persx_worker``), which saves progress after each
    cell, so a task run again after its worker died resumes where it stopped.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Drafting"
        DONE = "done", "Finished"
        BUDGET = "budget", "Stopped at the budget"
        FAILED = "failed", "Stopped by an error"

    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    cells = models.JSONField(default=list)  # [[page_id, block_id, audience], ...]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    position = models.PositiveIntegerField(default=0)  # cells handled so far
    drafted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)  # filled meanwhile (a draft or a variant)
    budget_tokens = models.PositiveIntegerField()
    estimated_tokens = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)  # [{"cell": [...], "message": ...}]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the queue's task result id

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Draft batch {self.pk} ({self.status}, {self.position}/{len(self.cells)})"

    @property
    def total(self) -> int:
        return len(self.cells)

    @property
    def tokens_used(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.BUDGET, self.Status.FAILED}


class RetiredVariant(models.Model):
    """A live variant taken off its page (a loser the reports flagged), with the content and
    the provenance it had, so the retirement can be read and undone by hand."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=64)
    block_type = models.CharField(max_length=40)
    audience = models.CharField(max_length=120)
    content = models.JSONField()
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.HUMAN)
    model_name = models.CharField(max_length=80, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    fact_sheet_version = models.CharField(max_length=40, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    experiment = models.CharField(max_length=80, blank=True)
    revision_id = models.PositiveIntegerField(null=True, blank=True)  # the page revision
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField()

    class Meta:
        ordering = ("-retired_at",)

    def __str__(self) -> str:
        return f"retired {self.block_type} for {self.audience} on page {self.page_id}"


class AiHumanExperiment(models.Model):
    """An experiment the studio started between a cell's human variant and its approved AI
    challenger (the experiment itself lives in ``persx.experiments``)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=64)
    audience = models.CharField(max_length=120)
    experiment_key = models.SlugField(max_length=80, unique=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"AI vs human {self.experiment_key}"
