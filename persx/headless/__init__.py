"""Headless decisions: ``POST /api/decisions`` for apps, single-page sites and the edge,
and the per-app keys that authenticate them (docs/headless.md)."""
