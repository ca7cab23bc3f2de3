"""Tombstones of erased visitors, and the log of data-rights requests (no personal data)."""

from __future__ import annotations

from django.db import models


class ErasedVisitor(models.Model):
    """An erased visitor id, stored only as a keyed hash (``persx.privacy.tombstones``).

    Events that arrive for that id afterwards (still queued in a writer, replayed by an old
    cookie, a tracker's offline queue) are dropped.
    """

    key = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"erased visitor {self.key[:12]}…"


class DataRequestKind(models.TextChoices):
    EXPORT = "export", "Export"
    ERASE = "erase", "Erasure"


class DataRequestChannel(models.TextChoices):
    VISITOR_PAGE = "visitor_page", "Visitor (privacy page)"
    API = "api", "Visitor (API)"
    ADMIN = "admin", "Administrator, on request by email"


class DataRequest(models.Model):
    """One export or erasure, logged without the personal data: who asked is a short keyed
    hash (the same subject gives the same value, nobody can turn it back into an id or an
    address), what was found is counted per kind of record."""

    kind = models.CharField(max_length=10, choices=DataRequestKind.choices)
    channel = models.CharField(max_length=20, choices=DataRequestChannel.choices)
    subject_key = models.CharField(max_length=16)
    counts = models.JSONField(default=dict)
    requested_by = models.CharField(max_length=150, blank=True)  # the admin's username
    at = models.DateTimeField()

    class Meta:
        ordering = ("-at",)
        permissions = [("handle_data_requests", "Can export and erase visitor data on request")]

    def __str__(self) -> str:
        return f"{self.kind} via {self.channel} at {self.at:%Y-%m-%d %H:%M}"
