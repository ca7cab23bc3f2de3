"""One sending of an email template (EmailSend) and its one message per contact
(EmailMessage). ``unique(send, contact)`` and the claim step in
:mod:`persx.email_delivery.sending` make sure nothing is sent twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EmailSend(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Sending"
        FINISHED = "finished", "Finished"
        STOPPED = "stopped", "Stopped (resume it)"
        DRY_RUN = "dry_run", "Dry run (nothing sent)"

    template = models.ForeignKey(
        "persx_campaigns.EmailTemplate", on_delete=models.PROTECT, related_name="sends"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    batch_size = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)  # why it stopped, if it did
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"send {self.pk} of {self.template_id} ({self.status})"

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.failed

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.DRY_RUN, self.Status.STOPPED)


class EmailMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Claimed by a batch"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="messages")
    contact = models.ForeignKey(
        "persx_newsletter.Contact", on_delete=models.CASCADE, related_name="email_messages"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=300, blank=True)  # skip or failure reason
    choices = models.JSONField(default=list, blank=True)  # the blocks' decisions
    personalized = models.BooleanField(default=False)  # any block personalized
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "contact"], name="email_message_once"),
        ]
        indexes = [models.Index(fields=["send", "status"], name="email_message_send_status")]

    def __str__(self) -> str:
        return f"message {self.pk} of send {self.send_id} ({self.status})"
