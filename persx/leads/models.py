"""Contact-form submissions, stored as real leads with the personalization they saw."""

from __future__ import annotations

from django.db import models


class Lead(models.Model):
    name = models.CharField(max_length=120)
    email = models.EmailField()
    company = models.CharField(max_length=120, blank=True)
    message = models.TextField(blank=True, max_length=4000)
    page = models.CharField(max_length=200, blank=True)
    visitor_id = models.CharField(max_length=32, blank=True)
    industry = models.CharField(max_length=40, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    variant = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def leads_of(visitor_ids: frozenset[str], email: str) -> models.QuerySet[Lead]:
    """The leads of these visitor ids and, when given, every lead sent with ``email``."""
    match = models.Q(visitor_id__in=[v for v in visitor_ids if v])
    if email:
        match |= models.Q(email__iexact=email)
    return Lead.objects.filter(match)
