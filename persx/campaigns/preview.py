"""An email template as an audience sees it: the studio's preview (nothing measured).

The audience (``generic``, ``industry:<slug>``, ``persona:<slug>``) is previewed as the
site's preview modes do (:func:`persx.personalization.context.use_preview`): no
experiments, no holdout, so the editor sees the variant written for that audience.
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.campaigns.rendering import (
    RenderedEmail,
    TemplateContent,
    parts_for_context,
    rendered_email,
)
from persx.personalization.context import use_preview

PREVIEW_UNSUBSCRIBE = "/newsletter/unsubscribe/preview/"


def preview_email(template: TemplateContent, audience: str, base_url: str = "") -> RenderedEmail:
    """``template`` rendered for ``audience``; links on ``base_url`` (the admin's own host,
    so the preview's images load from it), never tracked."""
    context = use_preview(HttpRequest(), audience)
    parts = parts_for_context(
        template, context, unsubscribe_url=PREVIEW_UNSUBSCRIBE, base_url=base_url
    )
    return rendered_email(parts)
