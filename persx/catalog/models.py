"""Catalog rows: industries, personas, goals and martech tools, editable in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lowercase letters, digits and -."
)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class Industry(models.Model):
    slug = models.SlugField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=80)
    tagline = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "slug")
        verbose_name_plural = "industries"

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    label = models.CharField(max_length=120)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "slug")

    def __str__(self) -> str:
        return self.label


class MartechTool(models.Model):
    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    label = models.CharField(max_length=120)
    category = models.CharField(max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "slug")
        verbose_name = "martech tool"

    def __str__(self) -> str:
        return self.label


class Persona(models.Model):
    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="personas")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    goals = models.ManyToManyField(Goal, related_name="personas", blank=True)
    tools = models.ManyToManyField(MartechTool, related_name="personas", blank=True)
    pain_points = models.TextField(blank=True, help_text="One per line.")
    vocabulary = models.TextField(blank=True, help_text="One term per line.")
    role_keywords = models.TextField(
        blank=True, help_text="One per line: words in a job title that point to this persona."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("industry__sort_order", "sort_order", "slug")

    def __str__(self) -> str:
        return f"{self.name} ({self.industry.name})"

    def clean(self) -> None:
        if self.slug and self.industry_id and not self.slug.startswith(self.industry.slug):
            raise ValidationError({"slug": "A persona slug starts with its industry's slug."})

    @property
    def pain_point_list(self) -> tuple[str, ...]:
        return _lines(self.pain_points)

    @property
    def vocabulary_list(self) -> tuple[str, ...]:
        return _lines(self.vocabulary)

    @property
    def role_keyword_list(self) -> tuple[str, ...]:
        return _lines(self.role_keywords)


class CatalogRelease(models.Model):
    """Which version of the catalog data file was last imported, and when."""

    version = models.CharField(max_length=40, unique=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-imported_at",)

    def __str__(self) -> str:
        return self.version
