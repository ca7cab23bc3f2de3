"""Drop the cached content indexes when editors publish, unpublish or change test ideas,
and the route table when pages, sites or view restrictions change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from persx.content.models import TestIdea
from persx.content.routing import invalidate_routes
from persx.content.tagged_index import invalidate_tagged_index


def _invalidate(**_: Any) -> None:
    invalidate_tagged_index()


def _invalidate_routes(**_: Any) -> None:
    # Now, and again once the change is committed: a table rebuilt by another request
    # between the two would still hold the old rows.
    invalidate_routes()
    transaction.on_commit(invalidate_routes)


def _page_deleted(instance: Any = None, **kwargs: Any) -> None:
    if isinstance(instance, Page):
        _invalidate_routes(**kwargs)


page_published.connect(_invalidate, dispatch_uid="persx-index-published")
page_unpublished.connect(_invalidate, dispatch_uid="persx-index-unpublished")
post_save.connect(_invalidate, sender=TestIdea, dispatch_uid="persx-index-idea-save")
post_delete.connect(_invalidate, sender=TestIdea, dispatch_uid="persx-index-idea-delete")

page_published.connect(_invalidate_routes, dispatch_uid="persx-routes-published")
page_unpublished.connect(_invalidate_routes, dispatch_uid="persx-routes-unpublished")
post_page_move.connect(_invalidate_routes, dispatch_uid="persx-routes-moved")
post_delete.connect(_page_deleted, dispatch_uid="persx-routes-page-delete")
for _model in (Site, PageViewRestriction):
    post_save.connect(
        _invalidate_routes, sender=_model, dispatch_uid=f"persx-routes-{_model.__name__}-save"
    )
    post_delete.connect(
        _invalidate_routes, sender=_model, dispatch_uid=f"persx-routes-{_model.__name__}-delete"
    )
