"""The current catalog, as a cached engine snapshot."""

from __future__ import annotations

from persx.caching.snapshot import Snapshot
from persx.catalog.mappers import load_catalog
from persx.engine.visitor.catalog import Catalog

_catalog: Snapshot[Catalog] = Snapshot("catalog", load_catalog)


def current_catalog() -> Catalog:
    return _catalog.get()


def invalidate_catalog() -> None:
    _catalog.invalidate()
