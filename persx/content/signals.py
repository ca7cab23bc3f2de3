"""Drop the cached content indexes when editors publish, unpublish or change test ideas."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from persx.content.models import TestIdea
from persx.content.tagged_index import invalidate_tagged_index


def _invalidate(**_: Any) -> None:
    invalidate_tagged_index()


page_published.connect(_invalidate, dispatch_uid="persx-index-published")
page_unpublished.connect(_invalidate, dispatch_uid="persx-index-unpublished")
post_save.connect(_invalidate, sender=TestIdea, dispatch_uid="persx-index-idea-save")
post_delete.connect(_invalidate, sender=TestIdea, dispatch_uid="persx-index-idea-delete")
