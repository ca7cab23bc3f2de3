"""The content inventory: which page types are personalizable, and their personalizable blocks.

One definition, used by the page path (:mod:`persx.content.page_personalization`), the
studio's coverage matrix (:mod:`persx.studio.coverage`) and the monitor's content audit
(:mod:`persx.monitoring.content_audit`):

- a **personalizable page type** is every concrete Wagtail page model that subclasses
  :class:`~persx.content.models.PersonalizedPage` (Wagtail's own registry of page models,
  so a page type added tomorrow is in it without being listed anywhere);
- a **personalizable block** is a child of one of the page type's StreamFields
  (``streamfield_names``) whose block is a :class:`~persx.content.blocks.PersonalizableBlock`;
  its block type is that block's ``block_type``.

Two readings of the same blocks: the page path walks a page's converted StreamField values
(:func:`persx.content.page_personalization.served_blocks`: no SQL, the conversion cached
per process; it lives with the page path, which the page types' ``serve`` runs, so this
module can read the page types without an import circle); :func:`stored_blocks` reads the
stored JSON (the studio and the monitor: no block conversion), with the base and the
variants' content in the plain shape (:func:`persx.content.plain_shape.plain`, the one
converter; the variants' content converted when read).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.dateparse import parse_datetime
from wagtail.fields import StreamField
from wagtail.models import get_page_models

from persx.content import models
from persx.content.blocks import PersonalizableBlock
from persx.content.plain_shape import plain
from persx.engine.deciding.schedule import Window

__all__ = [
    "StoredBlock",
    "StoredVariant",
    "live_pages",
    "page_types",
    "stored_blocks",
]


def page_types() -> tuple[type[models.PersonalizedPage], ...]:
    """Every concrete personalizable page type, in Wagtail's registration order."""
    return tuple(
        model
        for model in get_page_models()
        if issubclass(model, models.PersonalizedPage) and not model._meta.abstract
    )


def live_pages() -> list[models.PersonalizedPage]:
    """The live pages of every personalizable page type, in site (tree) order.

    One query per page type, each page once as its own type (a page type that subclasses
    another is not listed again under its parent)."""
    pages: list[models.PersonalizedPage] = []
    for model in page_types():
        own_type = ContentType.objects.get_for_model(model)
        pages.extend(model.objects.live().filter(content_type=own_type))
    return sorted(pages, key=lambda p: p.path)


def _personalizable_children(page: models.PersonalizedPage, name: str) -> Mapping[str, Any]:
    field = type(page)._meta.get_field(name)
    if not isinstance(field, StreamField):
        return {}
    return {
        child_name: block
        for child_name, block in field.stream_block.child_blocks.items()
        if isinstance(block, PersonalizableBlock)
    }


@dataclass(frozen=True, slots=True)
class StoredVariant:
    audience: str
    window: Window | None
    stored: Mapping[str, Any]  # the content as stored (list items wrapped)

    @property
    def content(self) -> dict[str, Any]:
        """The content in the plain shape (converted when asked: the matrix and the audit
        read only audiences and windows)."""
        return plain(self.stored)


@dataclass(frozen=True, slots=True)
class StoredBlock:
    page: models.PersonalizedPage
    field: str  # the StreamField holding it
    block_id: str
    block_type: str
    base: Mapping[str, Any]  # the plain shape
    variants: tuple[StoredVariant, ...]

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(v.audience for v in self.variants)


def _moment(raw: Any) -> datetime | None:
    if not raw:
        return None
    value = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _stored_variant(item: Any) -> StoredVariant | None:
    """A stored list item (``{"type": "item", "value": {...}, "id": ...}``, or the bare
    value as older revisions keep it) → the variant, or None without an audience."""
    if not isinstance(item, Mapping):
        return None
    value = item if "audience" in item else item.get("value", item)
    if not isinstance(value, Mapping) or not value.get("audience"):
        return None
    live_from, live_until = _moment(value.get("live_from")), _moment(value.get("live_until"))
    window = Window(live_from, live_until) if live_from or live_until else None
    content = value.get("content")
    return StoredVariant(
        str(value["audience"]), window, content if isinstance(content, Mapping) else {}
    )


def stored_blocks(pages: Iterable[models.PersonalizedPage]) -> Iterator[StoredBlock]:
    """The personalizable blocks of ``pages``, read from their stored StreamField JSON."""
    for page in pages:
        for name in page.streamfield_names:
            children = _personalizable_children(page, name)
            for index, item in enumerate(getattr(page, name).raw_data):
                block = children.get(item.get("type"))
                if block is None:
                    continue
                value = item.get("value") or {}
                variants = tuple(
                    v for v in (_stored_variant(i) for i in value.get("variants") or ()) if v
                )
                yield StoredBlock(
                    page=page,
                    field=name,
                    block_id=str(item.get("id") or f"{name}-{index}"),
                    block_type=block.block_type,
                    base=plain(value.get("base") or {}),
                    variants=variants,
                )
