"""Accounts (companies), the links that say a visitor belongs to one, and the units pinned
for visitors who became known in the middle of an account-level experiment."""

from __future__ import annotations

from django.db import models


class Account(models.Model):
    """A company, identified by its normalized web/email domain (``acme.com``)."""

    domain = models.CharField(max_length=253, unique=True)
    name = models.CharField(max_length=160, blank=True)
    # Firmographic facts when a source knows them (industry: a catalog slug).
    industry = models.CharField(max_length=40, blank=True)
    size = models.CharField(max_length=40, blank=True, help_text="e.g. 51-200 employees")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("domain",)

    def __str__(self) -> str:
        return self.name or self.domain


class Provenance(models.TextChoices):
    """How a visitor is known to belong to an account, most authoritative first (the
    precedence of ``services.account_of_visitor``)."""

    SIGNED_IN_ORG = "signed_in_org", "Signed-in user's organisation"
    CRM = "crm", "CRM record"
    WORK_EMAIL = "work_email", "Work email domain"
    FIRMOGRAPHIC = "firmographic", "Firmographic lookup"


PRECEDENCE: tuple[str, ...] = tuple(p.value for p in Provenance)


class VisitorAccountLink(models.Model):
    """One piece of evidence that a visitor belongs to an account, with when and whence."""

    visitor_id = models.CharField(max_length=32, db_index=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="links")
    provenance = models.CharField(max_length=16, choices=Provenance.choices)
    # Where the evidence came from, without personal data: "lead 42", "firmographic CSV", ...
    source_detail = models.CharField(max_length=200, blank=True)
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ("visitor_id", "linked_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["visitor_id", "account", "provenance"],
                name="accounts_link_visitor_account_provenance",
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} → {self.account.domain} ({self.provenance})"


class ExperimentUnitPin(models.Model):
    """The unit an account-level experiment keeps hashing for a visitor who was exposed to
    it before their account became known (or changed): they keep the arm they were shown."""

    experiment_key = models.CharField(max_length=80)
    visitor_id = models.CharField(max_length=32, db_index=True)
    unit_id = models.CharField(max_length=253)
    pinned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment_key", "visitor_id"], name="accounts_pin_experiment_visitor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.experiment_key}: {self.visitor_id} → {self.unit_id}"
