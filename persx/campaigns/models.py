"""Email templates: a subject, a preheader and a body of personalizable blocks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField

from persx.campaigns.editor_preview import EmailPreviewMixin
from persx.campaigns.email_blocks import email_body_blocks
from persx.content.page_validation import personalized_block_errors

SLUG_RULE = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lower-case letters, digits and single hyphens."
)


class EmailTemplate(EmailPreviewMixin, models.Model):
    """One email, written once with per-audience variants and rendered per contact."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=80,
        unique=True,
        validators=[SLUG_RULE],
        help_text="How commands and exports name this template (persx_email_export SLUG).",
    )
    subject = models.CharField(max_length=150)
    preheader = models.CharField(
        max_length=150,
        blank=True,
        help_text="The line inboxes show after the subject (hidden in the email itself).",
    )
    body = StreamField(email_body_blocks(), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Read by the content inventory's helpers (persx.content.page_personalization).
    streamfield_names: tuple[str, ...] = ("body",)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("subject"),
        FieldPanel("preheader"),
        FieldPanel("body"),
    ]

    class Meta:
        ordering = ("name",)
        verbose_name = "email template"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse invalid blocks on save, as pages do (the message names block and field)."""
        super().clean()
        messages = personalized_block_errors(self.body)
        if messages:
            raise ValidationError({"body": messages})
